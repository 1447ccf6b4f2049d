from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts.forms import LoginForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from accounts.views import InvitationView, LoginView, form_page, home

app_name = "accounts"

urlpatterns = [
    path(
        "connexion/",
        LoginView.as_view(
            form_class=LoginForm,
            redirect_authenticated_user=True,
            **form_page("Se connecter", submit="Se connecter", forgotten=True),
        ),
        name="login",
    ),
    path("accueil/", home, name="home"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "mot-de-passe/",
        auth_views.PasswordChangeView.as_view(
            form_class=PasswordChangeForm,
            success_url=reverse_lazy("accounts:password_change_done"),
            **form_page("Changer de mot de passe", submit="Changer mon mot de passe"),
        ),
        name="password_change",
    ),
    path(
        "mot-de-passe/change/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/message.html",
            extra_context={
                "title": "Mot de passe changé",
                "message": "Votre mot de passe a été changé.",
            },
        ),
        name="password_change_done",
    ),
    path(
        "mot-de-passe/oubli/",
        auth_views.PasswordResetView.as_view(
            form_class=PasswordResetForm,
            email_template_name="accounts/email/password_reset.txt",
            subject_template_name="accounts/email/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
            **form_page(
                "Mot de passe oublié",
                submit="Recevoir un lien par courriel",
                intro="Indiquez l'adresse électronique de votre compte : vous recevrez un lien "
                "pour choisir un nouveau mot de passe, valable 24 heures.",
            ),
        ),
        name="password_reset",
    ),
    path(
        "mot-de-passe/oubli/envoye/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="accounts/message.html",
            extra_context={
                "title": "Courriel envoyé",
                "message": "Si un compte correspond à cette adresse, un courriel vient de lui "
                "être envoyé avec un lien valable 24 heures.",
            },
        ),
        name="password_reset_done",
    ),
    path(
        "reinitialisation/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            form_class=SetPasswordForm,
            template_name="accounts/invitation.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
            extra_context={"title": "Choisir un nouveau mot de passe"},
        ),
        name="password_reset_confirm",
    ),
    path(
        "reinitialisation/terminee/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/message.html",
            extra_context={
                "title": "Mot de passe enregistré",
                "message": "Votre nouveau mot de passe est enregistré : "
                "vous pouvez vous connecter.",
                "login_link": True,
            },
        ),
        name="password_reset_complete",
    ),
    path(
        "invitation/<uidb64>/<token>/",
        InvitationView.as_view(
            extra_context={"title": "Bienvenue : choisissez votre mot de passe"}
        ),
        name="invitation",
    ),
]

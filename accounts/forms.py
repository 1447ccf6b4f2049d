from django import forms
from django.contrib.auth import forms as auth_forms
from dsfr.forms import DsfrBaseForm


class LoginForm(DsfrBaseForm, auth_forms.AuthenticationForm):
    username = auth_forms.UsernameField(
        label="Identifiant ou adresse électronique",
        max_length=254,  # an e-mail address's longest; axes keeps at most 255
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": "Identifiant, adresse électronique ou mot de passe incorrect. "
        "Après 5 essais infructueux, la connexion est bloquée pendant 30 minutes.",
        "inactive": "Ce compte est désactivé.",
    }


class PasswordChangeForm(DsfrBaseForm, auth_forms.PasswordChangeForm):
    pass


class PasswordResetForm(DsfrBaseForm, auth_forms.PasswordResetForm):
    pass


class SetPasswordForm(DsfrBaseForm, auth_forms.SetPasswordForm):
    pass

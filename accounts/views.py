"""Accounts under /comptes/: Django's own auth views, in French and in the site's design.

The auth views are configured in urls.py; ours are the invitation, the login that sends
each role home, and the page of someone with several roles, or none.
"""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.decorators.http import require_safe

from accounts.forms import SetPasswordForm
from accounts.landing import Roles
from actors.invitations import invitation_token_generator


class InvitationView(auth_views.PasswordResetConfirmView):
    """The invitation link: choose a password, then land in the actor area, logged in."""

    token_generator = invitation_token_generator
    form_class = SetPasswordForm
    template_name = "accounts/invitation.html"
    post_reset_login = True
    post_reset_login_backend = "accounts.backends.UsernameOrEmailBackend"
    success_url = reverse_lazy("space:home")


class LoginView(auth_views.LoginView):
    """A safe `next` wins (Django checks its host and scheme); otherwise each role lands
    at home."""

    def get_default_redirect_url(self):
        return Roles(self.request.user).landing_url()


@login_required
@require_safe
def home(request):
    return render(
        request,
        "accounts/home.html",
        {"title": "Bienvenue", "breadcrumb_data": {"current": "Bienvenue"}},
    )


def form_page(title, **extra):
    return {"template_name": "accounts/form.html", "extra_context": {"title": title, **extra}}

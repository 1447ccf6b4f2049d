"""Accounts under /comptes/: Django's own auth views, in French and in the site's design.

The auth views are configured in urls.py; the invitation is the one view of our own.
"""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from accounts.forms import SetPasswordForm
from actors.invitations import invitation_token_generator


class InvitationView(auth_views.PasswordResetConfirmView):
    """The invitation link: choose a password, then land in the actor area, logged in."""

    token_generator = invitation_token_generator
    form_class = SetPasswordForm
    template_name = "accounts/invitation.html"
    post_reset_login = True
    post_reset_login_backend = "accounts.backends.UsernameOrEmailBackend"
    success_url = reverse_lazy("space:home")


def form_page(title, **extra):
    return {"template_name": "accounts/form.html", "extra_context": {"title": title, **extra}}

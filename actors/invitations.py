"""Inviting a contact (*référent*): an account, a membership and an e-mail with a link
to choose a password. The link lasts three days and works once."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from actors.models import Membership

INVITATION_DAYS = 3


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset token, with its own salt and a three-day life.

    It hashes the password and the last login, so it stops working once used.
    """

    key_salt = "actors.invitations.InvitationTokenGenerator"
    timeout = INVITATION_DAYS * 24 * 60 * 60

    def check_token(self, user, token):
        # Django's check_token, with this generator's timeout in place of
        # PASSWORD_RESET_TIMEOUT (one day, for password resets).
        if not (user and token):
            return False
        try:
            timestamp_b36, _hash = token.split("-")
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - timestamp <= self.timeout


invitation_token_generator = InvitationTokenGenerator()


def invitation_path(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_token_generator.make_token(user)
    return reverse("accounts:invitation", args=[uid, token])


@transaction.atomic
def invite_contact(membership, *, email, first_name="", last_name="", by, build_absolute_uri):
    """Make the account of `email` (created if need be) a contact of the membership's actor.

    `membership` is an unsaved Membership with its actor set; it is saved with the user.
    The invitation e-mail leaves once the transaction is committed.
    """
    User = get_user_model()
    email = User.objects.normalize_email(email.strip()).lower()
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
        user = User(username=email, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.save()
    if Membership.objects.filter(user=user, actor=membership.actor).exists():
        raise ValidationError(
            {"email": f"{email} est déjà référent de « {membership.actor} »."}, code="duplicate"
        )
    membership.user = user
    membership._history_user = by
    membership.save()
    send_invitation(membership, build_absolute_uri=build_absolute_uri)
    return membership


def send_invitation(membership, *, build_absolute_uri):
    """(Re)send the invitation: a link to choose a password, or to log in if there is one."""
    user, actor = membership.user, membership.actor
    context = {
        "actor": actor,
        "user": user,
        "days": INVITATION_DAYS,
        "has_password": user.has_usable_password(),
        "login_url": build_absolute_uri(reverse("accounts:login")),
        "invitation_url": build_absolute_uri(invitation_path(user)),
    }
    transaction.on_commit(
        lambda: send_mail(
            subject=f"Invitation : référent de « {actor} » — suivi de la stratégie pauvreté",
            message=render_to_string("actors/email/invitation.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
    )

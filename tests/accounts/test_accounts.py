"""Accounts: log in by username or e-mail, lockout and unlock, invitations, resets."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from actors.invitations import invitation_path, invitation_token_generator
from actors.models import Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
PASSWORD = "mot-de-passe-de-test"


def log_in(client, username, password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.mark.parametrize(
    "username", ["referent-a", "referent-a@exemple.invalid", "REFERENT-A@Exemple.invalid"]
)
def test_a_contact_logs_in_with_username_or_email_and_lands_in_the_area(
    client, contact_a, username
):
    response = log_in(client, username)
    assert response.status_code == 302
    assert response["Location"] == reverse("space:home")


def test_a_wrong_password_gets_a_french_message(client, contact_a):
    response = log_in(client, "referent-a", "faux")
    assert response.status_code == 200
    assert "mot de passe incorrect" in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_the_login_page_and_back(client, contact_a):
    response = client.get(reverse("space:home"))
    assert response["Location"] == f"{LOGIN}?next={reverse('space:home')}"
    response = client.post(
        f"{LOGIN}?next=/espace/",
        {"username": "referent-a", "password": PASSWORD, "next": "/espace/"},
    )
    assert response["Location"] == "/espace/"


def test_five_failures_lock_the_pair_for_thirty_minutes_with_a_french_message(client, contact_a):
    for _ in range(5):
        log_in(client, "referent-a", "faux")
    response = log_in(client, "referent-a")  # even the right password
    assert response.status_code == 429
    assert "bloquée pendant 30 minutes" in response.content.decode()
    # Another username from the same address is not locked.
    UserFactory(username="autre")
    assert log_in(client, "autre").status_code == 302


def test_staff_unlock_a_locked_account_from_the_admin(client, staff_client, contact_a):
    anonymous = client.__class__()
    for _ in range(5):
        log_in(anonymous, "referent-a", "faux")
    assert log_in(anonymous, "referent-a").status_code == 429
    attempt = AccessAttempt.objects.get(username="referent-a")
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert staff_client.get(changelist).status_code == 200
    staff_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}
    )
    assert not AccessAttempt.objects.exists()
    assert log_in(anonymous, "referent-a").status_code == 302


def test_logging_out_takes_a_post(client, contact_a):
    client.force_login(contact_a)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("space:home")).status_code == 302


def test_a_contact_changes_their_password(client, contact_a):
    client.force_login(contact_a)
    address = reverse("accounts:password_change")
    response = client.post(
        address,
        {
            "old_password": PASSWORD,
            "new_password1": "court",
            "new_password2": "court",
        },
    )
    assert "trop court" in response.content.decode()
    response = client.post(
        address,
        {
            "old_password": PASSWORD,
            "new_password1": "Une-phrase-de-passe-longue-2026",
            "new_password2": "Une-phrase-de-passe-longue-2026",
        },
    )
    assert response.status_code == 302
    contact_a.refresh_from_db()
    assert contact_a.check_password("Une-phrase-de-passe-longue-2026")


def test_password_reset_sends_a_working_one_day_link(client, contact_a, on_commit):
    response = client.post(reverse("accounts:password_reset"), {"email": contact_a.email})
    assert response.status_code == 302
    [message] = mail.outbox
    assert "24 heures" in message.body
    link = re.search(r"http://testserver(\S+)", message.body).group(1)
    response = client.get(link, follow=True)
    new = "Encore-une-phrase-de-passe-2026"
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response["Location"] == reverse("accounts:password_reset_complete")
    contact_a.refresh_from_db()
    assert contact_a.check_password(new)


def invite(staff_client, actor, email, on_commit, **extra):
    with on_commit():
        return staff_client.post(
            reverse("admin:actors_membership_add"),
            {"actor": actor.pk, "email": email, "first_name": "Nina", "last_name": "Nouvelle"}
            | extra,
        )


def test_staff_invite_a_new_contact_who_chooses_a_password_and_lands_in_the_area(
    staff_client, client, actor_a, on_commit
):
    response = invite(staff_client, actor_a, "Nina.Nouvelle@Exemple.org", on_commit)
    assert response.status_code == 302
    user = get_user_model().objects.get(email="nina.nouvelle@exemple.org")
    assert not user.has_usable_password()
    assert Membership.objects.filter(user=user, actor=actor_a).exists()
    [message] = mail.outbox
    assert message.to == ["nina.nouvelle@exemple.org"]
    assert actor_a.name in message.body and "3 jours" in message.body
    link = re.search(r"http://testserver(\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "choisissez votre mot de passe" in form_page.content.decode()
    new = "Ma-phrase-de-passe-2026"
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response["Location"] == reverse("space:home")
    assert "Engagements de" in client.get(reverse("space:home")).content.decode()
    # The link works once.
    client.logout()
    assert "Lien invalide ou expiré" in client.get(link, follow=True).content.decode()


def test_an_invitation_link_expires_after_three_days(client, actor_a):
    user = UserFactory(username="lente", email="lente@exemple.invalid")
    user.set_unusable_password()
    user.save()
    generator = invitation_token_generator
    four_days_ago = generator._num_seconds(generator._now()) - 4 * 24 * 3600
    two_days_ago = four_days_ago + 2 * 24 * 3600
    old_token = generator._make_token_with_timestamp(user, four_days_ago, generator.secret)
    recent_token = generator._make_token_with_timestamp(user, two_days_ago, generator.secret)
    fresh = invitation_path(user)
    stale = fresh.rsplit("/", 2)[0] + f"/{old_token}/"
    assert "Lien invalide ou expiré" in client.get(stale, follow=True).content.decode()
    assert "choisissez votre mot de passe" in client.get(fresh, follow=True).content.decode()
    # Two days old still works: longer than a password reset link's one day.
    recent = fresh.rsplit("/", 2)[0] + f"/{recent_token}/"
    assert "choisissez votre mot de passe" in client.get(recent, follow=True).content.decode()


def test_an_invitation_token_is_not_a_password_reset_token(client, contact_a):
    path = invitation_path(contact_a)
    reset_path = path.replace("/comptes/invitation/", "/comptes/reinitialisation/")
    assert "Lien invalide" in client.get(reset_path, follow=True).content.decode()


def test_inviting_an_existing_account_links_it_and_says_to_log_in(
    staff_client, actor_b, contact_a, on_commit
):
    response = invite(staff_client, actor_b, "REFERENT-A@exemple.invalid", on_commit)
    assert response.status_code == 302
    assert set(contact_a.memberships.values_list("actor__name", flat=True)) == {
        "Association A",
        "Association B",
    }
    [message] = mail.outbox
    assert "Vous avez déjà un compte" in message.body


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("referent-a@exemple.invalid", "est déjà référent"),
        ("pas-une-adresse", "Saisissez une adresse de courriel valide"),
        ("", "Ce champ est obligatoire"),
    ],
)
def test_bad_invitations_get_a_french_message_and_create_nothing(
    staff_client, actor_a, contact_a, email, message, on_commit
):
    users = get_user_model().objects.count()
    response = invite(staff_client, actor_a, email, on_commit)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert get_user_model().objects.count() == users
    assert Membership.objects.count() == 1
    assert mail.outbox == []


def test_staff_resend_an_invitation(staff_client, actor_a, on_commit):
    invite(staff_client, actor_a, "oubli@exemple.org", on_commit)
    membership = Membership.objects.get(user__email="oubli@exemple.org")
    with on_commit():
        response = staff_client.post(
            reverse("admin:actors_membership_changelist"),
            {"action": "resend_invitations", "_selected_action": [membership.pk]},
            follow=True,
        )
    assert [m.to for m in mail.outbox] == [["oubli@exemple.org"]] * 2
    assert [str(m) for m in response.context["messages"]][-1] == "1 invitation renvoyée."


def test_a_contact_cannot_invite(client, contact_a, actor_a):
    client.force_login(contact_a)
    response = client.post(
        reverse("admin:actors_membership_add"), {"actor": actor_a.pk, "email": "x@y.fr"}
    )
    assert response.status_code == 302
    assert Membership.objects.count() == 1

"""Login throttling that holds (issue 12, section 2).

- failures and locks count per account, whatever alias (username or e-mail) or case was
  typed, and an unknown identifier is locked the same way;
- the client address comes from X-Forwarded-For only behind a proxy named in
  TRUSTED_PROXIES, and a lock holds for one account from one address;
- a cheap check in the cache refuses, with a French 429 page and before any password
  hash, the address that keeps failing to log in, asking for password resets, or
  posting to an invitation.

These tests use the real cache (the throttle's counters live there).
"""

import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from actors.invitations import invitation_path
from tests.factories import UserFactory
from tests.helpers import text_of

pytestmark = [pytest.mark.django_db, pytest.mark.real_cache]

LOGIN = reverse("accounts:login")
RESET = reverse("accounts:password_reset")
PASSWORD = "mot-de-passe-de-test"
ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"
PROXY = "10.0.0.2"


class CountingHasher(MD5PasswordHasher):
    """Django's MD5 hasher (fast, for the suite) that counts the hashes it computes."""

    algorithm = "md5"
    computed = 0

    def encode(self, password, salt):
        CountingHasher.computed += 1
        return super().encode(password, salt)


@pytest.fixture(autouse=True)
def empty_cache(settings):
    settings.PASSWORD_HASHERS = ["tests.accounts.test_throttle.CountingHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def owner(db):
    return UserFactory(username="referent.b", email="referent.b@exemple.invalid")


def log_in(client, username, password=PASSWORD, address=ATTACKER, **headers):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def hashes_during(action):
    before = CountingHasher.computed
    action()
    return CountingHasher.computed - before


# Failures count per account, whatever was typed.


def test_five_failures_on_the_username_lock_the_email_address_too(client, owner):
    for _ in range(4):
        assert log_in(client, "referent.b", "faux").status_code == 200
    assert log_in(client, "referent.b", "faux").status_code == 429  # the fifth locks
    for alias in ["referent.b@exemple.invalid", "Referent.B@Exemple.invalid", "REFERENT.B"]:
        response = log_in(client, alias)  # the right password
        assert response.status_code == 429, alias
        assert "bloquée pendant 30 minutes" in text_of(response)


def test_failures_over_case_variants_of_the_email_lock_the_account(client, owner):
    variants = [
        "Referent.B@exemple.invalid",
        "referent.b@EXEMPLE.invalid",
        "REFERENT.B@exemple.INVALID",
    ]
    for attempt in range(5):
        log_in(client, variants[attempt % 3], "faux")
    assert log_in(client, "rEfErEnT.b@exemple.invalid").status_code == 429
    assert log_in(client, "referent.b").status_code == 429


def test_an_unknown_identifier_is_locked_the_same_way_whatever_its_case(client, owner):
    for typed in ["Inconnu@exemple.invalid", "inconnu@exemple.invalid", "INCONNU@exemple.invalid"]:
        log_in(client, typed, "faux")
    log_in(client, " inconnu@Exemple.invalid ", "faux")
    log_in(client, "inconnu@exemple.invalid", "faux")
    response = log_in(client, "Inconnu@Exemple.Invalid", "faux")
    assert response.status_code == 429
    assert "bloquée pendant 30 minutes" in text_of(response)
    # The account owner is not concerned.
    assert log_in(client, "referent.b").status_code == 302


def test_the_owner_logs_in_from_another_address_while_the_attacker_is_locked(client, owner):
    for _ in range(5):
        log_in(client, "referent.b@exemple.invalid", "faux")
    assert log_in(client, "referent.b", address=ATTACKER).status_code == 429
    assert log_in(client, "Referent.B@exemple.invalid", address=OWNER).status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "x" * 300, "password": "faux"}, "au plus 254 caractères"),
        ({"username": "x" * 254, "password": "faux"}, "mot de passe incorrect"),
        ({"username": "", "password": "faux"}, "Ce champ est obligatoire"),
        ({"username": "referent.b\x00", "password": "faux"}, "caractère nul"),
        ({"username": "@", "password": "faux"}, "mot de passe incorrect"),
    ],
)
def test_bad_identifiers_get_a_french_message(client, owner, data, message):
    response = client.post(LOGIN, data, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 200
    assert message in text_of(response)


# The client address.


def test_without_trusted_proxies_a_forwarded_header_is_ignored(client, owner):
    for n in range(5):
        log_in(client, "referent.b", "faux", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    # Locked on the socket's address, whatever the header claims.
    assert log_in(client, "referent.b", HTTP_X_FORWARDED_FOR=OWNER).status_code == 429


def test_behind_a_trusted_proxy_a_lock_holds_for_the_attackers_address_only(
    client, owner, settings
):
    settings.TRUSTED_PROXIES = [PROXY]
    for _ in range(5):
        log_in(client, "referent.b", "faux", address=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    locked = log_in(client, "referent.b", address=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert locked.status_code == 429
    # The owner comes through the same proxy from their own address.
    response = log_in(client, "referent.b", address=PROXY, HTTP_X_FORWARDED_FOR=OWNER)
    assert response.status_code == 302


def test_behind_a_trusted_proxy_a_forged_left_part_of_the_header_is_ignored(
    client, owner, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(5):
        # The proxy appends the socket's address; the client wrote the rest.
        forged = f"192.0.2.{n}, {ATTACKER}, 10.1.2.3"
        log_in(client, "referent.b", "faux", address=PROXY, HTTP_X_FORWARDED_FOR=forged)
    response = log_in(client, "referent.b", address=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert response.status_code == 429


def test_a_forwarded_header_from_an_untrusted_address_is_ignored(client, owner, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    for n in range(5):
        log_in(client, "referent.b", "faux", address=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert log_in(client, "referent.b", HTTP_X_FORWARDED_FOR=OWNER).status_code == 429


def test_a_garbled_forwarded_header_falls_back_to_the_proxy_address(client, owner, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    response = log_in(client, "referent.b", address=PROXY, HTTP_X_FORWARDED_FOR="n'importe, quoi")
    assert response.status_code == 302


# The cheap throttle, before any hash.


def test_failed_logins_from_one_address_are_refused_before_any_hash(client, owner, settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"login": (8, 900)}
    for n in range(8):
        assert hashes_during(lambda n=n: log_in(client, f"inconnu{n}", "faux")) >= 1
    refused = []
    for n in range(3):
        hashes = hashes_during(lambda n=n: refused.append(log_in(client, f"autre{n}", "faux")))
        assert hashes == 0
    response = refused[-1]
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 900
    assert "Trop de tentatives" in text_of(response)
    # Even the right password waits, from that address; the owner elsewhere does not.
    assert log_in(client, "referent.b").status_code == 429
    assert log_in(client, "referent.b", address=OWNER).status_code == 302


def test_the_admin_login_is_throttled_the_same_way(client, owner, settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"login": (3, 900)}
    address = reverse("admin:login")
    for n in range(3):
        client.post(address, {"username": f"x{n}", "password": "faux"}, REMOTE_ADDR=ATTACKER)
    before = CountingHasher.computed
    response = client.post(address, {"username": "y", "password": "faux"}, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429
    assert CountingHasher.computed == before


def test_successful_logins_from_a_shared_address_are_not_throttled(client, owner, settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"login": (3, 900)}
    for _ in range(10):
        assert log_in(client, "referent.b").status_code == 302
        client.logout()
    assert log_in(client, "referent.b", "faux").status_code == 200


def test_password_resets_to_one_address_are_capped_whatever_the_client(client, owner, on_commit):
    for n in range(3):
        with on_commit():
            response = client.post(
                RESET, {"email": "Referent.B@exemple.invalid"}, REMOTE_ADDR=f"192.0.2.{n}"
            )
        assert response.status_code == 302
    with on_commit():
        response = client.post(RESET, {"email": "referent.b@exemple.invalid"}, REMOTE_ADDR=OWNER)
    assert response.status_code == 429
    assert "Trop de tentatives" in text_of(response)
    assert len(mail.outbox) == 3


def test_password_resets_from_one_address_are_capped(client, owner, on_commit):
    for n in range(10):
        client.post(RESET, {"email": f"quelquun{n}@exemple.invalid"}, REMOTE_ADDR=ATTACKER)
    assert client.post(RESET, {"email": owner.email}, REMOTE_ADDR=ATTACKER).status_code == 429
    # The owner, from their own address, still gets their link.
    with on_commit():
        assert client.post(RESET, {"email": owner.email}, REMOTE_ADDR=OWNER).status_code == 302
    assert [m.to for m in mail.outbox] == [[owner.email]]


def test_a_bad_password_reset_request_gets_a_french_message(client, owner):
    response = client.post(RESET, {"email": "pas-une-adresse"}, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 200
    assert "Saisissez une adresse de courriel valide" in text_of(response)


def test_invitation_posts_from_one_address_are_capped(client, db):
    invited = UserFactory(username="nina", email="nina@exemple.invalid")
    invited.set_unusable_password()
    invited.save()
    link = client.get(invitation_path(invited), follow=True, REMOTE_ADDR=ATTACKER)
    form_address = link.redirect_chain[-1][0]
    for _ in range(10):
        response = client.post(
            form_address, {"new_password1": "court", "new_password2": "court"}, REMOTE_ADDR=ATTACKER
        )
        assert "trop court" in text_of(response)
    new = "Ma-phrase-de-passe-2026"
    response = client.post(
        form_address, {"new_password1": new, "new_password2": new}, REMOTE_ADDR=ATTACKER
    )
    assert response.status_code == 429
    invited.refresh_from_db()
    assert not invited.has_usable_password()
    # From another address the invited person goes on.
    response = client.post(
        form_address, {"new_password1": new, "new_password2": new}, REMOTE_ADDR=OWNER
    )
    assert response["Location"] == reverse("space:home")


def test_a_throttled_page_answers_in_french_with_a_link_to_reset(client, owner, settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"login": (1, 900)}
    log_in(client, "x", "faux")
    response = log_in(client, "y", "faux")
    assert response.status_code == 429
    text = text_of(response)
    assert re.search(r"Réessayez dans \d+ minutes?", text)
    assert reverse("accounts:password_reset") in response.content.decode()


def test_an_ipv6_client_is_counted_by_its_64_whatever_address_it_takes_in_it(rf):
    from accounts.throttle import client_address

    one = client_address(rf.get("/", REMOTE_ADDR="2001:db8:1:2::1"))
    other = client_address(rf.get("/", REMOTE_ADDR="2001:db8:1:2:ffff:ffff:ffff:ffff"))
    elsewhere = client_address(rf.get("/", REMOTE_ADDR="2001:db8:1:3::1"))
    assert one == other == "2001:db8:1:2::"
    assert elsewhere != one
    assert client_address(rf.get("/", REMOTE_ADDR="192.0.2.7")) == "192.0.2.7"


def test_a_forwarded_address_written_with_its_port_is_the_clients(rf, settings):
    from accounts.throttle import client_address

    settings.TRUSTED_PROXIES = [PROXY]
    for hop, client in [("198.51.100.9:5678", "198.51.100.9"), ("[2001:db8::9]:443", "2001:db8::")]:
        request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=hop)
        assert client_address(request) == client

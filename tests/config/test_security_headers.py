"""What every page tells the browser: a strict CSP without inline scripts, no framing."""

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("address", ["/", "/acteurs/", "/comptes/connexion/", "/admin/login/"])
def test_pages_send_a_csp_that_forbids_inline_scripts(client, address):
    response = client.get(address)
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert script_src.strip() == "'self'"
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("address", ["/", "/enjeux/urgence-sociale/", "/espace/", "/rapports/"])
def test_our_templates_have_no_inline_script(client, staff_agent, address):
    client.force_login(staff_agent)
    page = client.get(address, follow=True).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_an_active_session_is_extended_and_an_idle_one_ends(client, contact_a, settings):
    from django.contrib.sessions.models import Session

    from accounts.sessions import STAMP

    assert settings.SESSION_COOKIE_AGE <= 4 * 60 * 60
    assert settings.PASSWORD_RESET_TIMEOUT <= 24 * 60 * 60
    client.force_login(contact_a)
    key = client.session.session_key
    first_expiry = Session.objects.get(session_key=key).expire_date
    # Six minutes later (the stamp says so), a request pushes the expiry back.
    session = client.session
    session[STAMP] -= 6 * 60
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=first_expiry)
    assert client.get("/espace/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date > first_expiry
    # An expired session (no activity for SESSION_COOKIE_AGE) is a logged-out visitor.
    Session.objects.filter(session_key=key).update(expire_date=first_expiry.replace(year=2000))
    assert client.get("/espace/").status_code == 302

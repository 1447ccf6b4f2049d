"""The main menu offers each user what they may use, and nothing that leads to a login
wall or a refusal; the anonymous page kept in the cache never shows a signed-in menu, nor
the reverse."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache

from actors.roles import MANAGERS
from datasets.forum_2020 import load_forum
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import count_queries, text_of

PUBLIC_PAGES = ["/", "/enjeux/", "/acteurs/", "/comptes/mot-de-passe/oubli/"]
ALL_ENTRIES = {"Mon espace", "Rapports", "Administration", "Se connecter", "Se déconnecter"}


def menu(response):
    """The entries of the main navigation and of the header's tools, as a reader sees
    them: the tools' names (the user's own name) are left out, only known entries kept."""
    content = response.content.decode()
    header = re.search(r"<header.*?</header>", content, re.S).group(0)
    return {entry for entry in ALL_ENTRIES if re.search(rf">\s*{entry}\s*<", header)}


@pytest.fixture
def contact_and_manager(manager, actor_a):
    MembershipFactory(actor=actor_a, user=manager)
    return manager


@pytest.fixture
def staff_without_roles(db):
    return UserFactory(username="stagiaire", is_staff=True)


@pytest.fixture
def exporter_who_is_not_staff(db):
    user = UserFactory(username="analyste")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="commitments", codename="export_reports")
    )
    return user


EXPECTED = {
    None: {"Se connecter"},
    "contact_a": {"Mon espace", "Se déconnecter"},
    "manager": {"Rapports", "Administration", "Se déconnecter"},
    "staff_agent": {"Rapports", "Administration", "Se déconnecter"},
    "contact_and_manager": {"Mon espace", "Rapports", "Administration", "Se déconnecter"},
    "staff_without_roles": {"Administration", "Se déconnecter"},
    "exporter_who_is_not_staff": {"Rapports", "Se déconnecter"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", EXPECTED, ids=lambda p: p or "anonymous")
@pytest.mark.parametrize("address", PUBLIC_PAGES)
def test_the_menu_shows_what_each_role_may_use(client, request, persona, address):
    load_forum()
    if persona:
        client.force_login(request.getfixturevalue(persona))
    assert menu(client.get(address)) == EXPECTED[persona]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "home"), [("contact_a", "/espace/"), ("manager", "/rapports/")]
)
def test_the_menu_entry_of_ones_home_is_the_current_page_there(client, request, persona, home):
    client.force_login(request.getfixturevalue(persona))
    content = client.get(home).content.decode()
    assert re.search(rf'href="{home}" aria-current="page"', content)


@pytest.mark.django_db
def test_every_menu_link_a_user_sees_opens_for_them(client, contact_and_manager):
    client.force_login(contact_and_manager)
    content = client.get("/").content.decode()
    nav = re.search(r'<nav class="fr-nav".*?</nav>', content, re.S).group(0)
    links = re.findall(r'href="([^"]+)"', nav)
    assert "/espace/" in links and "/rapports/" in links
    for link in links:
        assert client.get(link).status_code == 200, link


@pytest.mark.django_db
def test_losing_a_role_removes_its_entry_at_the_next_page(client, manager):
    client.force_login(manager)
    assert "Rapports" in menu(client.get("/enjeux/"))
    manager.groups.remove(Group.objects.get(name=MANAGERS))
    assert "Rapports" not in menu(client.get("/enjeux/"))


@pytest.mark.django_db
def test_the_menu_costs_an_anonymous_visitor_no_query(client):
    load_forum()
    anonymous = count_queries(client, "/enjeux/")
    # Signed in, the page adds the session, the user, the permissions (two) and the
    # membership: five, whatever the role.
    client.force_login(UserFactory(username="personne"))
    assert count_queries(client, "/enjeux/") == anonymous + 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.real_cache
def test_the_cached_anonymous_page_and_the_signed_in_menu_never_mix(client, contact_a):
    cache.clear()
    load_forum()
    for address in ["/", "/enjeux/"]:
        assert menu(client.get(address)) == {"Se connecter"}  # stored for anonymous visitors
        assert menu(client.get(address)) == {"Se connecter"}  # served from the cache
        client.force_login(contact_a)
        assert menu(client.get(address)) == {"Mon espace", "Se déconnecter"}
        client.logout()
        anonymous_again = client.get(address)
        assert menu(anonymous_again) == {"Se connecter"}
        assert "referent-a" not in text_of(anonymous_again)

"""Each role lands at home after login; someone with several roles, or none, gets a page
that says where to go; a hostile `next` is ignored."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from actors.roles import AGENTS, MANAGERS, attach_to_territory
from commitments.review import review_queue_url
from tests.factories import ActorFactory, MembershipFactory, UserFactory, region
from tests.helpers import count_queries, text_of

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
HOME = reverse("accounts:home")
PASSWORD = "mot-de-passe-de-test"


def log_in(client, username, next_url=None):
    address = LOGIN if next_url is None else f"{LOGIN}?next={next_url}"
    data = {"username": username, "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    response = client.post(address, data)
    assert response.status_code == 302, text_of(response)
    return response["Location"]


@pytest.fixture
def agent_and_contact(staff_agent, actor_a):
    MembershipFactory(actor=actor_a, user=staff_agent)
    return staff_agent


@pytest.fixture
def manager_and_contact(manager, actor_a):
    MembershipFactory(actor=actor_a, user=manager)
    return manager


def test_an_agent_lands_on_the_deliveries_waiting_for_review(client, staff_agent):
    landing = log_in(client, "agent")
    assert landing == review_queue_url()
    assert landing.endswith("?examen=en-attente")
    assert client.get(landing).status_code == 200  # a filter the admin knows: no ?e=1


def test_a_superuser_lands_on_the_review_queue_too(client, roles):
    UserFactory(username="chef", is_staff=True, is_superuser=True)
    assert log_in(client, "chef") == review_queue_url()


def test_a_manager_lands_on_the_reports(client, manager):
    landing = log_in(client, "gestionnaire")
    assert landing == reverse("reports:index")
    assert client.get(landing).status_code == 200


def test_a_contact_lands_in_the_actor_area(client, contact_a):
    landing = log_in(client, "referent-a")
    assert landing == reverse("space:home")
    assert "Association A" in text_of(client.get(landing))


def test_an_agent_who_is_also_a_contact_chooses_between_the_admin_and_the_area(
    client, agent_and_contact
):
    assert log_in(client, "agent") == HOME
    response = client.get(HOME)
    page = text_of(response)
    assert "accès à 2 espaces" in page
    assert "Réalisations à examiner" in page and "Mon espace" in page
    content = response.content.decode()
    assert f'href="{review_queue_url()}"'.replace("&", "&amp;") in content
    assert f'href="{reverse("space:home")}"' in content


def test_a_manager_who_is_also_a_contact_chooses_between_the_reports_and_the_area(
    client, manager_and_contact
):
    assert log_in(client, "gestionnaire") == HOME
    page = text_of(client.get(HOME))
    assert "Rapports Télécharger" in page and "Mon espace Suivre" in page
    assert "Réalisations à examiner" not in page


def test_a_single_role_reaching_the_homes_page_is_offered_its_one_space_without_a_choice(
    client, contact_a
):
    client.force_login(contact_a)
    page = text_of(client.get(HOME))
    assert "Votre compte vous donne accès à un espace :" in page
    assert "choisissez" not in page and "1 espace" not in page
    assert "Mon espace" in page


def test_someone_without_any_role_is_told_so_and_whom_to_ask(client, db):
    UserFactory(username="personne")
    assert log_in(client, "personne") == HOME
    response = client.get(HOME)
    assert response.status_code == 200
    page = text_of(response)
    assert "Votre compte n'a encore aucun rôle dans ce service" in page
    assert "demandez à la préfecture de région de vous inviter" in page
    assert "demandez à un administrateur du service" in page
    assert "Mon espace" not in page and "Rapports" not in page


def test_staff_without_the_review_or_reports_permission_have_no_home(client, db):
    UserFactory(username="stagiaire", is_staff=True)
    assert log_in(client, "stagiaire") == HOME
    assert "aucun rôle" in text_of(client.get(HOME))


def test_a_manager_given_the_review_permission_becomes_an_agent(client, manager):
    manager.user_permissions.add(
        Permission.objects.get(content_type__app_label="commitments", codename="change_delivery")
    )
    assert log_in(client, "gestionnaire") == review_queue_url()


def test_a_safe_next_still_wins_over_the_role(client, staff_agent):
    assert log_in(client, "agent", next_url="/acteurs/") == "/acteurs/"


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example/",
        "//evil.example/espace/",
        "https:evil.example",
        "javascript:alert(1)",
    ],
)
def test_a_next_to_another_site_is_ignored_and_the_role_decides(client, contact_a, hostile):
    assert log_in(client, "referent-a", next_url=hostile) == reverse("space:home")


def test_a_signed_in_user_who_opens_the_login_page_is_sent_home(client, manager):
    client.force_login(manager)
    response = client.get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:index")


def test_the_choice_page_wants_a_login(client, db):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={HOME}"


def test_the_choice_page_refuses_a_post(client, contact_a):
    client.force_login(contact_a)
    assert client.post(HOME).status_code == 405


def grow_roles(user, extra):
    """More actors the user is a contact of, and more groups, none of which change the
    user's homes: the page's queries must not grow with them."""
    for index in range(extra):
        MembershipFactory(actor=ActorFactory(name=f"Acteur {user.pk}-{index}"), user=user)
        group = Group.objects.create(name=f"Groupe {user.pk}-{index}")
        group.permissions.add(Permission.objects.get(codename="view_actor"))
        user.groups.add(group)


@pytest.mark.parametrize(
    ("persona", "pinned"),
    [
        # session, user, then (the choice page) user permissions, group permissions and
        # the membership; the menu asks the same questions and gets the answers kept.
        ("agent_and_contact", 5),
        ("manager_and_contact", 5),
        ("contact_a", 5),
    ],
)
def test_the_choice_page_query_count_is_pinned_and_does_not_grow(client, request, persona, pinned):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    small = count_queries(client, HOME)
    grow_roles(user, 15)
    assert (small, count_queries(client, HOME)) == (pinned, pinned)


def test_the_login_page_costs_anonymous_visitors_no_query(client, db):
    assert count_queries(client, LOGIN) == 0


def test_a_managers_group_gives_the_reports_home_whoever_holds_it(client, roles):
    user = UserFactory(username="nouveau", is_staff=True)
    user.groups.add(Group.objects.get(name=MANAGERS))
    attach_to_territory(user, region())
    assert log_in(client, "nouveau") == reverse("reports:index")
    user.groups.set([Group.objects.get(name=AGENTS)])
    client.logout()
    assert log_in(client, "nouveau") == review_queue_url()

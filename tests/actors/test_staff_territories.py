"""Staff see their territory's part: the scope read from their attachment, the QuerySets
that apply it, `setup_roles --rattacher`, the e-mails to agents and the accounts' admin."""

import datetime
import io
import uuid
from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from actors.models import Actor, StaffTerritory
from actors.roles import AGENTS
from actors.scopes import scope_of
from commitments.models import Commitment, Delivery
from strategy.models import Territory
from strategy.units import Unit
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    DeliveryFactory,
    MeasureFactory,
    MembershipFactory,
    UserFactory,
    staff_member,
)
from tests.helpers import text_of

pytestmark = pytest.mark.django_db


def slugs(queryset):
    return set(queryset.values_list("slug", flat=True))


def titles(queryset):
    return set(queryset.values_list("title", flat=True))


# scope_of


def test_a_superuser_sees_everything_without_any_attachment(db):
    scope = scope_of(UserFactory(username="chef", is_staff=True, is_superuser=True))
    assert (scope.everything, scope.nothing) == (True, False)


def test_staff_attached_to_the_region_see_everything(staff_agent, forum):
    scope = scope_of(staff_agent)
    assert (scope.everything, scope.nothing, scope.label) == (True, False, "toute la région")


def test_staff_attached_to_nord_see_nord_only(nord_agent, nord):
    scope = scope_of(nord_agent)
    assert (scope.everything, scope.nothing, scope.territory, scope.label) == (
        False,
        False,
        nord,
        "Nord",
    )


def test_staff_attached_to_nothing_see_nothing(unattached_agent, forum):
    scope = scope_of(unattached_agent)
    assert (scope.everything, scope.nothing, scope.label) == (False, True, "aucun territoire")
    assert Commitment.objects.exists()
    assert not Commitment.objects.in_scope(scope).exists()
    assert not scope.territories().exists()


def test_an_anonymous_visitor_has_no_scope(db):
    assert scope_of(AnonymousUser()).nothing


def test_the_scope_is_read_once_per_user_object(nord_agent, django_assert_num_queries):
    nord_agent = type(nord_agent).objects.get(pk=nord_agent.pk)
    with django_assert_num_queries(1):
        first = scope_of(nord_agent)
        assert scope_of(nord_agent) is first


def test_a_nord_scope_covers_nord_and_what_it_contains_at_any_depth(
    nord_agent, nord, lille, inside_lille, somme
):
    scope = scope_of(nord_agent)
    region = Territory.objects.get(code="32", level=Territory.Level.REGION)
    assert set(scope.territories()) == {nord, lille, inside_lille}
    assert [scope.covers(t.pk) for t in (nord, lille, inside_lille, somme, region)] == [
        True,
        True,
        True,
        False,
        False,
    ]


# The QuerySets


@pytest.fixture
def somme_actors(somme, nord):
    """A Somme association with a commitment in Nord, another without."""
    working_in_nord = ActorFactory(slug="somme-active-dans-le-nord", territory=somme)
    CommitmentFactory(actor=working_in_nord, territory=nord, title="Engagement sommien au Nord")
    CommitmentFactory(actor=working_in_nord, territory=somme, title="Engagement sommien")
    return working_in_nord, ActorFactory(slug="somme-seulement", territory=somme)


def test_a_nord_agent_sees_nord_regional_and_nord_committed_actors(
    nord_agent, somme_actors, inside_lille
):
    ActorFactory(slug="association-du-quartier", territory=inside_lille)
    seen = slugs(Actor.objects.in_scope(scope_of(nord_agent)))
    assert seen == {
        "conseil-departemental-nord",
        "metropole-europeenne-de-lille",
        "association-du-quartier",
        # regional actors act in every département
        "prefecture-region-hauts-de-france",
        "conseil-regional-hauts-de-france",
        # and national ones, without a territory
        "diplp",
        "somme-active-dans-le-nord",
    }
    # neither a plain Somme actor, nor another département's
    assert not {"somme-seulement", "conseil-departemental-somme"} & seen
    # it may change only the actors of the Nord
    editable = slugs(Actor.objects.editable_in(scope_of(nord_agent)))
    assert "diplp" not in editable and "prefecture-region-hauts-de-france" not in editable


def test_the_regional_team_sees_every_actor_and_unattached_staff_none(
    staff_agent, unattached_agent, somme_actors
):
    assert Actor.objects.in_scope(scope_of(staff_agent)).count() == Actor.objects.count()
    assert not Actor.objects.in_scope(scope_of(unattached_agent)).exists()


def test_a_nord_agent_may_edit_only_the_actors_of_nord(nord_agent, somme_actors, inside_lille):
    ActorFactory(slug="association-du-quartier", territory=inside_lille)
    assert slugs(Actor.objects.editable_in(scope_of(nord_agent))) == {
        "conseil-departemental-nord",
        "metropole-europeenne-de-lille",
        "association-du-quartier",
    }


def test_the_regional_team_edits_every_actor_and_unattached_staff_none(
    staff_agent, unattached_agent, somme_actors
):
    assert Actor.objects.editable_in(scope_of(staff_agent)).count() == Actor.objects.count()
    assert not Actor.objects.editable_in(scope_of(unattached_agent)).exists()


@pytest.fixture
def spread(nord, lille, inside_lille, somme):
    """A commitment with a delivery in each of Nord, Lille, inside Lille, Somme, the region."""
    region = Territory.objects.get(code="32", level=Territory.Level.REGION)
    for territory in (nord, lille, inside_lille, somme, region):
        commitment = CommitmentFactory(
            actor=Actor.objects.get(slug="prefecture-region-hauts-de-france"),
            territory=territory,
            title=f"À {territory.name}",
        )
        DeliveryFactory(commitment=commitment, comment=f"Livré à {territory.name}")


def test_a_nord_agent_sees_the_commitments_and_deliveries_within_nord(nord_agent, spread):
    scope = scope_of(nord_agent)
    within = {"À Nord", "À Métropole Européenne de Lille", "À Quartier de Lille"}
    assert titles(Commitment.objects.in_scope(scope)) == within
    assert {d.commitment.title for d in Delivery.objects.in_scope(scope)} == within


def test_a_somme_agent_sees_somme_and_the_regional_team_everything(
    somme_agent, staff_agent, unattached_agent, spread
):
    assert titles(Commitment.objects.in_scope(scope_of(somme_agent))) == {"À Somme"}
    assert Delivery.objects.in_scope(scope_of(somme_agent)).count() == 1
    everything = scope_of(staff_agent)
    assert Commitment.objects.in_scope(everything).count() == Commitment.objects.count()
    assert Delivery.objects.in_scope(everything).count() == Delivery.objects.count()
    assert not Commitment.objects.in_scope(scope_of(unattached_agent)).exists()
    assert not Delivery.objects.in_scope(scope_of(unattached_agent)).exists()


# setup_roles --rattacher


def rattacher(*args):
    out = io.StringIO()
    call_command("setup_roles", "--rattacher", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("text", ["59", "nord"])
def test_setup_roles_attaches_an_account_by_code_or_slug(roles, nord, text):
    user = UserFactory(username="agent.x", is_staff=True)
    output = rattacher("agent.x", text)
    assert "agent.x est rattaché au territoire Nord." in output
    assert StaffTerritory.objects.get(user=user).territory == nord
    assert scope_of(type(user).objects.get(pk=user.pk)).territory == nord


def test_setup_roles_warns_that_attaching_an_account_without_staff_status_opens_nothing(
    roles, nord
):
    UserFactory(username="simple-contact")
    output = rattacher("simple-contact", "59")
    assert "simple-contact n'a pas le statut équipe" in output
    staff = UserFactory(username="agent.x", is_staff=True)
    assert "statut équipe" not in rattacher(staff.username, "59")


def test_setup_roles_replaces_an_earlier_attachment(roles, nord, somme):
    user = staff_member("agent.x", AGENTS, territory=somme)
    rattacher("agent.x", "59")
    assert list(StaffTerritory.objects.filter(user=user).values_list("territory", flat=True)) == [
        nord.pk
    ]


def test_setup_roles_refuses_an_unknown_account_in_french(roles, forum):
    with pytest.raises(CommandError, match="^Aucun compte « personne »\\.$"):
        rattacher("personne", "59")
    assert not StaffTerritory.objects.exists()


def test_setup_roles_refuses_an_unknown_territory_in_french(roles, forum):
    UserFactory(username="agent.x", is_staff=True)
    with pytest.raises(
        CommandError, match="^Aucun territoire de code ou d'identifiant « 999 »\\.$"
    ):
        rattacher("agent.x", "999")
    assert not StaffTerritory.objects.exists()


def test_setup_roles_warns_about_staff_attached_to_nothing(
    unattached_agent, nord_agent, staff_agent
):
    UserFactory(username="simple-contact")  # not staff: no warning about it
    out = io.StringIO()
    call_command("setup_roles", stdout=out)
    warnings = [line for line in out.getvalue().splitlines() if line.startswith("Attention")]
    assert warnings == [
        "Attention : agent.sans.territoire n'est rattaché à aucun territoire et ne voit "
        "rien ; rattachez-le avec --rattacher."
    ]
    rattacher("agent.sans.territoire", "hauts-de-france")
    out = io.StringIO()
    call_command("setup_roles", stdout=out)
    assert "Attention" not in out.getvalue()


# E-mails to agents


@pytest.fixture
def nord_commitment(nord, lille):
    actor = ActorFactory(name="Association lilloise", territory=lille)
    return CommitmentFactory(
        actor=actor,
        territory=nord,
        year=2021,
        measure=MeasureFactory(unit=Unit.PLACES),
        planned_amount=Decimal(100),
    )


def report(client, contact, commitment):
    client.force_login(contact)
    return client.post(
        reverse("space:commitment", args=[commitment.pk]),
        {
            "amount": "5",
            "date": "2021-06-01",
            "comment": "Cinq places ouvertes",
            "submission_key": str(uuid.uuid4()),
        },
        follow=True,
    )


@pytest.mark.parametrize("where", ["nord", "lille", "inside_lille"])
def test_a_reported_delivery_is_mailed_to_the_agents_of_its_territory_only(
    request,
    client,
    on_commit,
    nord_commitment,
    nord_agent,
    somme_agent,
    staff_agent,
    unattached_agent,
    where,
):
    nord_commitment.territory = request.getfixturevalue(where)
    nord_commitment.save()
    contact = MembershipFactory(actor=nord_commitment.actor).user
    with on_commit():
        response = report(client, contact, nord_commitment)
    assert "elle attend la validation de la préfecture" in response.content.decode()
    assert nord_commitment.deliveries.get().status == Delivery.Status.REPORTED
    assert sorted((m.to[0], m.subject.split(" : ")[0]) for m in mail.outbox) == [
        (nord_agent.email, "Réalisation à valider"),
        (staff_agent.email, "Réalisation à valider"),
    ]
    assert all(m.to != [somme_agent.email] for m in mail.outbox)
    assert all(m.to != [unattached_agent.email] for m in mail.outbox)


def test_a_delivery_in_somme_is_not_mailed_to_the_nord_agent(
    client, on_commit, somme, nord_agent, somme_agent, staff_agent
):
    actor = ActorFactory(territory=somme)
    commitment = CommitmentFactory(actor=actor, territory=somme, year=2021)
    contact = MembershipFactory(actor=actor).user
    with on_commit():
        report(client, contact, commitment)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([somme_agent.email, staff_agent.email])


# The accounts' admin


def test_a_nord_agent_lists_only_the_contacts_of_the_actors_it_sees(
    nord_client, nord_agent, somme_actors, staff_agent
):
    for slug, username in [
        ("conseil-departemental-nord", "referent-nord"),
        ("prefecture-region-hauts-de-france", "referent-prefecture"),
        ("somme-active-dans-le-nord", "referent-somme-au-nord"),
        ("somme-seulement", "referent-somme"),
        ("conseil-departemental-somme", "referent-cd-somme"),
    ]:
        MembershipFactory(actor=Actor.objects.get(slug=slug), user=UserFactory(username=username))
    response = nord_client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 200
    listed = {user.username for user in response.context["cl"].result_list}
    assert listed == {"referent-nord", "referent-prefecture", "referent-somme-au-nord"}
    assert "referent-somme" not in text_of(response).split()
    somme_contact = type(nord_agent).objects.get(username="referent-somme")
    address = reverse("admin:auth_user_change", args=[somme_contact.pk])
    assert nord_client.get(address).status_code == 404


def test_the_regional_agent_lists_every_account(client, staff_agent, nord_agent, somme_actors):
    MembershipFactory(actor=Actor.objects.get(slug="somme-seulement"))
    client.force_login(staff_agent)
    response = client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == type(staff_agent).objects.count()


def test_the_lockouts_are_the_regional_teams_alone(client, nord_agent, staff_agent):
    attempt = AccessAttempt.objects.create(
        username="referent-bloque",
        ip_address="192.0.2.1",
        user_agent="test",
        failures_since_start=5,
        attempt_time=datetime.datetime.now(datetime.UTC),
    )
    address = reverse("admin:axes_accessattempt_changelist")
    client.force_login(nord_agent)
    assert client.get(address).status_code == 403
    assert (
        client.get(reverse("admin:axes_accessattempt_delete", args=[attempt.pk])).status_code == 403
    )
    assert f'href="{address}"' not in client.get(reverse("admin:index")).content.decode()
    client.force_login(staff_agent)
    response = client.get(address)
    assert response.status_code == 200
    assert "referent-bloque" in text_of(response)
    assert f'href="{address}"' in client.get(reverse("admin:index")).content.decode()

"""What a review of the territory scoping found at its edges: a delete page, an
invitation, a report imported back, odd filter values and ids, a past version."""

import io

import pytest
from django.test import Client
from django.urls import reverse

from actors.models import Actor
from commitments.models import Commitment
from tests.factories import ActorFactory, CommitmentFactory, UserFactory
from tests.helpers import text_of

pytestmark = pytest.mark.django_db


def upload(client, model, content, name="import.csv"):
    file = io.BytesIO(content)
    file.name = name
    response = client.post(reverse(f"admin:{model}_import"), {"file": file})
    assert response.status_code == 200
    return response


def test_deleting_an_own_actor_counts_but_never_names_another_departements_commitments(
    nord_client, client, staff_agent, nord, somme
):
    actor = ActorFactory(territory=nord)
    CommitmentFactory(actor=actor, territory=nord, title="Engagement du Nord")
    CommitmentFactory(actor=actor, territory=somme, title="Secret de la Somme")
    page = text_of(nord_client.get(f"/admin/actors/actor/{actor.pk}/delete/"))
    assert "Secret de la Somme" not in page and "Engagement du Nord" not in page
    assert "2 engagements (dont peut-être d'autres territoires que le vôtre)" in page
    assert Actor.objects.filter(pk=actor.pk).exists()
    # The regional team sees them named, as Django lists them.
    client.force_login(staff_agent)
    assert "Secret de la Somme" in text_of(client.get(f"/admin/actors/actor/{actor.pk}/delete/"))


@pytest.mark.parametrize("who", ["somme_contact", "staff"])
def test_a_nord_agent_cannot_pull_an_account_it_does_not_see_into_its_territory(
    nord_client, nord, somme, somme_agent, who
):
    if who == "staff":
        account = somme_agent
    else:
        account = UserFactory(username="contact.somme")
        ActorFactory(territory=somme).memberships.create(user=account)
    actor = ActorFactory(territory=nord)
    response = nord_client.post(
        "/admin/actors/membership/add/",
        {"actor": actor.pk, "email": account.email.upper(), "first_name": "", "last_name": ""},
    )
    assert response.status_code == 200
    assert "un compte que vous ne voyez pas" in text_of(response)
    assert not account.memberships.filter(actor=actor).exists()
    assert nord_client.get(f"/admin/auth/user/{account.pk}/change/").status_code == 404


def test_a_nord_agent_still_invites_a_new_address_and_its_own_contacts(nord_client, nord):
    known = UserFactory(username="contact.nord")
    ActorFactory(territory=nord).memberships.create(user=known)
    actor = ActorFactory(territory=nord)
    for email in ("nouvelle@exemple.invalid", known.email):
        response = nord_client.post(
            "/admin/actors/membership/add/",
            {"actor": actor.pk, "email": email, "first_name": "", "last_name": ""},
        )
        assert response.status_code == 302, text_of(response)
    assert actor.memberships.count() == 2


def test_a_nord_agent_imports_back_its_own_actors_report_unchanged(nord_client, nord, somme):
    own = ActorFactory(territory=nord, slug="acteur-du-nord")
    other = ActorFactory(territory=somme, slug="acteur-de-la-somme")
    CommitmentFactory(actor=own, territory=nord)
    CommitmentFactory(actor=other, territory=nord)
    exported = b"".join(nord_client.get("/rapports/acteurs.csv?dialect=csv").streaming_content)
    assert b"acteur-de-la-somme" in exported and b"prefecture-region-hauts-de-france" in exported
    response = upload(nord_client, "actors_actor", exported)
    assert response.context["errors"] == []
    assert response.context["counts"] == {
        "create": 0,
        "update": 0,
        "unchanged": exported.count(b"\n") - 1,
    }


def test_a_nord_agent_changing_another_teams_actor_by_import_is_refused(nord_client, somme):
    other = ActorFactory(territory=somme, slug="acteur-de-la-somme", name="Acteur de la Somme")
    CommitmentFactory(actor=other, territory=somme)
    content = (
        "nom;slug;type_acteur;code_territoire\r\n"
        f"Acteur renommé;acteur-de-la-somme;{other.kind};80\r\n"
    ).encode()
    response = upload(nord_client, "actors_actor", content)
    [(line, column, message)] = response.context["errors"]
    assert (line, column) == (2, "slug")
    assert "relève d'un autre territoire que le vôtre (Nord)" in message
    assert Actor.objects.get(pk=other.pk).name == "Acteur de la Somme"


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999999999999999"])
def test_an_odd_territory_filter_value_lists_nothing_never_a_500(staff_client, nord, value):
    CommitmentFactory(territory=nord)
    response = staff_client.get("/admin/commitments/commitment/", {"territory": value})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_a_commitment_id_no_column_can_hold_is_a_row_error_never_a_500(staff_client, forum):
    content = (
        "id;mesure;acteur_slug;code_territoire;annee;intitule;prevu\r\n"
        "99999999999999999999;Écoles ouvertes;conseil-departemental-nord;59;2021;Écoles;450\r\n"
    ).encode()
    before = Commitment.objects.count()
    response = upload(staff_client, "commitments_commitment", content)
    [(line, column, message)] = response.context["errors"]
    assert (line, column) == (2, "id")
    assert "Aucun engagement n'a l'identifiant" in message
    assert Commitment.objects.count() == before


def test_a_past_version_of_an_actor_says_its_figures_are_not_repeated(staff_client, nord):
    actor = ActorFactory(territory=nord)
    CommitmentFactory(actor=actor, territory=nord, title="Engagement du Nord")
    version = actor.history.order_by("history_id").first()
    page = text_of(
        staff_client.get(f"/admin/actors/actor/{actor.pk}/history/{version.history_id}/")
    )
    assert "Non repris dans une version passée" in page
    # The actor's own page lists them.
    assert "Engagement du Nord" in text_of(
        staff_client.get(f"/admin/actors/actor/{actor.pk}/change/")
    )


def test_a_nord_agent_s_report_filter_says_all_of_its_territory_not_all_territories(
    nord_client, staff_agent
):
    page = nord_client.get("/rapports/").content.decode()
    assert ">Tout votre territoire (Nord)</option>" in page and "Tous les territoires" not in page
    regional = Client()
    regional.force_login(staff_agent)
    assert ">Tous les territoires</option>" in regional.get("/rapports/").content.decode()

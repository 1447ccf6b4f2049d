"""A departmental agent imports into its territory only, in the admin: a row outside it
is an error on that row, and nothing of the file is written; the regional team imports
anywhere."""

import io

import pytest
from django.urls import reverse

from actors.models import Actor
from actors.roles import AGENTS, attach_to_territory
from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from strategy.models import Measure, Territory
from tests.factories import ActorFactory, CommitmentFactory, staff_member

pytestmark = pytest.mark.django_db

COMMITMENT_HEADER = "mesure;acteur_slug;code_territoire;annee;intitule;prevu\r\n"
ACTOR_HEADER = "nom;slug;type_acteur;code_territoire\r\n"
PREFECTURE = "prefecture-region-hauts-de-france"
OUTSIDE = "Le territoire « Somme » est hors de votre territoire (Nord) : vous n'y importez rien."


@pytest.fixture
def forum(db):
    load_forum()


@pytest.fixture
def nord_agent(roles, forum):
    return staff_member("agent.nord", AGENTS, territory=Territory.objects.get(slug="nord"))


@pytest.fixture
def nord_client(client, nord_agent):
    client.force_login(nord_agent)
    return client


def upload(client, model, content):
    file = io.BytesIO(content.encode())
    file.name = "import.csv"
    response = client.post(reverse(f"admin:{model}_import"), {"file": file})
    assert response.status_code == 200
    return response


def confirm(client, model, response):
    return client.post(
        reverse(f"admin:{model}_import"), {"token": response.context["token"]}, follow=True
    )


def snapshot():
    return (
        list(Commitment.objects.order_by("pk").values()),
        list(Actor.objects.order_by("pk").values()),
        Commitment.history.count(),
        Actor.history.count(),
    )


# Commitments


def test_a_somme_row_in_a_nord_agents_file_is_refused_and_nothing_is_written(nord_client):
    before = snapshot()
    response = upload(
        nord_client,
        "commitments_commitment",
        COMMITMENT_HEADER
        + "Écoles ouvertes;conseil-departemental-nord;59;2021;Écoles ouvertes à Lille;450\r\n"
        + f"Écoles ouvertes;{PREFECTURE};80;2021;Écoles ouvertes à Amiens;300\r\n",
    )
    assert response.context["errors"] == [(3, "code_territoire", OUTSIDE)]
    page = response.content.decode()
    assert "Rien n'a été enregistré" in page and "Confirmer l'import" not in page
    assert snapshot() == before
    # Confirming it anyway (a forged post) plans it again, and refuses it again.
    response = confirm(nord_client, "commitments_commitment", response)
    assert response.context["errors"] == [(3, "code_territoire", OUTSIDE)]
    assert snapshot() == before


def test_an_all_nord_file_is_imported_by_the_nord_agent(nord_client, nord_agent):
    response = upload(
        nord_client,
        "commitments_commitment",
        COMMITMENT_HEADER
        + "Écoles ouvertes;conseil-departemental-nord;59;2021;Écoles ouvertes à Roubaix;450\r\n"
        + f"Écoles ouvertes;{PREFECTURE};200093201;2021;Écoles ouvertes à Lille;300\r\n",
    )
    assert response.context["errors"] == []
    assert response.context["counts"] == {"create": 2, "update": 0, "unchanged": 0}
    response = confirm(nord_client, "commitments_commitment", response)
    assert [str(m) for m in response.context["messages"]] == [
        "Import terminé : 2 fiches créées, 0 fiche mise à jour, 0 fiche inchangée."
    ]
    created = Commitment.objects.filter(title__startswith="Écoles ouvertes à ")
    assert sorted(created.values_list("title", "territory__slug")) == [
        ("Écoles ouvertes à Lille", "metropole-europeenne-de-lille"),
        ("Écoles ouvertes à Roubaix", "nord"),
    ]
    assert {c.history.get().history_user for c in created} == {nord_agent}


def test_the_regional_agent_imports_the_somme_row(staff_client, forum):
    response = upload(
        staff_client,
        "commitments_commitment",
        COMMITMENT_HEADER
        + f"Écoles ouvertes;{PREFECTURE};80;2021;Écoles ouvertes à Amiens;300\r\n",
    )
    assert response.context["errors"] == []
    confirm(staff_client, "commitments_commitment", response)
    assert Commitment.objects.get(title="Écoles ouvertes à Amiens").territory.slug == "somme"


def test_a_nord_agent_cannot_update_a_somme_commitment_by_its_id(nord_client):
    somme_commitment = CommitmentFactory(
        actor=Actor.objects.get(slug=PREFECTURE),
        territory=Territory.objects.get(slug="somme"),
        title="Engagement de la Somme",
    )
    before = snapshot()
    # Even brought into Nord by the row itself, it is not found.
    response = upload(
        nord_client,
        "commitments_commitment",
        "id;" + COMMITMENT_HEADER + f"{somme_commitment.pk};Écoles ouvertes;{PREFECTURE};59;"
        "2021;Engagement déplacé au Nord;1\r\n",
    )
    assert response.context["errors"] == [
        (2, "id", f"Aucun engagement n'a l'identifiant « {somme_commitment.pk} ».")
    ]
    assert snapshot() == before


def test_a_nord_agent_cannot_move_a_nord_commitment_to_somme(nord_client):
    nord_commitment = CommitmentFactory(
        actor=Actor.objects.get(slug=PREFECTURE),
        measure=Measure.objects.get(slug="ecoles-ouvertes"),
        territory=Territory.objects.get(slug="nord"),
        year=2021,
        title="Engagement du Nord",
    )
    before = snapshot()
    response = upload(
        nord_client,
        "commitments_commitment",
        "id;" + COMMITMENT_HEADER + f"{nord_commitment.pk};Écoles ouvertes;{PREFECTURE};80;"
        "2021;Engagement du Nord;1000\r\n",
    )
    assert response.context["errors"] == [(2, "code_territoire", OUTSIDE)]
    assert snapshot() == before


def test_an_import_previewed_in_nord_is_replanned_under_the_agents_new_territory(
    nord_client, nord_agent
):
    response = upload(
        nord_client,
        "commitments_commitment",
        COMMITMENT_HEADER + f"Écoles ouvertes;{PREFECTURE};59;2021;Écoles ouvertes à Lille;450\r\n",
    )
    assert response.context["errors"] == []
    attach_to_territory(nord_agent, Territory.objects.get(slug="somme"))
    before = snapshot()
    response = confirm(nord_client, "commitments_commitment", response)
    assert response.context["errors"] == [
        (
            2,
            "code_territoire",
            "Le territoire « Nord » est hors de votre territoire (Somme) : vous n'y importez rien.",
        )
    ]
    assert snapshot() == before


# Actors


def test_a_nord_agent_imports_a_nord_actor(nord_client):
    response = upload(
        nord_client,
        "actors_actor",
        ACTOR_HEADER + "Secours du Nord;secours-du-nord;Association;59\r\n",
    )
    assert response.context["errors"] == []
    confirm(nord_client, "actors_actor", response)
    assert Actor.objects.get(slug="secours-du-nord").territory.slug == "nord"


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("Secours de la Somme;secours-de-la-somme;Association;80", "code_territoire", OUTSIDE),
        (
            # a regional actor, which the Nord agent sees, brought into Nord
            f"Préfecture;{PREFECTURE};state;59",
            "slug",
            "L'acteur « Préfecture de la région Hauts-de-France » relève d'un autre territoire "
            "que le vôtre (Nord) : son équipe seule le modifie.",
        ),
        (
            "Conseil départemental de la Somme;conseil-departemental-somme;departement;59",
            "slug",
            "L'acteur « Conseil départemental de la Somme » relève d'un autre territoire "
            "que le vôtre (Nord) : son équipe seule le modifie.",
        ),
        (
            "Sans territoire;sans-territoire;Association;",
            "code_territoire",
            "Le territoire est obligatoire : indiquez celui de l'acteur (Nord ou un "
            "territoire qu'il contient).",
        ),
    ],
)
def test_a_nord_agent_s_actor_rows_outside_nord_are_refused(nord_client, row, column, message):
    before = snapshot()
    response = upload(
        nord_client,
        "actors_actor",
        ACTOR_HEADER + "Secours du Nord;secours-du-nord;Association;59\r\n" + row + "\r\n",
    )
    assert response.context["errors"] == [(3, column, message)]
    assert "Confirmer l'import" not in response.content.decode()
    assert snapshot() == before


def test_a_nord_agent_cannot_update_a_somme_actor_seen_through_a_nord_commitment(nord_client):
    somme_actor = ActorFactory(
        name="Banque alimentaire", slug="banque", territory=Territory.objects.get(slug="somme")
    )
    CommitmentFactory(actor=somme_actor, territory=Territory.objects.get(slug="nord"))
    before = snapshot()
    response = upload(
        nord_client,
        "actors_actor",
        "id;"
        + ACTOR_HEADER
        + f"{somme_actor.pk};Banque alimentaire du Nord;banque;Association;59\r\n",
    )
    assert [(line, column) for line, column, _m in response.context["errors"]] == [(2, "slug")]
    assert "relève d'un autre territoire" in response.context["errors"][0][2]
    assert snapshot() == before


def test_the_regional_team_imports_an_actor_without_territory(staff_client, forum):
    response = upload(
        staff_client,
        "actors_actor",
        ACTOR_HEADER + "Sans territoire;sans-territoire;Association;\r\n",
    )
    assert response.context["errors"] == []
    confirm(staff_client, "actors_actor", response)
    assert Actor.objects.get(slug="sans-territoire").territory is None

"""Every admin search box forgives accents and case, as the directory does, and admin
lists ordered by name follow French order."""

import json

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from actors.models import Actor
from commitments.models import Delivery
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    DeliveryFactory,
    MeasureFactory,
    TerritoryFactory,
)
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def named():
    territory = TerritoryFactory(name="Métropole Européenne de Lille")
    eclaircie = ActorFactory(name="Collectif Éclaircie Oise", territory=territory)
    prefecture = ActorFactory(name="Prefecture du Nord", territory=territory)
    ActorFactory(name="Trait d’union", territory=territory)
    measure = MeasureFactory(name="Hébergement d’urgence")
    commitment = CommitmentFactory(
        actor=eclaircie, measure=measure, title="Créer 20 places à Beauvais"
    )
    CommitmentFactory(actor=prefecture, measure=measure, title="Ouvrir un accueil de jour")
    DeliveryFactory(commitment=commitment, comment="Livré en SEPTEMBRE, après travaux")
    return commitment


def changelist(client, model, term):
    """The objects a changelist shows for a search."""
    response = client.get(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"), {"q": term}
    )
    assert response.status_code == 200
    return [str(obj) for obj in response.context["cl"].result_list]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("eclaircie", ["Collectif Éclaircie Oise"]),
        ("ÉCLAIRCIE", ["Collectif Éclaircie Oise"]),
        ("préfecture", ["Prefecture du Nord"]),
        ("trait d'union", ["Trait d’union"]),
    ],
)
def test_actor_admin_search_forgives_accents_and_case(staff_client, named, term, expected):
    assert changelist(staff_client, Actor, term) == expected


@pytest.mark.parametrize("term", ["creer beauvais", "ÉCLAIRCIE", "CRÉER 20 PLACES"])
def test_commitment_admin_search_forgives_accents_and_case(staff_client, named, term):
    assert changelist(staff_client, type(named), term) == ["Créer 20 places à Beauvais"]


@pytest.mark.parametrize("term", ["eclaircie", "creer", "livre septembre", "apres"])
def test_delivery_admin_search_forgives_accents_and_case(staff_client, named, term):
    assert changelist(staff_client, Delivery, term) == [str(named.deliveries.get())]


@pytest.mark.parametrize(
    ("model_label", "term", "expected"),
    [
        ("strategy.territory", "metropole europeenne", ["Métropole Européenne de Lille"]),
        ("strategy.measure", "hebergement d'urgence", ["Hébergement d’urgence"]),
    ],
)
def test_strategy_admin_searches_forgive_accents_and_case(
    staff_client, named, model_label, term, expected
):
    assert changelist(staff_client, apps.get_model(model_label), term) == expected


def test_admin_search_matches_percent_literally(staff_client, named):
    assert changelist(staff_client, Actor, "%") == []


def test_every_domain_admin_folds_its_text_search_fields():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"strategy", "actors", "commitments"}:
            continue
        fields = model_admin.get_search_fields(None)
        assert fields, model
        assert any(name.endswith("__fold_contains") for name in fields), model


def test_admin_autocomplete_forgives_accents(staff_client, named):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "eclaircie",
            "app_label": "commitments",
            "model_name": "commitment",
            "field_name": "actor",
        },
    )
    assert [r["text"] for r in json.loads(response.content)["results"]] == [
        "Collectif Éclaircie Oise"
    ]


def test_actor_admin_lists_names_in_french_order(staff_client, named):
    assert changelist(staff_client, Actor, "") == [
        "Collectif Éclaircie Oise",
        "Prefecture du Nord",
        "Trait d’union",
    ]


@pytest.mark.parametrize(
    ("model_name", "pinned", "searched"),
    [
        ("actors_actor", 9, 10),
        # Its results are counted in the query of its totals (totals_and_count()).
        ("commitments_commitment", 12, 12),
        ("commitments_delivery", 11, 12),
    ],
)
def test_admin_search_costs_the_plain_changelist_s_pinned_queries_plus_the_total(
    staff_client, named, model_name, pinned, searched
):
    # The plain list counts once (its total is its result count); a search counts its
    # results, then the whole table for « (N au total) »: one query more, however many
    # fields and relations it searches, unless the list counts its results with a query
    # it runs anyway.
    address = reverse(f"admin:{model_name}_changelist")
    count_queries(staff_client, address)  # warms the content-type cache
    assert count_queries(staff_client, address) == pinned
    assert count_queries(staff_client, f"{address}?q=eclaircie") == searched


def test_contact_and_anonymous_cannot_search_the_admin(client, contact_a, named):
    address = reverse("admin:actors_actor_changelist") + "?q=eclaircie"
    assert client.get(address).status_code == 302
    client.force_login(contact_a)
    response = client.get(address)
    assert response.status_code == 302 and "/login/" in response["Location"]

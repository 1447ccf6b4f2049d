"""The facts of the press release of 10 July 2020, and nothing else.

The README gives their totals under "Other commands" (after `load_forum` alone).
"""

import datetime
from decimal import Decimal

from django.db import transaction

from actors.models import Actor, Forum
from commitments.models import Commitment, Delivery
from strategy.models import Issue, Measure, Territory
from strategy.units import Unit

PRESS_RELEASE_DATE = datetime.date(2020, 7, 10)

REGION = ("region", "32", "Hauts-de-France", "hauts-de-france", None)
TERRITORIES = [
    REGION,
    ("departement", "02", "Aisne", "aisne", "32"),
    ("departement", "59", "Nord", "nord", "32"),
    ("departement", "60", "Oise", "oise", "32"),
    ("departement", "62", "Pas-de-Calais", "pas-de-calais", "32"),
    ("departement", "80", "Somme", "somme", "32"),
    ("epci", "200093201", "Métropole Européenne de Lille", "metropole-europeenne-de-lille", "59"),
]

ISSUES = [
    (
        "urgence-sociale",
        "Urgence sociale",
        "Continuer à mettre à l'abri tous ceux qui en ont besoin et soutenir les acteurs "
        "associatifs de l'aide alimentaire.",
    ),
    (
        "enjeu-educatif",
        "Enjeu éducatif",
        "Faire de l'été un acte réparateur des processus de décrochage accélérés pendant "
        "le confinement.",
    ),
    (
        "enjeu-insertion",
        "Enjeu d'insertion",
        "Renforcer l'accompagnement des personnes les plus éloignées de l'emploi, notamment "
        "par l'insertion par l'activité économique (IAE).",
    ),
    (
        "leviers-transversaux",
        "Leviers transversaux",
        "Contractualisation entre l'État et les collectivités, appel à expérimentations : "
        "ce qui sert les trois enjeux.",
    ),
]

# (issue slug, measure slug, name, unit)
MEASURES = [
    (
        "urgence-sociale",
        "places-hebergement-urgence",
        "Places d'hébergement d'urgence supplémentaires",
        Unit.PLACES,
    ),
    (
        "urgence-sociale",
        "cheques-urgence-alimentaires",
        "Chèques d'urgence alimentaires",
        Unit.EUROS,
    ),
    ("enjeu-educatif", "ecoles-ouvertes", "Écoles ouvertes", Unit.PERSONS),
    ("enjeu-educatif", "vacances-apprenantes", "Vacances apprenantes", Unit.PERSONS),
    ("enjeu-educatif", "quartiers-d-ete", "Quartiers d'été", Unit.PERSONS),
    (
        "enjeu-insertion",
        "places-insertion-activite-economique",
        "Places supplémentaires en chantiers et entreprises d'insertion (IAE)",
        Unit.PLACES,
    ),
    (
        "leviers-transversaux",
        "contractualisation-etat-departements",
        "Contractualisation État – départements",
        Unit.EUROS,
    ),
    (
        "leviers-transversaux",
        "extension-contractualisation",
        "Élargissement de la contractualisation au conseil régional et aux métropoles",
        Unit.EUROS,
    ),
    (
        "leviers-transversaux",
        "appel-experimentations-regional",
        "Appel à expérimentations régional (décrochage, fractures numériques, isolement)",
        Unit.EUROS,
    ),
]

PREFECTURE = "prefecture-region-hauts-de-france"
# (slug, name, kind, territory code or None)
ACTORS = [
    (PREFECTURE, "Préfecture de la région Hauts-de-France", Actor.Kind.STATE, "32"),
    (
        "diplp",
        "Délégation interministérielle à la prévention et à la lutte contre la pauvreté (DIPLP)",
        Actor.Kind.STATE,
        None,
    ),
    (
        "conseil-departemental-aisne",
        "Conseil départemental de l'Aisne",
        Actor.Kind.DEPARTEMENT,
        "02",
    ),
    ("conseil-departemental-nord", "Conseil départemental du Nord", Actor.Kind.DEPARTEMENT, "59"),
    ("conseil-departemental-oise", "Conseil départemental de l'Oise", Actor.Kind.DEPARTEMENT, "60"),
    (
        "conseil-departemental-pas-de-calais",
        "Conseil départemental du Pas-de-Calais",
        Actor.Kind.DEPARTEMENT,
        "62",
    ),
    (
        "conseil-departemental-somme",
        "Conseil départemental de la Somme",
        Actor.Kind.DEPARTEMENT,
        "80",
    ),
    (
        "conseil-regional-hauts-de-france",
        "Conseil régional des Hauts-de-France",
        Actor.Kind.REGION,
        "32",
    ),
    (
        "metropole-europeenne-de-lille",
        "Métropole Européenne de Lille",
        Actor.Kind.INTERCOMMUNALITY,
        "200093201",
    ),
]

FORUM_SLUG = "forum-regional-2020-07-10"

# (measure slug, year, title, planned, delivered, delivered on, status, quote)
COMMITMENTS = [
    (
        "places-hebergement-urgence",
        2020,
        "Près de 3 000 places d'hébergement supplémentaires ouvertes pendant le confinement",
        Decimal(3000),
        Decimal(3000),
        PRESS_RELEASE_DATE,
        Commitment.Status.COMPLETED,
    ),
    (
        "cheques-urgence-alimentaires",
        2020,
        "Près d'1,5 M€ de chèques d'urgence alimentaires mobilisés",
        Decimal(1_500_000),
        Decimal(1_500_000),
        PRESS_RELEASE_DATE,
        Commitment.Status.COMPLETED,
    ),
    (
        "places-insertion-activite-economique",
        2020,
        "Plus de 1 000 places supplémentaires de chantiers et entreprises d'insertion",
        Decimal(1000),
        Decimal(0),
        None,
        Commitment.Status.PLANNED,
    ),
    (
        "contractualisation-etat-departements",
        2019,
        "Contractualisation État – conseils départementaux : 10 M€ mobilisés en 2019",
        Decimal(10_000_000),
        Decimal(10_000_000),
        datetime.date(2019, 12, 31),
        Commitment.Status.COMPLETED,
    ),
    (
        "contractualisation-etat-departements",
        2020,
        "Contractualisation État – conseils départementaux : doublement à 20 M€ en 2020",
        Decimal(20_000_000),
        Decimal(0),
        None,
        Commitment.Status.PLANNED,
    ),
    (
        "appel-experimentations-regional",
        2020,
        "Appel à expérimentations régional de 800 000 €",
        Decimal(800_000),
        Decimal(0),
        None,
        Commitment.Status.IN_PROGRESS,
    ),
]


@transaction.atomic
def load_forum():
    """Load the press release's facts; a second run finds everything and writes nothing.

    Returns the number of rows created.
    """
    created = 0

    def get_or_create(model, defaults=None, **keys):
        nonlocal created
        obj, was_created = model.objects.get_or_create(defaults=defaults or {}, **keys)
        created += was_created
        return obj

    territories = {}
    for level, code, name, slug, parent in TERRITORIES:
        territories[code] = get_or_create(
            Territory,
            level=level,
            code=code,
            defaults={"name": name, "slug": slug, "parent": territories.get(parent)},
        )
    issues = {}
    for position, (slug, name, summary) in enumerate(ISSUES, start=1):
        issues[slug] = get_or_create(
            Issue, slug=slug, defaults={"name": name, "summary": summary, "position": position}
        )
    measures = {}
    for position, (issue, slug, name, unit) in enumerate(MEASURES, start=1):
        measures[slug] = get_or_create(
            Measure,
            slug=slug,
            defaults={"issue": issues[issue], "name": name, "unit": unit, "position": position},
        )
    actors = []
    for slug, name, kind, territory in ACTORS:
        actors.append(
            get_or_create(
                Actor,
                slug=slug,
                defaults={
                    "name": name,
                    "kind": kind,
                    "is_public_sector": True,
                    "is_institutional": True,
                    "territory": territories.get(territory),
                },
            )
        )
    forum = get_or_create(
        Forum,
        slug=FORUM_SLUG,
        defaults={
            "title": "Forum régional des acteurs de la stratégie de prévention et de lutte "
            "contre la pauvreté",
            "date": PRESS_RELEASE_DATE,
            "is_online": True,
            "description": "Plus de 70 acteurs de terrain réunis en ligne autour du préfet "
            "de région.",
        },
    )
    missing = {a.pk for a in actors} - set(forum.participants.values_list("pk", flat=True))
    if missing:
        forum.participants.add(*missing)
        created += len(missing)

    prefecture = actors[0]
    for slug, year, title, planned, delivered, delivered_on, status in COMMITMENTS:
        commitment = get_or_create(
            Commitment,
            actor=prefecture,
            measure=measures[slug],
            territory=territories["32"],
            year=year,
            defaults={"title": title, "planned_amount": planned, "status": status},
        )
        if delivered and not commitment.deliveries.exists():
            get_or_create(
                Delivery,
                commitment=commitment,
                date=delivered_on,
                amount=delivered,
                defaults={
                    "status": Delivery.Status.VALIDATED,
                    "reviewed_at": commitment.created_at,
                    "comment": "Chiffre du communiqué de presse du 10/07/2020.",
                },
            )
            commitment.refresh_delivered_amount()
    return created

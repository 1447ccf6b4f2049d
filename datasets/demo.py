"""Clearly fictional data on top of the press release's, for the demo and for benchmarks.

At scale 1: actors up to 72 in all, about 300 commitments and 1 500 deliveries over the
measures, the five départements and 2019–2022, in every status, and two reporting
campaigns, a closed one and an open one (datasets/demo_campaigns.py). `scale` multiplies every
volume; the same seed gives the same data. Rows are bulk-inserted, each with its history
entry (created, by no one, reason DEMO_REASON), as the rest of the project's writes.

Statuses follow the rules (Commitment.status_errors) by construction: each is derived
from the commitment's validated deliveries. Cancelled ones have their validated
deliveries withdrawn and those awaiting review returned, as Commitment.change_status
does. Then, on purpose, LEGACY_INCONSISTENT rows (one per rule, whatever the scale) are
made to break them, as data written before the rules would: they are what the admin's
"Incohérences" filter and `check_statuses` show.
"""

import csv
import datetime
import io
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history
from tqdm import tqdm

from actors.models import Actor, Forum, Membership
from actors.roles import AGENTS, MANAGERS, attach_to_territory, find_territory, setup_roles
from commitments.models import CANCELLED_REASON, Commitment, Delivery
from datasets.demo_campaigns import demo_campaigns, load_demo_campaigns
from datasets.forum_2020 import FORUM_SLUG
from public.cache import figures_changed
from strategy.models import Measure, Territory
from strategy.units import Unit

DEMO_PREFIX = "demo-"
DEMO_PASSWORD = "demo-pauvrete-2020"
ACTORS_IN_ALL = 72
COMMITMENTS_PER_SCALE = 300
YEARS = [2019, 2020, 2021, 2022]
CHUNK = 2_000
DEMO_REASON = "Données fictives de démonstration (load_demo)"

# (username, first name, last name, role)
DEMO_ACCOUNTS = [
    ("agent.demo", "Agathe", "Agent (démo)", AGENTS),
    ("agent.nord", "Nadia", "Agente du Nord (démo)", AGENTS),
    ("gestionnaire.demo", "Gaston", "Gestionnaire (démo)", MANAGERS),
    ("referent.a", "Alice", "Référente A (démo)", None),
    ("referent.b", "Bruno", "Référent B (démo)", None),
]
# The staff's territories (actors.scopes), by code: the regional team sees everything,
# the Nord agent only the Nord (where referent.a's actor is).
DEMO_TERRITORIES = {"agent.demo": "32", "agent.nord": "59", "gestionnaire.demo": "32"}

_KINDS = [
    (Actor.Kind.ASSOCIATION, "Association", False),
    (Actor.Kind.ASSOCIATION, "Collectif", False),
    (Actor.Kind.INSERTION, "Atelier d'insertion", False),
    (Actor.Kind.INSERTION, "Entreprise d'insertion", False),
    (Actor.Kind.COMMUNE, "CCAS de la commune", True),
    (Actor.Kind.PUBLIC_BODY, "Établissement public", True),
    (Actor.Kind.FOUNDATION, "Fondation", False),
    (Actor.Kind.COMPANY, "Société coopérative", False),
    (Actor.Kind.INTERCOMMUNALITY, "Communauté de communes", True),
]
_WORDS = [
    "Horizon",
    "Solidarité",
    "Entraide",
    "Passerelle",
    "Renouveau",
    "Tremplin",
    "Boussole",
    "Éclaircie",
    "Cap Avenir",
    "Main tendue",
    "Trait d'union",
    "Fil rouge",
    "Clé de voûte",
]
# Planned amounts are drawn in these ranges, per unit.
_PLANNED = {
    Unit.EUROS: (10_000, 900_000, 1_000),
    Unit.PLACES: (5, 250, 1),
    Unit.PERSONS: (20, 1_500, 1),
    Unit.HOUSEHOLDS: (10, 600, 1),
    Unit.PROJECTS: (1, 20, 1),
}
CANCELLED_SHARE = 0.10
# Below target, a commitment is closed as Réalisé with one of these notes this often.
CLOSED_BELOW_SHARE = 0.35
_CLOSING_NOTES = [
    "Public accueilli moins nombreux que prévu : le dispositif a été clos à l'échéance.",
    "Cofinancement non obtenu : l'action a été réduite et close en fin d'année.",
    "Locaux disponibles plus tard que prévu : la montée en charge n'a pu être achevée.",
    "Relais pris par un autre dispositif du territoire pour le reste de l'objectif.",
]
# The rows made to break the rules, one per rule of Commitment.objects.inconsistent().
LEGACY_INCONSISTENT = 4
_DELIVERY_STATUSES = [
    (Delivery.Status.VALIDATED, 70),
    (Delivery.Status.REPORTED, 20),
    (Delivery.Status.RETURNED, 8),
    # Last, and carved out of the returned ones, so that the random draws, and every other
    # row, stay those of before it existed.
    (Delivery.Status.RETRACTED, 2),
]
_DRAWS_A_REASON = (Delivery.Status.RETURNED, Delivery.Status.RETRACTED)
_RETURN_REASONS = [
    "Merci de joindre le justificatif de dépense.",
    "Le montant ne correspond pas au bilan transmis : pouvez-vous vérifier ?",
    "La date indiquée précède la signature de la convention.",
]


def demo_exists():
    return Actor.objects.filter(slug__startswith=DEMO_PREFIX).exists()


@transaction.atomic
def remove_demo():
    demo_actors = Actor.objects.filter(slug__startswith=DEMO_PREFIX)
    demo_campaigns(DEMO_REASON).delete()
    Delivery.objects.filter(commitment__actor__in=demo_actors).delete()
    Commitment.objects.filter(actor__in=demo_actors).delete()
    demo_actors.delete()
    get_user_model().objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS]).delete()


@transaction.atomic
def load_demo(*, seed=2020, scale=1, progress=None):
    """Returns {"actors": n, "commitments": n, "deliveries": n, "campaigns": n}."""
    rng = random.Random(seed)
    territories = list(Territory.objects.filter(level=Territory.Level.DEPARTEMENT).order_by("code"))
    measures = list(Measure.objects.order_by("pk"))
    if not territories or not measures:
        raise ValueError("Chargez d'abord le forum : python manage.py load_forum")

    existing = Actor.objects.exclude(slug__startswith=DEMO_PREFIX).count()
    actors = _create_with_history(
        Actor, _demo_actors(rng, territories, max(ACTORS_IN_ALL - existing, 2) * scale)
    )
    forum = Forum.objects.filter(slug=FORUM_SLUG).first()
    if forum and scale == 1:
        forum.participants.add(*actors)

    today = timezone.localdate()
    total = COMMITMENTS_PER_SCALE * scale
    counts = {"actors": len(actors), "commitments": 0, "deliveries": 0}
    bar = tqdm(total=total, unit=" engagements", disable=None if progress else True)
    for start in range(0, total, CHUNK):
        size = min(CHUNK, total - start)
        commitments = [
            _demo_commitment(
                rng,
                actors[(start + i) % len(actors)]
                if start + i < len(actors)
                else rng.choice(actors),
                measures,
                territories,
            )
            for i in range(size)
        ]
        deliveries = []
        for commitment in commitments:
            made = _demo_deliveries(rng, commitment, today)
            deliveries.append(_settle_status(rng, commitment, made))
        if start == 0:
            _break_rules(commitments, deliveries)
        _create_with_history(Commitment, commitments)
        rows = [
            (commitment.pk, *made_row)
            for commitment, made in zip(commitments, deliveries, strict=True)
            for made_row in made
        ]
        _insert_deliveries(rows, reported_at=timezone.now())
        counts["commitments"] += len(commitments)
        counts["deliveries"] += len(rows)
        bar.update(size)
    bar.close()
    _demo_accounts(actors)
    # Through the domain's methods, report by report: at scale 1 only (as the forum's
    # participants), where a demo is looked at, not where a benchmark needs volume.
    counts["campaigns"] = (
        load_demo_campaigns(seed=seed, usernames=[a[0] for a in DEMO_ACCOUNTS], reason=DEMO_REASON)
        if scale == 1
        else 0
    )
    figures_changed()  # bulk inserts send no post_save signal
    _analyze(Actor, Commitment, Delivery)
    return counts


def _analyze(*models):
    """PostgreSQL: fresh planner statistics on the tables just filled. Until autovacuum
    comes by (never where it is off) the planner knows nothing of the rows bulk-written
    here, and at scale 400 the admin lists took a second or more for lack of it."""
    if connection.vendor != "postgresql":
        return
    tables = [model._meta.db_table for model in models]
    tables += [model.history.model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(map(connection.ops.quote_name, tables))}")


def _demo_actors(rng, territories, count):
    actors = []
    for index in range(1, count + 1):
        kind, prefix, public = _KINDS[index % len(_KINDS)]
        territory = territories[index % len(territories)]
        name = f"{prefix} {rng.choice(_WORDS)} {territory.name} n° {index} (fictif)"
        actors.append(
            Actor(
                name=name,
                slug=f"{DEMO_PREFIX}{index}",
                kind=kind,
                is_public_sector=public,
                is_institutional=public,
                territory=territory,
                description="Acteur fictif, créé pour la démonstration.",
            )
        )
    return actors


def _weighted(rng, choices):
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _demo_commitment(rng, actor, measures, territories):
    measure = rng.choice(measures)
    low, high, step = _PLANNED[Unit(measure.unit)]
    year = rng.choice(YEARS)
    return Commitment(
        actor=actor,
        measure=measure,
        territory=actor.territory if rng.random() < 0.8 else rng.choice(territories),
        year=year,
        title=f"{measure.name.split(' (')[0]} {year} (fictif)",
        planned_amount=Decimal(rng.randrange(low, high + 1, step)),
        status=Commitment.Status.CANCELLED
        if rng.random() < CANCELLED_SHARE
        else Commitment.Status.PLANNED,
        is_public=rng.random() < 0.85,
    )


def _validated(made):
    return sum((d[1] for d in made if d[2] == Delivery.Status.VALIDATED), Decimal(0))


def _settle_status(rng, commitment, made):
    """The status the rules give this commitment's deliveries; returns the deliveries,
    set aside as cancelling sets them if it is cancelled."""
    Status = Commitment.Status
    if commitment.status == Status.CANCELLED:
        moves = {
            Delivery.Status.VALIDATED: Delivery.Status.WITHDRAWN,
            Delivery.Status.REPORTED: Delivery.Status.RETURNED,
        }
        made = [
            (date, amount, moves[status], reviewed_at or _reviewed(date), CANCELLED_REASON)
            if status in moves
            else (date, amount, status, reviewed_at, reason)
            for date, amount, status, reviewed_at, reason in made
        ]
        commitment.delivered_amount = Decimal(0)
        return made
    delivered = _validated(made)
    commitment.delivered_amount = delivered
    if not delivered:
        commitment.status = Status.PLANNED if rng.random() < 0.8 else Status.IN_PROGRESS
    elif delivered >= commitment.planned_amount:
        commitment.status = Status.COMPLETED
    elif rng.random() < CLOSED_BELOW_SHARE:
        commitment.status = Status.COMPLETED
        commitment.closing_note = rng.choice(_CLOSING_NOTES)
    else:
        commitment.status = Status.IN_PROGRESS
    return made


def _break_rules(commitments, deliveries):
    """LEGACY_INCONSISTENT rows, as written before the rules: Prévu with validated
    deliveries; Réalisé below target without a closing note; Annulé with its validated
    deliveries still counted; a delivered amount that counts a delivery twice (on a
    non-public commitment, so that the public pages stay what the rest of the data says)."""
    Status = Commitment.Status
    candidates = iter(
        (commitment, made)
        for commitment, made in zip(commitments, deliveries, strict=True)
        if commitment.status == Status.IN_PROGRESS
        and 0 < commitment.delivered_amount < commitment.planned_amount
    )
    commitment, _made = next(candidates)
    commitment.status = Status.PLANNED
    commitment, _made = next(candidates)
    commitment.status = Status.COMPLETED
    commitment, _made = next(candidates)
    commitment.status = Status.CANCELLED
    commitment, made = next(candidates)
    commitment.is_public = False
    commitment.delivered_amount += next(d[1] for d in made if d[2] == Delivery.Status.VALIDATED)


def _reviewed(date):
    return datetime.datetime.combine(
        date + datetime.timedelta(days=7), datetime.time(10), tzinfo=datetime.UTC
    )


def _demo_deliveries(rng, commitment, today):
    count = rng.randint(0, 10)
    if not count:
        return []
    whole = Unit(commitment.measure.unit).is_whole
    share = commitment.planned_amount * Decimal(rng.uniform(0.3, 1.1)) / count
    share = share.quantize(Decimal(1) if whole else Decimal("0.01"))
    share = max(share, Decimal(1))
    last_day = min(datetime.date(commitment.year, 12, 31), today)
    first_day = datetime.date(commitment.year, 1, 1)
    made = []
    for _ in range(count):
        status = _weighted(rng, _DELIVERY_STATUSES)
        date = first_day + datetime.timedelta(days=rng.randrange((last_day - first_day).days + 1))
        reviewed_at = _reviewed(date)
        # Drawn for a retracted one too, though unused: the same draws as before.
        reason = rng.choice(_RETURN_REASONS) if status in _DRAWS_A_REASON else ""
        never_reviewed = status in (Delivery.Status.REPORTED, Delivery.Status.RETRACTED)
        made.append(
            (
                date,
                share,
                status,
                None if never_reviewed else reviewed_at,
                reason if status == Delivery.Status.RETURNED else "",
            )
        )
    return made


DELIVERY_COLUMNS = [
    "commitment_id",
    "date",
    "amount",
    "status",
    "reviewed_at",
    "return_reason",
    "comment",
    "reported_at",
]
DEMO_COMMENT = "Réalisation fictive (démo)."


def _reported_at(row, now):
    """When a demo delivery was declared: two days after its date (before its review,
    a week after), or, for one still waiting or retracted, within the last 30 days, so
    that the review queue shows ages. From the row alone: no random draw is added."""
    commitment_id, date, _amount, status = row[:4]
    if status in (Delivery.Status.REPORTED, Delivery.Status.RETRACTED):
        hours = (commitment_id * 131 + date.toordinal() * 17) % (30 * 24)
        return now - datetime.timedelta(hours=hours)
    declared = datetime.datetime.combine(
        date + datetime.timedelta(days=2), datetime.time(9), tzinfo=datetime.UTC
    )
    return min(declared, now)


def _insert_deliveries(rows, *, reported_at):
    """Rows of (commitment id, date, amount, status, reviewed at, return reason); each
    declared at _reported_at(), its history written at `reported_at` (the load).

    On PostgreSQL through COPY, several times faster than INSERT for the hundreds of
    thousands of rows of a large demo, then their history in one INSERT … SELECT;
    elsewhere through simple-history's bulk_create_with_history.
    """
    if connection.vendor != "postgresql":
        bulk_create_with_history(
            [
                Delivery(
                    **dict(
                        zip(
                            DELIVERY_COLUMNS,
                            (*row, DEMO_COMMENT, _reported_at(row, reported_at)),
                            strict=True,
                        )
                    )
                )
                for row in rows
            ],
            Delivery,
            batch_size=CHUNK,
            default_change_reason=DEMO_REASON,
            default_date=reported_at,
        )
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([*row, DEMO_COMMENT, _reported_at(row, reported_at).isoformat()])
    buffer.seek(0)
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {table} ({', '.join(DELIVERY_COLUMNS)}) FROM STDIN "
            "WITH (FORMAT csv, FORCE_NOT_NULL (return_reason, comment))",
            buffer,
        )
    _insert_history(Delivery, "commitment_id", {row[0] for row in rows}, at=reported_at)


def _create_with_history(model, objs):
    """simple-history's bulk_create_with_history, on PostgreSQL without its Python cost.

    Building the history rows in Python took a third of load_demo's time at scale 160;
    there one INSERT … SELECT writes the same rows (created, by no one, DEMO_REASON).
    """
    if connection.vendor != "postgresql":
        return bulk_create_with_history(
            objs, model, batch_size=CHUNK, default_change_reason=DEMO_REASON
        )
    created = model.objects.bulk_create(objs, batch_size=CHUNK)
    _insert_history(model, "id", [obj.pk for obj in created], at=timezone.now())
    return created


def _insert_history(model, column, values, *, at):
    """PostgreSQL: the history entry of each row of `model` whose `column` is in `values`,
    as simple-history's bulk_history_create writes it, in one statement."""
    history = model.history.model
    columns = [history._meta.get_field(f.name).column for f in history.tracked_fields]
    quoted = ", ".join(connection.ops.quote_name(name) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {history._meta.db_table} ({quoted}, history_date, "
            "history_change_reason, history_type, history_user_id) "
            f"SELECT {quoted}, %s, %s, '+', NULL FROM {model._meta.db_table} "
            f"WHERE {connection.ops.quote_name(column)} = ANY(%s)",
            [at, DEMO_REASON, sorted(values)],
        )


def _demo_accounts(actors):
    User = get_user_model()
    setup_roles()  # the demo's agent and manager need their groups, whatever ran before
    groups = {g.name: g for g in Group.objects.filter(name__in=[AGENTS, MANAGERS])}
    for username, first_name, last_name, role in DEMO_ACCOUNTS:
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@exemple.invalid",
            is_staff=role is not None,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        if role is not None:
            user.groups.add(groups[role])
            territory = find_territory(DEMO_TERRITORIES[username])
            if territory is not None:
                attach_to_territory(user, territory)
    users = {u.username: u for u in User.objects.filter(username__in=["referent.a", "referent.b"])}
    bulk_create_with_history(
        [
            Membership(user=users["referent.a"], actor=actors[0]),
            Membership(user=users["referent.b"], actor=actors[1]),
        ],
        Membership,
        default_change_reason=DEMO_REASON,
    )

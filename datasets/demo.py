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

import bisect
import contextlib
import csv
import dataclasses
import datetime
import functools
import io
import itertools
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
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
_DELIVERY_STATUS_DRAW = (
    [status for status, _weight in _DELIVERY_STATUSES],
    list(itertools.accumulate(weight for _status, weight in _DELIVERY_STATUSES)),
)
_DRAWS_A_REASON = frozenset([Delivery.Status.RETURNED, Delivery.Status.RETRACTED])
_NEVER_REVIEWED = frozenset([Delivery.Status.REPORTED, Delivery.Status.RETRACTED])
_RETURNED = Delivery.Status.RETURNED
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

    now = timezone.now()
    today = timezone.localdate(now)
    counts = {"commitments": 0, "deliveries": 0}
    with _secondary_indexes_built_after(Actor, Commitment, Delivery):
        existing = Actor.objects.exclude(slug__startswith=DEMO_PREFIX).count()
        actors = _create_with_history(
            Actor, _demo_actors(rng, territories, max(ACTORS_IN_ALL - existing, 2) * scale)
        )
        counts["actors"] = len(actors)
        total = COMMITMENTS_PER_SCALE * scale
        bar = tqdm(total=total, unit=" engagements", disable=None if progress else True)
        chunks = _demo_chunks(rng, actors, measures, territories, today, total, bar)
        if connection.vendor == "postgresql":
            counts |= _copy_demo(chunks, total, now=now)
        else:
            for commitments, deliveries in chunks:
                created = bulk_create_with_history(
                    [commitment.as_model() for commitment in commitments],
                    Commitment,
                    batch_size=CHUNK,
                    default_change_reason=DEMO_REASON,
                )
                rows = [
                    (commitment.pk, *made_row)
                    for commitment, made in zip(created, deliveries, strict=True)
                    for made_row in made
                ]
                _create_deliveries(rows, now=now)
                counts["commitments"] += len(commitments)
                counts["deliveries"] += len(rows)
        bar.close()
    forum = Forum.objects.filter(slug=FORUM_SLUG).first()
    if forum and scale == 1:
        forum.participants.add(*actors)
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


@contextlib.contextmanager
def _secondary_indexes_built_after(*models):
    """PostgreSQL: the indexes of the models' tables and of their history that back no
    constraint, and their foreign keys, dropped for the block and created again after it,
    in the same transaction. Building an index once over a million rows, and checking a
    foreign key in one join, is several times faster than updating ten indexes and
    queuing a deferred check row by row; the rows read no index meanwhile. The tables
    are locked (ACCESS EXCLUSIVE) until the load commits; an error rolls the drop back
    with the rest of the load."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models]
    tables += [model.history.model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
            "(SELECT FROM pg_constraint WHERE conindid = indexrelid) ORDER BY 1",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
            "ORDER BY 1, 2",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        # A table whose deferred checks are pending cannot be altered: they run now.
        connection.check_constraints()
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        connection.check_constraints()
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_quote(name)} {definition}")


def _quote(name):
    return connection.ops.quote_name(name)


def _next_id(model):
    """PostgreSQL: the rows of `model` written from now on get this id or a higher one."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}")
        return cursor.fetchone()[0]


def _demo_chunks(rng, actors, measures, territories, today, total, bar):
    """The `total` commitments drawn, CHUNK by CHUNK, as (commitments, their deliveries),
    the first chunk with the LEGACY_INCONSISTENT rows; `bar` counts them."""
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
        yield commitments, deliveries
        bar.update(size)


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


def _weighted(rng, population, cum_weights):
    """rng.choices(population, cum_weights=cum_weights)[0], the very same draw (one
    random(), bisected as choices() does), without choices()' checks and list: it is
    drawn for each of a million deliveries. tests/datasets/test_demo_draws.py holds it
    to choices()."""
    total = cum_weights[-1] + 0.0
    return population[bisect.bisect(cum_weights, rng.random() * total, 0, len(population) - 1)]


@dataclasses.dataclass(slots=True)
class _DemoCommitment:
    """A commitment as load_demo draws it, before it is written: lighter than a model
    instance, of which a large demo builds hundreds of thousands."""

    actor: Actor
    measure: Measure
    territory: Territory
    year: int
    title: str
    planned_amount: Decimal
    status: str
    is_public: bool
    delivered_amount: Decimal = Decimal(0)
    closing_note: str = ""

    def as_row(self, pk, now):
        """Its values in COMMITMENT_COLUMNS' order, as `pk`, created `now`."""
        return (
            pk,
            self.actor.pk,
            self.measure.pk,
            self.territory.pk,
            self.year,
            self.title,
            "",
            self.planned_amount,
            self.delivered_amount,
            self.status,
            self.closing_note,
            self.is_public,
            now,
            now,
        )

    def as_model(self):
        return Commitment(**{f.name: getattr(self, f.name) for f in dataclasses.fields(self)})


def _demo_commitment(rng, actor, measures, territories):
    measure = rng.choice(measures)
    low, high, step = _PLANNED[Unit(measure.unit)]
    year = rng.choice(YEARS)
    return _DemoCommitment(
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


@functools.cache  # a few hundred days, hundreds of thousands of deliveries
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
    days = (last_day - first_day).days + 1
    made = []
    for _ in range(count):
        status = _weighted(rng, *_DELIVERY_STATUS_DRAW)
        date = first_day + datetime.timedelta(days=rng.randrange(days))
        # Drawn for a retracted one too, though unused: the same draws as before.
        reason = rng.choice(_RETURN_REASONS) if status in _DRAWS_A_REASON else ""
        made.append(
            (
                date,
                share,
                status,
                None if status in _NEVER_REVIEWED else _reviewed(date),
                reason if status == _RETURNED else "",
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
    if status in _NEVER_REVIEWED:
        hours = (commitment_id * 131 + date.toordinal() * 17) % (30 * 24)
        return now - datetime.timedelta(hours=hours)
    return min(_declared(date), now)


@functools.cache
def _declared(date):
    return datetime.datetime.combine(
        date + datetime.timedelta(days=2), datetime.time(9), tzinfo=datetime.UTC
    )


def _copy_demo(chunks, total, *, now):
    """PostgreSQL: the commitments and deliveries of `chunks` (_demo_chunks), created
    `now`, and their history; returns {"commitments": n, "deliveries": n}.

    The deliveries go through one COPY that reads each chunk as it is drawn: the
    database writes a chunk while Python draws the next (two processes, two cores).
    Several times faster than INSERT, for the million rows of a large demo. The
    commitments, whose ids are taken from their sequence beforehand, follow in a second
    COPY (no foreign key is checked before the end of the load), then the history of
    both, each in one INSERT … SELECT."""
    first_delivery = _next_id(Delivery)
    table = Commitment._meta.db_table
    with connection.cursor() as cursor:
        # `total` ids in a row, taken at once: the table is locked until the load commits
        # (_secondary_indexes_built_after), no other session takes one meanwhile.
        cursor.execute(
            "SELECT setval(sequence, nextval(sequence) + %s - 1) "
            "FROM pg_get_serial_sequence(%s, 'id') AS sequence",
            [total, table],
        )
        last = cursor.fetchone()[0]
    allocated = range(last - total + 1, last + 1)
    ids = iter(allocated)
    counts = {"commitments": 0, "deliveries": 0}
    commitments_csv = io.StringIO()
    commitment_writer = csv.writer(commitments_csv)

    def delivery_csv():
        for commitments, deliveries in chunks:
            text = io.StringIO()
            writer = csv.writer(text)
            for commitment, made in zip(commitments, deliveries, strict=True):
                pk = next(ids)
                commitment_writer.writerow(commitment.as_row(pk, now))
                for row in made:
                    row = (pk, *row)
                    writer.writerow((*row, DEMO_COMMENT, _reported_at(row, now).isoformat()))
                counts["deliveries"] += len(made)
            counts["commitments"] += len(commitments)
            yield text.getvalue()

    _copy(Delivery, DELIVERY_COLUMNS, delivery_csv(), not_null=["return_reason", "comment"])
    _copy(
        Commitment,
        COMMITMENT_COLUMNS,
        [commitments_csv.getvalue()],
        not_null=["description", "closing_note"],
    )
    if allocated:
        _insert_history(Commitment, allocated[0], at=now)
    _insert_history(Delivery, first_delivery, at=now)
    return counts


class _Stream:
    """What COPY … FROM STDIN reads: `texts`, one after the other, each when asked."""

    def __init__(self, texts):
        self._texts = (text for text in texts if text)  # an empty text ends the COPY

    def read(self, size=-1):
        return next(self._texts, "")


def _copy(model, columns, texts, *, not_null):
    """PostgreSQL: the CSV `texts` written into the table of `model` through COPY. An
    empty field is NULL but in the `not_null` columns, where it is an empty text."""
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN "
            f"WITH (FORMAT csv, FORCE_NOT_NULL ({', '.join(not_null)}))",
            _Stream(texts),
        )


# The columns that _DemoCommitment.as_row() gives, in order.
COMMITMENT_COLUMNS = [
    "id",
    "actor_id",
    "measure_id",
    "territory_id",
    "year",
    "title",
    "description",
    "planned_amount",
    "delivered_amount",
    "status",
    "closing_note",
    "is_public",
    "created_at",
    "updated_at",
]


def _create_deliveries(rows, *, now):
    """Elsewhere than on PostgreSQL: rows of (commitment id, date, amount, status, reviewed
    at, return reason), each declared at _reported_at(), with their history at `now`."""
    bulk_create_with_history(
        [
            Delivery(
                **dict(
                    zip(
                        DELIVERY_COLUMNS,
                        (*row, DEMO_COMMENT, _reported_at(row, now)),
                        strict=True,
                    )
                )
            )
            for row in rows
        ],
        Delivery,
        batch_size=CHUNK,
        default_change_reason=DEMO_REASON,
        default_date=now,
    )


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
    if created:
        _insert_history(model, min(obj.pk for obj in created), at=timezone.now())
    return created


def _insert_history(model, first_id, *, at):
    """PostgreSQL: the history entry of each row of `model` from id `first_id` on, as
    simple-history's bulk_history_create writes it (created at `at`, by no one,
    DEMO_REASON), in one statement."""
    history = model.history.model
    columns = [history._meta.get_field(f.name).column for f in history.tracked_fields]
    quoted = ", ".join(_quote(name) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {history._meta.db_table} ({quoted}, history_date, "
            "history_change_reason, history_type, history_user_id) "
            f"SELECT {quoted}, %s, %s, '+', NULL FROM {model._meta.db_table} "
            "WHERE id >= %s ORDER BY id",
            [at, DEMO_REASON, first_id],
        )


def _demo_accounts(actors):
    User = get_user_model()
    setup_roles()  # the demo's agent and manager need their groups, whatever ran before
    groups = {g.name: g for g in Group.objects.filter(name__in=[AGENTS, MANAGERS])}
    # One hash for the five accounts, which share their (published) password: each
    # hashing takes a quarter of a second, on purpose.
    password = make_password(DEMO_PASSWORD)
    for username, first_name, last_name, role in DEMO_ACCOUNTS:
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@exemple.invalid",
            is_staff=role is not None,
        )
        user.password = password
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

"""Reports: one exporter per report, a column spec and a row generator (after pretix's
exporters). export_writers.py turns the rows into CSV or XLSX; on PostgreSQL,
export_sql.py has the database write the CSV lines of the larger reports."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, NullIf, Round

from actors.models import Actor
from actors.scopes import EVERYTHING, StaffScope, territory_filter
from commitments.models import Commitment, Delivery, delivery_rate
from reports.export_sql import Line, NumberCell, TextCell, WrittenCell, copy_lines
from reports.export_writers import (
    DATE,
    DIALECTS,
    NUMBER,
    RATE,
    TEXT,
    csv_cell,
    csv_chunks,
    csv_header,
    write_xlsx,
)
from strategy.models import Issue, Measure, Territory, areas_under, whole_scope
from strategy.units import Unit

CHUNK = 2000
# Who may download the reports, on /rapports/, in the admin and nowhere else.
PERMISSION = "commitments.export_reports"

STATUSES = tuple(Commitment.Status.choices)
DELIVERY_STATUSES = tuple(Delivery.Status.choices)
KINDS = tuple(Actor.Kind.choices)
UNITS = tuple(Unit.choices)


def yes_no(value):
    return "oui" if value else "non"


# Derived values: the same value computed in Python (a record -> value) and in SQL.


@dataclass(frozen=True)
class YesNo:
    field: str

    def __call__(self, record):
        return yes_no(record[self.field])

    def expression(self):
        return Case(When(**{self.field: True}, then=Value("oui")), default=Value("non"))


@dataclass(frozen=True)
class Rate:
    """delivered / planned to four places, rounded half up as PostgreSQL's round() does;
    None when nothing is planned."""

    planned: str
    delivered: str

    def __call__(self, record):
        return delivery_rate(record[self.planned], record[self.delivered])

    def expression(self):
        # 24 places before rounding: no quotient of two amounts is that close to a tie.
        exact = Cast(F(self.delivered), DecimalField(max_digits=40, decimal_places=24))
        return Round(exact / NullIf(F(self.planned), Value(Decimal(0))), 4)


@dataclass(frozen=True)
class Column:
    """A report column: its header, where its value comes from, how it is written.

    source: a key of the exporter's records, or a function of the record; with
    `choices`, the key's code is written as its French label.
    """

    name: str
    source: str | Callable[[dict], Any]
    kind: str = TEXT
    choices: tuple = ()

    def sql_cell(self, dialect):
        """The cell as the database writes it (export_sql), or None if only Python can."""
        if self.choices:
            cells = [
                When(**{self.source: code}, then=Value(csv_cell(str(label), dialect)))
                for code, label in self.choices
            ]
            return WrittenCell(Case(*cells, default=Value(""), output_field=TextField()), dialect)
        if isinstance(self.source, str):
            value = F(self.source)
        elif hasattr(self.source, "expression"):
            value = self.source.expression()
        else:
            return None
        if self.kind == TEXT:
            return TextCell(value, dialect)
        if self.kind in (NUMBER, RATE):
            return NumberCell(value, dialect)
        return None  # dates and times keep Python's formatting

    def getter(self):
        """A function record -> value, built once per export (labels translated once)."""
        if self.choices:
            labels = {code: str(label) for code, label in self.choices}
            key = self.source
            return lambda record: labels[record[key]]
        if callable(self.source):
            return self.source
        return itemgetter(self.source)


PUBLIC, ALL = "public", "all"
VISIBILITIES = (
    (ALL, "Tous les engagements, publics ou non"),
    (PUBLIC, "Engagements publics seulement (ceux des pages publiques)"),
)


@dataclass
class ReportFilters:
    """The reports' filters; None means no filter."""

    issue: Issue | None = None
    measure: Measure | None = None
    territory: Territory | None = None
    year: int | None = None
    actor_kind: str | None = None
    status: str | None = None
    # "public": only the commitments the public pages show; "all": public or not.
    visibility: str = ALL
    # Whose reports: a member of staff's territory (actors.scopes); the command line's
    # are the whole region's.
    scope: StaffScope = EVERYTHING

    def commitments(self):
        queryset = Commitment.objects.in_scope(self.scope).filtered(
            year=self.year, territory=self.territory, issue=self.issue, measure=self.measure
        )
        if self.visibility == PUBLIC:
            queryset = queryset.public()
        if self.actor_kind:
            queryset = queryset.filter(actor__kind=self.actor_kind)
        if self.status:
            queryset = queryset.filter(status=self.status)
        return queryset


@dataclass
class Exporter:
    name: str = ""
    title: str = ""
    columns: list[Column] = field(default_factory=list)
    # What the rows count, in one sentence for the reports page.
    counts: str = ""

    @property
    def headers(self):
        return [column.name for column in self.columns]

    @property
    def kinds(self):
        return [column.kind for column in self.columns]

    # True where ordered() gives the rows and every column has an SQL cell.
    sql_lines = False

    def csv_chunks(self, queryset, dialect="excel"):
        """The report as CSV text chunks: written by PostgreSQL where it can, or by
        export_writers.csv_chunks; the same text either way."""
        if dialect not in DIALECTS:
            raise ValueError(dialect)
        if self.sql_lines and connection.vendor == "postgresql":
            cells = [column.sql_cell(dialect) for column in self.columns]
            if all(cell is not None for cell in cells):
                lines = self.ordered(queryset).annotate(line=Line(cells, dialect))
                return copy_lines(lines, csv_header(self.headers, dialect))
        return csv_chunks(self.headers, self.rows(queryset), dialect, kinds=self.kinds)

    def xlsx(self, queryset):
        """The report as an XLSX file, open for reading."""
        return write_xlsx(self.headers, self.kinds, self.rows(queryset), self.title)

    def queryset(self, filters: ReportFilters) -> QuerySet:
        raise NotImplementedError

    def records(self, queryset) -> Iterable[dict]:
        raise NotImplementedError

    def ordered(self, queryset) -> QuerySet:
        """The rows in report order, with what the columns need annotated."""
        return queryset.order_by("pk")

    def count(self, filters: ReportFilters) -> int:
        return self.queryset(filters).count()

    def for_selection(self, queryset, scope) -> QuerySet:
        """Rows selected in the admin (already in the user's scope), ready for rows()."""
        return queryset

    def rows(self, queryset) -> Iterator[list]:
        getters = [column.getter() for column in self.columns]
        for record in self.records(queryset):
            yield [get(record) for get in getters]


class CommitmentsExporter(Exporter):
    """`engagements`: one row a commitment, every column, re-importable."""

    def __init__(self):
        super().__init__(
            name="engagements",
            title="Engagements",
            counts=(
                "Un engagement par ligne, annulés compris (colonne « statut ») ; "
                "la colonne « public » dit s'il figure sur les pages publiques."
            ),
            columns=[
                Column("id", "pk", NUMBER),
                Column("enjeu", "measure__issue__name"),
                Column("mesure", "measure__name"),
                Column("unite", "measure__unit", choices=UNITS),
                Column("acteur", "actor__name"),
                Column("acteur_slug", "actor__slug"),
                Column("type_acteur", "actor__kind", choices=KINDS),
                Column("territoire", "territory__name"),
                Column("code_territoire", "territory__code"),
                Column("annee", "year", NUMBER),
                Column("intitule", "title"),
                Column("description", "description"),
                Column("statut", "status", choices=STATUSES),
                Column("note_cloture", "closing_note"),
                Column("public", YesNo("is_public")),
                Column("prevu", "planned_amount", NUMBER),
                Column("realise", "delivered_amount", NUMBER),
                Column("taux_realisation", Rate("planned_amount", "delivered_amount"), RATE),
            ],
        )

    FIELDS = [
        "pk",
        "measure__issue__name",
        "measure__name",
        "measure__unit",
        "actor__name",
        "actor__slug",
        "actor__kind",
        "territory__name",
        "territory__code",
        "year",
        "title",
        "description",
        "status",
        "closing_note",
        "is_public",
        "planned_amount",
        "delivered_amount",
    ]

    sql_lines = True

    def queryset(self, filters):
        return filters.commitments()

    def records(self, queryset):
        return self.ordered(queryset).values(*self.FIELDS).iterator(chunk_size=CHUNK)


class DeliveriesExporter(Exporter):
    """`realisations`: one row a delivery."""

    def __init__(self):
        super().__init__(
            name="realisations",
            title="Réalisations",
            counts=(
                "Une réalisation par ligne, quel que soit son statut (déclarée, validée, "
                "renvoyée, retirée), des engagements retenus ; seules les validées sont comptées "
                "dans le réalisé."
            ),
            columns=[
                Column("id", "pk", NUMBER),
                Column("engagement_id", "commitment_id", NUMBER),
                Column("intitule_engagement", "commitment__title"),
                Column("enjeu", "commitment__measure__issue__name"),
                Column("mesure", "commitment__measure__name"),
                Column("unite", "commitment__measure__unit", choices=UNITS),
                Column("acteur", "commitment__actor__name"),
                Column("type_acteur", "commitment__actor__kind", choices=KINDS),
                Column("territoire", "commitment__territory__name"),
                Column("annee", "commitment__year", NUMBER),
                Column("public", YesNo("commitment__is_public")),
                Column("date", "date", DATE),
                Column("montant", "amount", NUMBER),
                Column("statut", "status", choices=DELIVERY_STATUSES),
                Column("commentaire", "comment"),
                Column("declaree_par", "reported_by__username"),
                Column("declaree_le", "reported_at", DATE),
                Column("examinee_par", "reviewed_by__username"),
                Column("examinee_le", "reviewed_at", DATE),
                Column("motif_renvoi", "return_reason"),
            ],
        )

    FIELDS = [
        "pk",
        "commitment_id",
        "commitment__title",
        "commitment__measure__issue__name",
        "commitment__measure__name",
        "commitment__measure__unit",
        "commitment__actor__name",
        "commitment__actor__kind",
        "commitment__territory__name",
        "commitment__year",
        "commitment__is_public",
        "date",
        "amount",
        "status",
        "comment",
        "reported_by__username",
        "reported_at",
        "reviewed_by__username",
        "reviewed_at",
        "return_reason",
    ]

    def queryset(self, filters):
        return Delivery.objects.filter(commitment__in=filters.commitments())

    def records(self, queryset):
        return queryset.order_by("pk").values(*self.FIELDS).iterator(chunk_size=CHUNK)


class SummaryExporter(Exporter):
    """`synthese`: planned and delivered by issue, measure, territory, year and unit."""

    def __init__(self):
        super().__init__(
            name="synthese",
            title="Synthèse",
            counts=(
                "Prévu et réalisé validé par enjeu, mesure, territoire, année, visibilité "
                "et unité, hors engagements annulés ; « echelon » donne le département où "
                "la ligne compte, ou l'échelon régional ; avec « Engagements publics "
                "seulement », ses totaux sont ceux du tableau de bord pour les mêmes filtres."
            ),
            columns=[
                Column("enjeu", "issue"),
                Column("mesure", "measure"),
                Column("territoire", "territory"),
                Column("echelon", "area"),
                Column("annee", "year", NUMBER),
                Column("public", YesNo("is_public")),
                Column("unite", "unit", choices=UNITS),
                Column("nombre_engagements", "count", NUMBER),
                Column("prevu", "planned", NUMBER),
                Column("realise", "delivered", NUMBER),
                Column("taux_realisation", "rate", RATE),
            ],
        )

    def queryset(self, filters):
        return filters.commitments()

    def count(self, filters):
        return len(self._totals(self.queryset(filters)))

    def _totals(self, queryset):
        return queryset.totals("issue", "measure", "territory", "year", "public")

    def records(self, queryset):
        totals = self._totals(queryset)
        issues = {issue.pk: issue for issue in Issue.objects.all()}
        measures = {measure.pk: measure for measure in Measure.objects.all()}
        tree = list(Territory.objects.all())
        territories = {territory.pk: territory.name for territory in tree}
        scope = whole_scope(tree)
        areas = areas_under(scope, tree)
        units = [unit for unit, _label in UNITS]

        def area(territory_id):
            # The département the row counts in, as the issue pages' breakdown says it.
            if territory_id not in areas:
                return ""  # outside the region
            found = areas[territory_id]
            return found.name if found else str(scope.own_level_label)

        def order(row):
            # The issues and measures in their order everywhere: their position.
            issue, measure = issues[row["issue_id"]], measures[row["measure_id"]]
            return (
                (issue.position, issue.pk),
                (measure.position, measure.pk),
                territories[row["territory_id"]],
                row["year"],
                not row["is_public"],
                units.index(row["unit"]),
            )

        for row in sorted(totals, key=order):
            yield row | {
                "issue": issues[row["issue_id"]].name,
                "measure": measures[row["measure_id"]].name,
                "territory": territories[row["territory_id"]],
                "area": area(row["territory_id"]),
            }


class CompletenessExporter(Exporter):
    """A campaign's completeness, one row per territory and actor."""

    def __init__(self, campaign):
        super().__init__(
            name=f"completude_campagne_{campaign.pk}",
            title="Complétude",
            columns=[
                Column("territoire", "commitment__territory__name"),
                Column("acteur", "commitment__actor__name"),
                Column("attendues", "expected", NUMBER),
                Column("remises_a_examiner", "submitted", NUMBER),
                Column("acceptees", "accepted", NUMBER),
                Column("renvoyees", "returned", NUMBER),
                Column("en_retard", "late", NUMBER),
                Column("taux_remontee", "rate", RATE),
            ],
        )

    def records(self, queryset):
        rows = queryset.completeness(
            "commitment__territory",
            "commitment__territory__name",
            "commitment__actor",
            "commitment__actor__name",
        )
        return sorted(
            rows,
            key=lambda row: (
                row["commitment__territory__name"].casefold(),
                row["commitment__actor__name"].casefold(),
                row["commitment__territory"],
                row["commitment__actor"],
            ),
        )


class ActorsExporter(Exporter):
    """`acteurs`: the directory, every column, re-importable."""

    def __init__(self):
        super().__init__(
            name="acteurs",
            title="Acteurs",
            counts=(
                "Un acteur par ligne (tous figurent dans l'annuaire public) ; "
                "« nombre_engagements » compte ses engagements non annulés retenus par "
                "la visibilité ; « secteur_public » dit s'il est un acteur public."
            ),
            columns=[
                Column("id", "pk", NUMBER),
                Column("nom", "name"),
                Column("slug", "slug"),
                Column("type_acteur", "kind", choices=KINDS),
                Column("secteur_public", YesNo("is_public_sector")),
                Column("institutionnel", YesNo("is_institutional")),
                Column("territoire", lambda r: r["territory__name"] or ""),
                Column("code_territoire", lambda r: r["territory__code"] or ""),
                Column("siret", "siret"),
                Column("site_internet", "website"),
                Column("courriel", "email"),
                Column("description", "description"),
                Column("nombre_engagements", "commitment_count", NUMBER),
            ],
        )

    FIELDS = [
        "pk",
        "name",
        "slug",
        "kind",
        "is_public_sector",
        "is_institutional",
        "territory__name",
        "territory__code",
        "siret",
        "website",
        "email",
        "description",
        "commitment_count",
    ]

    def queryset(self, filters):
        actors = Actor.objects.in_scope(filters.scope).filtered(
            kind=filters.actor_kind, territory=filters.territory
        )
        return actors.annotate(
            commitment_count=_commitment_count(filters.visibility, filters.scope)
        )

    def for_selection(self, queryset, scope):
        return queryset.annotate(commitment_count=_commitment_count(ALL, scope))

    # Written in Python: with its commitment count, Django would group by every written
    # cell; and the directory is small.

    def ordered(self, queryset):
        if "commitment_count" not in queryset.query.annotations:  # an admin selection
            queryset = queryset.annotate(commitment_count=_commitment_count(ALL))
        return queryset.order_by("pk")

    def records(self, queryset):
        return self.ordered(queryset).values(*self.FIELDS).iterator(chunk_size=CHUNK)


def _commitment_count(visibility, scope=EVERYTHING):
    """An actor's counted (not cancelled) commitments, public ones only if so asked, in
    the scope's territory."""
    counted = ~Q(commitments__status=Commitment.Status.CANCELLED)
    counted &= territory_filter(scope, "commitments__territory")
    if visibility == PUBLIC:
        counted &= Q(commitments__is_public=True)
    return Count("commitments", filter=counted)


EXPORTERS = {
    exporter.name: exporter
    for exporter in (
        CommitmentsExporter(),
        DeliveriesExporter(),
        SummaryExporter(),
        ActorsExporter(),
    )
}

"""Reports: one exporter per report, a column spec and a row generator (after pretix's
exporters). export_writers.py turns the rows into CSV or XLSX; on PostgreSQL,
export_sql.py has the database write the CSV lines of every report."""

import copy
import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Expression,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf, Round
from django.utils import timezone

from actors.models import Actor
from actors.scopes import EVERYTHING, StaffScope, territory_filter
from commitments.models import Commitment, Delivery, as_amount, delivery_rate
from reports import xlsx_sql, xlsx_stream
from reports.export_sql import (
    DateCell,
    Line,
    NumberCell,
    RateCell,
    TextCell,
    WrittenCell,
    copy_lines,
)
from reports.export_writers import (
    AMOUNT,
    COUNT,
    DATE,
    DIALECTS,
    FIGURES,
    NUMBER,
    PLAIN,
    RATE,
    TEXT,
    XLSX_FORMATS,
    Amount,
    csv_cell,
    csv_chunks,
    csv_header,
    json_chunks,
    write_xlsx,
)
from strategy.models import Issue, Measure, Territory, areas_under, whole_scope
from strategy.units import Unit

CHUNK = 2000
PARIS = ZoneInfo("Europe/Paris")
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

    def expression(self, dialect=None):
        """The words; as CSV cells of `dialect` if given (the same words: nothing to
        quote or defuse in « oui » and « non »)."""
        yes, no = (csv_cell(word, dialect) if dialect else word for word in ("oui", "non"))
        return Case(When(**{self.field: True}, then=Value(yes)), default=Value(no))


@dataclass(frozen=True)
class OrBlank:
    """A nullable value, written as an empty text where it is missing."""

    field: str

    def __call__(self, record):
        return record[self.field] or ""

    def expression(self):
        return Coalesce(F(self.field), Value(""))


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
    `choices`, the key's code is written as its French label. meaning: what the column
    holds, in one French sentence (the XLSX's « À propos » sheet). unit: for an AMOUNT,
    the record's key of its unit's code (euros get two decimals in XLSX, others none).
    """

    name: str
    source: str | Callable[[dict], Any]
    kind: str = TEXT
    choices: tuple = ()
    meaning: str = ""
    unit: str = ""

    def sql_cell(self, dialect):
        """The cell as the database writes it (export_sql), or None if only Python can."""
        if self.choices:
            cells = [
                When(**{self.source: code}, then=Value(csv_cell(str(label), dialect)))
                for code, label in self.choices
            ]
            return WrittenCell(Case(*cells, default=Value(""), output_field=TextField()), dialect)
        if isinstance(self.source, YesNo):  # two constant words: written once, here
            return WrittenCell(self.source.expression(dialect), dialect)
        value = self.sql_value()
        if value is None:
            return None
        if self.kind == TEXT:
            return TextCell(value, dialect)
        if self.kind == RATE:
            return RateCell(value, dialect)
        if self.kind in (NUMBER, COUNT, AMOUNT):
            return NumberCell(value, dialect)
        if self.kind == DATE:
            return DateCell(value, dialect)
        return None

    def sql_value(self):
        """The column's value as an SQL expression, or None where only Python computes it
        (a function of the record)."""
        if isinstance(self.source, str):
            return F(self.source)
        if hasattr(self.source, "expression"):
            return self.source.expression()
        return None

    def xlsx_sql_cell(self, letter):
        """The cell as the database writes it in the XLSX (xlsx_sql), in column
        `letter`, or None if only Python can."""
        if self.choices:
            return xlsx_sql.label_cell(F(self.source), self.choices, letter)
        value = self.sql_value()
        if value is None:
            return None
        if self.kind == TEXT:
            return xlsx_sql.text_cell(value, letter)
        if self.kind == AMOUNT:
            if not self.unit:
                return xlsx_sql.number_cell(value, letter, xlsx_stream.DECIMALS)
            return xlsx_sql.amount_cell(value, F(self.unit), letter)
        if self.kind == DATE:
            return xlsx_sql.date_cell(value, letter)
        if self.kind in FIGURES:
            style = xlsx_stream.STYLE_OF_FORMAT.get(XLSX_FORMATS.get(self.kind), PLAIN)
            return xlsx_sql.number_cell(value, letter, style)
        return None

    def getter(self):
        """A function record -> value, built once per export (labels translated once)."""
        if self.choices:
            labels = {code: str(label) for code, label in self.choices}
            key = self.source
            return lambda record: labels[record[key]]
        if callable(self.source):
            return self.source
        return itemgetter(self.source)

    def xlsx_getter(self):
        """As getter(), but an amount comes with whether its unit is counted whole."""
        get = self.getter()
        if self.kind != AMOUNT or not self.unit:
            return get
        whole, unit = {code: Unit(code).is_whole for code, _label in UNITS}, self.unit
        return lambda record: Amount(get(record), whole[record[unit]])


def _label(choices, code):
    return str(dict(choices).get(code, "")) if code else ""


# What the columns shared by several reports mean (the « À propos » sheet).
ID = "Identifiant de l'engagement (à garder pour réimporter le fichier)."
COMMITMENT_ID = "Identifiant de l'engagement de la réalisation."
ISSUE = "Enjeu de la stratégie dont relève la mesure."
MEASURE = "Mesure de la stratégie."
UNIT = "Unité de la mesure : euros, places, personnes, ménages ou projets."
ACTOR = "Nom de l'acteur qui porte l'engagement."
ACTOR_SLUG = "Identifiant court de l'acteur, qui le reconnaît à l'import."
ACTOR_KIND = "Type d'acteur (association, commune, service de l'État…)."
TERRITORY = "Territoire où l'engagement s'applique."
TERRITORY_CODE = "Code du territoire : numéro du département, code de la région."
YEAR = "Année de l'engagement."
STATUS = "Statut de l'engagement : prévu, en cours, réalisé ou annulé."
CLOSING_NOTE = "Pourquoi le réalisé s'écarte du prévu, écrit à la clôture."
PUBLIC_COLUMN = "« oui » si l'engagement figure sur les pages publiques."
PLANNED = "Montant prévu, dans l'unité de la mesure."
DELIVERED = "Total des réalisations validées, dans l'unité de la mesure."
RATE_MEANING = "Réalisé divisé par prévu ; vide si rien n'est prévu."

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

    def slugs(self):
        """The filters in a fixed order, as words for a file name: `nord_2021`."""
        words = [
            self.issue and self.issue.slug,
            self.measure and self.measure.slug,
            self.territory and self.territory.slug,
            self.year and str(self.year),
            self.actor_kind,
            self.status,
            PUBLIC if self.visibility == PUBLIC else None,
        ]
        return [word for word in words if word]

    def described(self):
        """(label, value) for each filter, « tous » where there is none, in French."""
        everything = "Tous"
        return [
            ("Périmètre", self.scope.label),
            ("Enjeu", self.issue.name if self.issue else everything),
            ("Mesure", self.measure.name if self.measure else "Toutes"),
            ("Territoire", self.territory.name if self.territory else everything),
            ("Année", str(self.year) if self.year else "Toutes"),
            ("Type d'acteur", _label(KINDS, self.actor_kind) or everything),
            ("Statut de l'engagement", _label(STATUSES, self.status) or everything),
            ("Visibilité", _label(VISIBILITIES, self.visibility)),
        ]

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

    # True where the database also writes the XLSX rows (reports/xlsx_sql.py): every
    # report whose CSV lines it writes, but for grouped rows (below).
    @property
    def sql_xlsx(self):
        return self.sql_lines

    def csv_bytes(self, queryset, dialect="excel", progress=None):
        """The report as CSV in UTF-8 byte chunks, what a download sends and a build
        stores: written by PostgreSQL where it can (its bytes as they come, never
        decoded), or by export_writers.csv_chunks, encoded; the same bytes either way.
        progress: a callable given the number of rows written so far, at least every
        1 000 rows."""
        lines = self._database_lines(queryset, dialect, progress)
        if lines is not None:
            return lines
        return (chunk.encode("utf-8") for chunk in self._python_lines(queryset, dialect, progress))

    def csv_chunks(self, queryset, dialect="excel", progress=None):
        """The report as CSV text chunks (csv_bytes(), as text)."""
        lines = self._database_lines(queryset, dialect, progress)
        if lines is not None:
            return (chunk.decode("utf-8") for chunk in lines)
        return self._python_lines(queryset, dialect, progress)

    def _database_lines(self, queryset, dialect, progress):
        """export_sql.copy_lines' byte chunks, the COPY already run; None where only
        Python writes this report's lines (SQLite)."""
        if dialect not in DIALECTS:
            raise ValueError(dialect)
        if self.sql_lines and connection.vendor == "postgresql":
            cells = [column.sql_cell(dialect) for column in self.columns]
            if all(cell is not None for cell in cells):
                lines = self.ordered(queryset).annotate(line=Line(cells, dialect))
                return copy_lines(lines, csv_header(self.headers, dialect), progress)
        return None

    def _python_lines(self, queryset, dialect, progress):
        return csv_chunks(
            self.headers, self.rows(queryset), dialect, kinds=self.kinds, progress=progress
        )

    def json_chunks(self, queryset):
        """The report as JSON text chunks: an array of objects keyed by the headers,
        from the same rows as the CSV (export_writers.json_chunks)."""
        return json_chunks(self.headers, self.rows(queryset))

    def only(self, names, *, counts, selection, meanings=None):
        """This exporter with only the columns named, in its own order (the open data
        files keep the columns the public pages show); `counts` and `selection` say, in
        the XLSX's « À propos » sheet, what its rows are and which rows it holds;
        `meanings` ({name: meaning}) rewords a column whose meaning speaks of the
        reports (re-importing) where the file is not a report."""
        meanings = meanings or {}
        unknown = (set(names) | set(meanings)) - set(self.headers)
        if unknown:
            raise ValueError(f"Unknown columns of {self.name}: {', '.join(sorted(unknown))}")
        subset = copy.copy(self)
        subset.columns = [
            _reworded(column, meanings.get(column.name))
            for column in self.columns
            if column.name in names
        ]
        subset.counts, subset.selection = counts, selection
        return subset

    def xlsx(self, queryset, filters=None, *, extracted_at=None, progress=None):
        """The report as an XLSX file, open for reading: the rows, then a sheet « À propos »
        saying which filters chose them (`filters`, None for a selection made in the
        admin), when, and what each column means. progress: a callable given the
        number of rows written so far, at least every 1 000 rows."""
        about = self.about(filters, extracted_at or timezone.now())
        rows = self._xlsx_rows_by_the_database(queryset)
        if rows is None:
            getters = [column.xlsx_getter() for column in self.columns]
            rows = ([get(record) for get in getters] for record in self.records(queryset))
        try:
            return write_xlsx(self.headers, self.kinds, rows, self.title, about, progress)
        finally:
            if hasattr(rows, "close"):
                rows.close()

    def _xlsx_rows_by_the_database(self, queryset):
        """On PostgreSQL, the rows' XML written by the database (xlsx_sql), the COPY run
        now; None where Python writes them."""
        if not (self.sql_xlsx and connection.vendor == "postgresql"):
            return None
        letters = xlsx_stream.column_letters(len(self.columns))
        cells = [
            column.xlsx_sql_cell(letter)
            for column, letter in zip(self.columns, letters, strict=True)
        ]
        if any(cell is None for cell in cells):
            return None
        return xlsx_sql.copy_rows(self.ordered(queryset), cells)

    def about(self, filters, extracted_at):
        """The « À propos » sheet's rows: (label, text)."""
        when = timezone.localtime(extracted_at, PARIS)
        rows = [
            ("Rapport", self.title),
            ("Contenu", self.counts or self.title),
            ("Extrait le", f"{when:%d/%m/%Y à %H:%M} (heure de Paris)"),
        ]
        if filters is None:
            rows.append(("Filtres", self.selection))
        else:
            rows += [(f"Filtre : {label}", value) for label, value in filters.described()]
        rows += [("", ""), ("Colonne", "Signification")]
        return rows + [(column.name, column.meaning) for column in self.columns]

    # What chose the rows when no report filters did.
    selection = "Lignes choisies dans l'administration"

    def queryset(self, filters: ReportFilters) -> QuerySet:
        raise NotImplementedError

    def records(self, queryset) -> Iterable[dict]:
        raise NotImplementedError

    def ordered(self, queryset) -> QuerySet:
        """The rows in report order, with what the columns need annotated."""
        return queryset.order_by("pk")

    def count(self, filters: ReportFilters) -> int:
        return self.queryset(filters).count()

    def rows_at_most(self, filters: ReportFilters) -> int | None:
        """A bound on count() cheaper to get than it, or None: a download that stays
        under the background threshold with it needs no exact count (views.download)."""
        return None

    def values(self, queryset) -> QuerySet:
        """The values records() reads, in order, before any Python touches them (the
        benchmark copies them with COPY to compare)."""
        return self.ordered(queryset).values(*self.FIELDS)

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
                Column("id", "pk", NUMBER, meaning=ID),
                Column("enjeu", "measure__issue__name", meaning=ISSUE),
                Column("mesure", "measure__name", meaning=MEASURE),
                Column("unite", "measure__unit", choices=UNITS, meaning=UNIT),
                Column("acteur", "actor__name", meaning=ACTOR),
                Column("acteur_slug", "actor__slug", meaning=ACTOR_SLUG),
                Column("type_acteur", "actor__kind", choices=KINDS, meaning=ACTOR_KIND),
                Column("territoire", "territory__name", meaning=TERRITORY),
                Column("code_territoire", "territory__code", meaning=TERRITORY_CODE),
                Column("annee", "year", NUMBER, meaning=YEAR),
                Column("intitule", "title", meaning="Intitulé de l'engagement."),
                Column("description", "description", meaning="Description de l'engagement."),
                Column("statut", "status", choices=STATUSES, meaning=STATUS),
                Column("note_cloture", "closing_note", meaning=CLOSING_NOTE),
                Column("public", YesNo("is_public"), meaning=PUBLIC_COLUMN),
                Column("prevu", "planned_amount", AMOUNT, meaning=PLANNED, unit="measure__unit"),
                Column(
                    "realise", "delivered_amount", AMOUNT, meaning=DELIVERED, unit="measure__unit"
                ),
                Column(
                    "taux_realisation",
                    Rate("planned_amount", "delivered_amount"),
                    RATE,
                    meaning=RATE_MEANING,
                ),
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
        return self.values(queryset).iterator(chunk_size=CHUNK)


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
                Column("id", "pk", NUMBER, meaning="Identifiant de la réalisation."),
                Column("engagement_id", "commitment_id", NUMBER, meaning=COMMITMENT_ID),
                Column(
                    "intitule_engagement",
                    "commitment__title",
                    meaning="Intitulé de l'engagement de la réalisation.",
                ),
                Column("enjeu", "commitment__measure__issue__name", meaning=ISSUE),
                Column("mesure", "commitment__measure__name", meaning=MEASURE),
                Column("unite", "commitment__measure__unit", choices=UNITS, meaning=UNIT),
                Column("acteur", "commitment__actor__name", meaning=ACTOR),
                Column("type_acteur", "commitment__actor__kind", choices=KINDS, meaning=ACTOR_KIND),
                Column("territoire", "commitment__territory__name", meaning=TERRITORY),
                Column("annee", "commitment__year", NUMBER, meaning=YEAR),
                Column("public", YesNo("commitment__is_public"), meaning=PUBLIC_COLUMN),
                Column("date", "date", DATE, meaning="Date de la réalisation, dite par l'acteur."),
                Column(
                    "montant",
                    "amount",
                    AMOUNT,
                    meaning="Montant réalisé, dans l'unité de la mesure.",
                    unit="commitment__measure__unit",
                ),
                Column(
                    "statut",
                    "status",
                    choices=DELIVERY_STATUSES,
                    meaning="Où en est la réalisation ; seules les validées comptent au réalisé.",
                ),
                Column("commentaire", "comment", meaning="Commentaire de l'acteur."),
                Column(
                    "declaree_par",
                    "reported_by__username",
                    meaning="Identifiant de la personne qui l'a déclarée.",
                ),
                Column(
                    "declaree_le", "reported_at", DATE, meaning="Date et heure de la déclaration."
                ),
                Column(
                    "examinee_par",
                    "reviewed_by__username",
                    meaning="Identifiant de l'agent qui l'a validée ou renvoyée.",
                ),
                Column("examinee_le", "reviewed_at", DATE, meaning="Date et heure de l'examen."),
                Column(
                    "motif_renvoi",
                    "return_reason",
                    meaning="Pourquoi l'agent l'a renvoyée pour correction, le cas échéant.",
                ),
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

    sql_lines = True

    def queryset(self, filters):
        return Delivery.objects.filter(commitment__in=filters.commitments())

    def records(self, queryset):
        return self.values(queryset).iterator(chunk_size=CHUNK)


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
                Column("enjeu", "issue_name", meaning=ISSUE),
                Column("mesure", "measure_name", meaning=MEASURE),
                Column("territoire", "territory_name", meaning=TERRITORY),
                Column(
                    "echelon",
                    "area",
                    meaning=(
                        "Département où la ligne compte, ou l'échelon régional ; "
                        "vide hors de la région."
                    ),
                ),
                Column("annee", "year", NUMBER, meaning=YEAR),
                Column("public", YesNo("is_public"), meaning=PUBLIC_COLUMN),
                Column("unite", "unit", choices=UNITS, meaning=UNIT),
                Column(
                    "nombre_engagements",
                    "count",
                    COUNT,
                    meaning="Nombre d'engagements non annulés de la ligne.",
                ),
                Column(
                    "prevu",
                    "planned",
                    AMOUNT,
                    meaning="Total des montants prévus, dans l'unité de la ligne.",
                    unit="unit",
                ),
                Column(
                    "realise",
                    "delivered",
                    AMOUNT,
                    meaning="Total des réalisations validées, dans l'unité de la ligne.",
                    unit="unit",
                ),
                Column(
                    "taux_realisation",
                    Rate("planned", "delivered"),
                    RATE,
                    meaning=RATE_MEANING,
                ),
            ],
        )

    def queryset(self, filters):
        return filters.commitments()

    def count(self, filters):
        # COUNT(*) over the grouped rows: the database groups, nothing comes back to Python.
        return self.values(self.queryset(filters)).count()

    def rows_at_most(self, filters):
        # Each row groups one counted commitment at least: counting those needs no
        # grouping, which count() does in full before the download's COPY does it again.
        return self.queryset(filters).counted().count()

    GROUPS = ("issue", "measure", "territory", "year", "public")

    def values(self, queryset):
        # The rows as the database sums them, before their names and order: what count()
        # counts and the benchmark copies.
        return queryset.grouped_totals(*self.GROUPS)

    sql_lines = True
    # Grouped rows (a few thousand at most): Python writes their XLSX; the rows' numbers
    # (a window function) cannot go through the GROUP BY.
    sql_xlsx = False

    def ordered(self, queryset):
        """The grouped totals with the names the columns show, in the order of the issue
        pages: issues then measures by position, territories by name (as Python sorts
        text; the same name twice: by id, last), the year, public before not, the units
        in their order. Names, ranks and `area` are CASEs over the grouping's ids built
        from the measures and territories read now (small tables: two queries), so the
        database groups by ids alone and sorts the grouped rows, not the commitments."""
        measures = list(Measure.objects.select_related("issue").order_by("pk"))
        measures.sort(key=lambda m: (m.issue.position, m.issue.pk, m.position, m.pk))
        tree = list(Territory.objects.order_by("pk"))
        by_name = {name: rank for rank, name in enumerate(sorted({t.name for t in tree}))}
        return (
            # Grouped by measure, territory, year and visibility alone: the issue and the
            # unit are the measure's (CASEs below), so the commitments are not joined to
            # the measures and the sort groups narrower rows (half the time at scale 400).
            queryset.grouped_totals("measure", "territory", "year", "public", by_unit=False)
            # alias(), not annotate(): a later aggregate annotation (the line the database
            # writes) would otherwise have Django group by each CASE, row by row.
            .alias(
                unit=_Mapping("measure_id", {m.pk: m.unit for m in measures}),
                issue_name=_Mapping("measure_id", {m.pk: m.issue.name for m in measures}),
                measure_name=_Mapping("measure_id", {m.pk: m.name for m in measures}),
                territory_name=_Mapping("territory_id", {t.pk: t.name for t in tree}),
                area=_area(tree),
            )
            .order_by(
                _Mapping("measure_id", {m.pk: rank for rank, m in enumerate(measures)}),
                _Mapping("territory_id", {t.pk: by_name[t.name] for t in tree}),
                "year",
                F("is_public").desc(),
                _Mapping("unit", {code: rank for rank, (code, _label) in enumerate(UNITS)}),
                "territory_id",
            )
        )

    NAMES = ("issue_name", "measure_name", "territory_name", "area", "unit")

    def records(self, queryset):
        # The aliases, selected.
        rows = self.ordered(queryset).annotate(**{name: F(name) for name in self.NAMES})
        for row in rows.iterator(chunk_size=CHUNK):
            # SQLite sums floats: back to cents, as PostgreSQL gives them.
            yield row | {
                "planned": as_amount(row["planned"]),
                "delivered": as_amount(row["delivered"]),
            }


class _Mapping(Expression):
    """`mapping[key]` in SQL (`default` for a key it misses): `CASE key WHEN … THEN …`
    over a grouped key's values, e.g. the ids of a small table read at query time.
    Grouped by the key alone: in a grouped query the database computes it once per
    group, after grouping. (Written as a simple CASE rather than Case(When(…)): no
    lookup to resolve per value, and the key written once.)"""

    def __init__(self, key, mapping, default=None):
        kinds = {type(value) for value in mapping.values()}
        super().__init__(output_field=IntegerField() if kinds == {int} else TextField())
        self.key, self.mapping, self.default = F(key), dict(mapping), default

    def get_source_expressions(self):
        return [self.key]

    def set_source_expressions(self, expressions):
        (self.key,) = expressions

    def get_group_by_cols(self):
        return self.key.get_group_by_cols()

    def as_sql(self, compiler, connection):
        if not self.mapping:
            return "%s", [self.default]
        sql, params = compiler.compile(self.key)
        cases = " ".join("WHEN %s THEN %s" for _ in self.mapping)
        params = [*params, *(item for pair in self.mapping.items() for item in pair)]
        return f"CASE {sql} {cases} ELSE %s END", [*params, self.default]


def _area(tree):
    """The `echelon` of a commitment's territory, as the issue pages' breakdown says it:
    the département it counts in, the region's own level, or nothing outside the region."""
    scope = whole_scope(tree)
    areas = {
        pk: area.name if area is not None else str(scope.own_level_label)
        for pk, area in areas_under(scope, tree).items()
    }
    return _Mapping("territory_id", areas, default="")


class CompletenessExporter(Exporter):
    """A campaign's completeness, one row per territory and actor."""

    def __init__(self, campaign):
        super().__init__(
            name=f"completude_campagne_{campaign.pk}",
            title="Complétude",
            columns=[
                Column("territoire", "commitment__territory__name", meaning=TERRITORY),
                Column("acteur", "commitment__actor__name", meaning=ACTOR),
                Column(
                    "attendues", "expected", COUNT, meaning="Remontées attendues de la campagne."
                ),
                Column(
                    "remises_a_examiner",
                    "submitted",
                    COUNT,
                    meaning="Remontées remises, en attente d'examen.",
                ),
                Column("acceptees", "accepted", COUNT, meaning="Remontées acceptées."),
                Column(
                    "renvoyees", "returned", COUNT, meaning="Remontées renvoyées pour correction."
                ),
                Column(
                    "en_retard",
                    "late",
                    COUNT,
                    meaning="Remontées attendues ou renvoyées dont l'échéance est passée.",
                ),
                Column(
                    "taux_remontee",
                    "rate",
                    RATE,
                    meaning="Remontées reçues (remises ou acceptées) divisées par attendues.",
                ),
            ],
        )
        self.selection = f"Campagne « {campaign} », dans votre territoire"

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
                Column(
                    "id",
                    "pk",
                    NUMBER,
                    meaning="Identifiant de l'acteur (à garder pour réimporter le fichier).",
                ),
                Column("nom", "name", meaning="Nom de l'acteur."),
                Column("slug", "slug", meaning=ACTOR_SLUG),
                Column("type_acteur", "kind", choices=KINDS, meaning=ACTOR_KIND),
                Column(
                    "secteur_public",
                    YesNo("is_public_sector"),
                    meaning="« oui » si l'acteur est un acteur public.",
                ),
                Column(
                    "institutionnel",
                    YesNo("is_institutional"),
                    meaning="« oui » si l'acteur est un acteur institutionnel.",
                ),
                Column(
                    "territoire",
                    OrBlank("territory__name"),
                    meaning="Territoire de l'acteur, vide s'il n'en a pas.",
                ),
                Column("code_territoire", OrBlank("territory__code"), meaning=TERRITORY_CODE),
                Column("siret", "siret", meaning="Numéro SIRET de l'acteur."),
                Column("site_internet", "website", meaning="Adresse de son site internet."),
                Column("courriel", "email", meaning="Adresse électronique de contact de l'acteur."),
                Column("description", "description", meaning="Description de l'acteur."),
                Column(
                    "nombre_engagements",
                    "commitment_count",
                    COUNT,
                    meaning=(
                        "Nombre de ses engagements non annulés, dans le périmètre et "
                        "la visibilité choisis."
                    ),
                ),
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

    # The count is a subquery, not a Count() over the join: with the latter Django would
    # group by every cell the database writes.
    sql_lines = True

    def ordered(self, queryset):
        if "commitment_count" not in queryset.query.annotations:  # an admin selection
            queryset = queryset.annotate(commitment_count=_commitment_count(ALL))
        return queryset.order_by("pk")

    def records(self, queryset):
        return self.values(queryset).iterator(chunk_size=CHUNK)


def _reworded(column, meaning):
    return column if meaning is None else dataclasses.replace(column, meaning=meaning)


def _commitment_count(visibility, scope=EVERYTHING):
    """An actor's counted (not cancelled) commitments, public ones only if so asked, in
    the scope's territory: a subquery per actor, so that the actors' rows need no GROUP BY."""
    counted = Commitment.objects.filter(actor=OuterRef("pk")).exclude(
        status=Commitment.Status.CANCELLED
    )
    counted = counted.filter(territory_filter(scope, "territory"))
    if visibility == PUBLIC:
        counted = counted.filter(is_public=True)
    count = counted.order_by().values("actor").annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(count, output_field=IntegerField()), 0)


EXPORTERS = {
    exporter.name: exporter
    for exporter in (
        CommitmentsExporter(),
        DeliveriesExporter(),
        SummaryExporter(),
        ActorsExporter(),
    )
}

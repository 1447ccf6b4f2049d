"""On PostgreSQL the database writes every report's CSV itself (reports/export_sql.py):
the very same text as the Python writer, on awkward data and on generated data."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.scopes import EVERYTHING
from commitments.models import Commitment, Delivery
from reports import export_sql
from reports.export_writers import DIALECTS, csv_chunks
from reports.exports import EXPORTERS, PUBLIC, UNITS, Rate, ReportFilters
from strategy.models import Issue, Measure, Territory, areas_under, whole_scope
from strategy.units import Unit
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    DeliveryFactory,
    IssueFactory,
    MeasureFactory,
    TerritoryFactory,
    UserFactory,
    region,
)
from tests.helpers import database_away, postgresql_only

ENGAGEMENTS = EXPORTERS["engagements"]
postgresql_only = postgresql_only("the database writes the CSV on PostgreSQL only")

AWKWARD = [
    "=SOMME(A1:A9)",
    "+33 6 00 00 00 00",
    "-2 € de plus",
    "@commande",
    "\tcommence par une tabulation",
    "\rcommence par un retour chariot",
    'Il a dit "bonjour"',
    "point-virgule ; au milieu",
    "virgule, au milieu",
    "ligne 1\nligne 2",
    "ligne 1\r\nligne 2",
    "anti\\slash et \\n qui n'est pas un saut",
    "fin par un anti-slash \\",
    "accents éàç — “guillemets” et 🙂",
    "",
    " commence par une espace",
    "contrôles \x0b\x0c\x08 au milieu",
    "'déjà une apostrophe",
    '"entièrement entre guillemets"',
]
# (planned, delivered): nothing planned, a tie at the fifth place, repeating decimals,
# the largest amounts the columns hold.
AMOUNTS = [
    (Decimal(0), Decimal(0)),
    (Decimal(32), Decimal(1)),
    (Decimal(3), Decimal(1)),
    (Decimal("0.03"), Decimal("0.02")),
    (Decimal("9999999999999.99"), Decimal("0.01")),
    (Decimal("0.01"), Decimal("9999999999999.99")),
    (Decimal("1234.50"), Decimal("1234.50")),
    (Decimal(8), Decimal(1)),  # 12,5 %: a tie at the percentage the excel dialect writes
]


# A few texts PostgreSQL can hold: no NUL, and (UTF-8) no lone surrogate.
TEXTS = st.lists(
    st.text(
        st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
        max_size=40,
    ),
    min_size=1,
    max_size=4,
)


def python_csv(queryset, dialect, exporter=ENGAGEMENTS):
    rows = exporter.rows(queryset)
    return "".join(csv_chunks(exporter.headers, rows, dialect, kinds=exporter.kinds))


# What a report reads before its COPY: synthese, the measures and the territories that
# its names, order and areas are made of.
READS = {"synthese": 2}


def database_csv(queryset, dialect, exporter=ENGAGEMENTS):
    with CaptureQueriesContext(connection) as queries:
        text = "".join(exporter.csv_chunks(queryset, dialect))
    statements = [q["sql"][:6] for q in queries]
    # One COPY for the lines, after the small tables' reads.
    assert statements == ["SELECT"] * READS.get(exporter.name, 0) + ["COPY ("]
    return text


@pytest.fixture
def awkward(db):
    actor = ActorFactory(name='Association "Le Toit" ; Lille', slug="le-toit")
    statuses = [status for status, _ in Commitment.Status.choices]
    for index, text in enumerate(AWKWARD):
        planned, delivered = AMOUNTS[index % len(AMOUNTS)]
        CommitmentFactory(
            actor=actor,
            title=text or "sans titre",
            description=AWKWARD[-1 - index],
            status=statuses[index % len(statuses)],
            is_public=index % 2 == 0,
            planned_amount=planned,
            delivered_amount=delivered,
            year=2020 + index % 3,
        )


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_database_writes_the_same_csv_as_python_on_awkward_data(awkward, dialect):
    queryset = ENGAGEMENTS.queryset(ReportFilters())
    written = database_csv(queryset, dialect)
    assert written == python_csv(queryset, dialect)
    assert written.count("\n") > len(AWKWARD)  # the rows are there, not only the header
    assert "'=SOMME(A1:A9)" in written  # defused
    if dialect == "excel":  # as the pages write them: whole percentages, rounded half up
        assert ";8;1;13\xa0%\r\n" in written and ";32;1;3\xa0%\r\n" in written
        assert ";1234,50;1234,50;100\xa0%\r\n" in written  # decimals only when not whole
    else:
        assert "0.0313" in written and "8.00,1.00,0.1250" in written  # programs: unchanged


@postgresql_only
@pytest.mark.django_db
def test_filters_apply_to_the_lines_the_database_writes(awkward):
    queryset = ENGAGEMENTS.queryset(ReportFilters(year=2021))
    written = database_csv(queryset, "csv")
    assert written == python_csv(queryset, "csv")
    rows = list(csv.reader(io.StringIO(written, newline="")))
    years = {row[ENGAGEMENTS.headers.index("annee")] for row in rows[1:]}
    assert years == {"2021"}


@postgresql_only
@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=TEXTS,
    amounts=st.lists(
        st.decimals(min_value=0, max_value=Decimal("9999999999999.99"), places=2),
        min_size=2,
        max_size=2,
    ),
)
def test_any_text_and_amount_is_written_as_python_writes_it(texts, amounts):
    actor = ActorFactory(name=texts[0] or "acteur")
    for text in texts:
        CommitmentFactory(
            actor=actor,
            title=text or "sans titre",
            description=text,
            planned_amount=amounts[0],
            delivered_amount=amounts[1],
        )
    queryset = ENGAGEMENTS.queryset(ReportFilters()).filter(actor=actor)
    for dialect in DIALECTS:
        assert database_csv(queryset, dialect) == python_csv(queryset, dialect)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_database_outage_fails_in_the_view_before_any_byte_is_sent():
    queryset = ENGAGEMENTS.queryset(ReportFilters())
    with database_away(), pytest.raises(OperationalError):
        ENGAGEMENTS.csv_chunks(queryset, "csv")  # not even iterated: the COPY ran here
    assert "".join(ENGAGEMENTS.csv_chunks(queryset, "csv")).startswith("id,")


def test_rates_round_half_up_on_every_database():
    rate = Rate("planned", "delivered")
    assert rate({"planned": Decimal(32), "delivered": Decimal(1)}) == Decimal("0.0313")
    assert rate({"planned": Decimal(3), "delivered": Decimal(2)}) == Decimal("0.6667")
    assert rate({"planned": Decimal(0), "delivered": Decimal(5)}) is None


@pytest.mark.django_db
def test_every_report_is_written_by_the_database_from_its_columns_and_sqlite_by_python(awkward):
    for exporter in EXPORTERS.values():  # one definition, both writers
        assert exporter.sql_lines
        assert all(column.sql_cell(dialect) for column in exporter.columns for dialect in DIALECTS)
        with CaptureQueriesContext(connection) as queries:
            "".join(exporter.csv_chunks(exporter.queryset(ReportFilters()), "csv"))
        copied = any(q["sql"].startswith("COPY") for q in queries)
        assert copied == (connection.vendor == "postgresql"), exporter.name


def test_an_unknown_dialect_is_refused():
    with pytest.raises(ValueError):
        ENGAGEMENTS.csv_chunks(Commitment.objects.none(), "tsv")


DELIVERIES, ACTORS = EXPORTERS["realisations"], EXPORTERS["acteurs"]
UTC = datetime.UTC
# Times around the changes of hour in Paris (the same wall-clock time twice in October),
# with and without microseconds; None: not reviewed yet.
TIMES = [
    datetime.datetime(2021, 3, 28, 0, 59, 59, tzinfo=UTC),
    datetime.datetime(2021, 3, 28, 1, 0, 0, 123456, tzinfo=UTC),
    datetime.datetime(2021, 10, 31, 0, 30, tzinfo=UTC),
    datetime.datetime(2021, 10, 31, 1, 30, 0, 1, tzinfo=UTC),
    datetime.datetime(2020, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # New Year in Paris
    None,
]
DELIVERY_AMOUNTS = [Decimal("0.01"), Decimal("1234.50"), Decimal(3000), Decimal("9999999999999.99")]


@pytest.fixture
def awkward_deliveries(awkward):
    statuses = [status for status, _ in Delivery.Status.choices]
    commitments = list(Commitment.objects.order_by("pk"))
    for index, text in enumerate(AWKWARD):
        status = statuses[index % len(statuses)]
        DeliveryFactory(
            commitment=commitments[index % len(commitments)],
            date=datetime.date(2020, 1, 1) + datetime.timedelta(days=97 * index),
            amount=DELIVERY_AMOUNTS[index % len(DELIVERY_AMOUNTS)],
            status=status,
            comment=text,
            reported_by=UserFactory(username=f"{text[:100]} n°{index}") if index % 3 else None,
            reported_at=TIMES[index % (len(TIMES) - 1)],
            reviewed_by=UserFactory(username="agent ; « revue »") if index % 2 else None,
            reviewed_at=TIMES[index % len(TIMES)],
            return_reason=AWKWARD[-1 - index] or "motif" if status == "returned" else "",
        )
    ActorFactory(name="=acteur sans territoire", territory=None, siret="", website="")


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("exporter", [DELIVERIES, ACTORS], ids=lambda e: e.name)
def test_the_database_writes_every_moved_report_as_python_does(
    awkward_deliveries, exporter, dialect
):
    queryset = exporter.queryset(ReportFilters())
    written = database_csv(queryset, dialect, exporter)
    assert written == python_csv(queryset, dialect, exporter)
    assert written.count("\n") > (len(AWKWARD) if exporter is DELIVERIES else 2)
    assert "'=SOMME(A1:A9)" in written or "'=acteur sans territoire" in written


@postgresql_only
@pytest.mark.django_db
def test_times_are_written_in_paris_time_by_the_database(awkward_deliveries):
    queryset = DELIVERIES.queryset(ReportFilters())
    excel, standard = (database_csv(queryset, dialect, DELIVERIES) for dialect in DIALECTS)
    # 00:59:59 UTC is still winter time, 01:00 UTC already summer time.
    assert ";28/03/2021 01:59;" in excel and ";28/03/2021 03:00;" in excel
    assert ",2021-03-28T01:59:59+01:00," in standard
    assert ",2021-03-28T03:00:00.123456+02:00," in standard
    # 02:30 twice on 31 October, first in summer time then in winter time.
    assert ",2021-10-31T02:30:00+02:00," in standard
    assert ",2021-10-31T02:30:00.000001+01:00," in standard
    assert ";01/01/2021 00:59;" in excel  # already 2021 in Paris


@postgresql_only
@pytest.mark.django_db
def test_another_active_time_zone_is_followed_by_both_writers(awkward_deliveries):
    queryset = DELIVERIES.queryset(ReportFilters())
    with timezone.override("America/Sao_Paulo"):  # behind UTC: a negative offset
        for dialect in DIALECTS:
            written = database_csv(queryset, dialect, DELIVERIES)
            assert written == python_csv(queryset, dialect, DELIVERIES)
        assert "-03:00," in written


@pytest.mark.django_db
def test_the_python_writer_writes_dates_and_times_as_before(awkward_deliveries):
    """The formatter built once per column writes what _cell_for_csv, asked per cell by
    type, writes (timezone.localtime and strftime, as before)."""
    queryset = DELIVERIES.queryset(ReportFilters())
    for dialect in DIALECTS:
        by_kind = python_csv(queryset, dialect, DELIVERIES)
        by_type = "".join(csv_chunks(DELIVERIES.headers, DELIVERIES.rows(queryset), dialect))
        assert by_kind == by_type
    delivery = Delivery.objects.exclude(reviewed_at=None).first()
    local = timezone.localtime(delivery.reviewed_at)
    assert local.strftime("%d/%m/%Y %H:%M") in python_csv(queryset, "excel", DELIVERIES)
    assert local.isoformat() in python_csv(queryset, "csv", DELIVERIES)


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("exporter", [DELIVERIES, ACTORS], ids=lambda e: e.name)
def test_an_admin_selection_is_written_by_the_database_as_python_does(awkward_deliveries, exporter):
    model = exporter.queryset(ReportFilters()).model
    selected = model.objects.filter(pk__in=model.objects.order_by("-pk").values("pk")[:5])
    if model is Delivery:  # as the admin's list reads them
        selected = selected.with_list_related_data()
    selection = exporter.for_selection(selected, EVERYTHING)
    written = database_csv(selection, "excel", exporter)
    assert written == python_csv(selection, "excel", exporter)
    if exporter is ACTORS:  # the header and the actors (comments may hold CRLF)
        assert written.count("\r\n") == 1 + selected.count() > 2


SUMMARY = EXPORTERS["synthese"]


@pytest.fixture
def awkward_summary(db):
    """Names that need quoting, defusing or escaping; ties everywhere the order has one:
    issues and measures of equal positions, two territories of one name (in two
    départements), a territory outside the region, the region's own level."""
    top = region()
    nord = TerritoryFactory(name="Nord ; « 59 »", parent=top)
    aisne = TerritoryFactory(name="=Aisne", parent=top)
    epci = Territory.Level.EPCI
    twins = [
        TerritoryFactory(level=epci, name='Communauté "des deux"\nrives', parent=parent)
        for parent in (aisne, nord)
    ]
    outside = TerritoryFactory(name="Zoé, hors région", parent=None)
    territories = [top, nord, aisne, *twins, outside]
    issues = [
        IssueFactory(name='Enjeu "cité" ; nord', position=1),
        IssueFactory(name="=SOMME(A1:A9)", position=1),  # same position: by id
        IssueFactory(name="Éducation\nsur deux lignes", position=0),
    ]
    measures = [
        MeasureFactory(issue=issues[0], name="+33 places", position=2, unit=Unit.PLACES),
        MeasureFactory(issue=issues[0], name="anti\\slash ; €", position=1, unit=Unit.EUROS),
        MeasureFactory(issue=issues[1], name="@mesure", position=0, unit=Unit.PERSONS),
        MeasureFactory(issue=issues[1], name="-moins", position=0, unit=Unit.PROJECTS),
        MeasureFactory(issue=issues[2], name="'apostrophe", position=5, unit=Unit.HOUSEHOLDS),
    ]
    actor = ActorFactory(name="Acteur", territory=top)
    statuses = [status for status, _ in Commitment.Status.choices]
    index = 0
    for measure in measures:
        for territory in territories:
            for year in (2020, 2021):
                # The first twin only in 2021, the second only in 2020: by name, then
                # year, the second comes first (by name, then id, it would not).
                if territory in twins and year != 2021 - twins.index(territory):
                    continue
                planned, delivered = AMOUNTS[index % len(AMOUNTS)]
                twin = territory in twins  # always counted, in every filter's rows
                CommitmentFactory(
                    actor=actor,
                    measure=measure,
                    territory=territory,
                    year=year,
                    is_public=twin or index % 3 != 0,
                    status=statuses[0 if twin else index % len(statuses)],
                    planned_amount=planned,
                    delivered_amount=delivered,
                )
                index += 1


def summary_as_it_was(queryset):
    """The synthese's rows as records() made them before the database wrote them: the
    totals, their names and areas added, sorted in Python."""
    issues = {issue.pk: issue for issue in Issue.objects.all()}
    measures = {measure.pk: measure for measure in Measure.objects.all()}
    tree = list(Territory.objects.all())
    names = {territory.pk: territory.name for territory in tree}
    scope = whole_scope(tree)
    areas = areas_under(scope, tree)
    units = [unit for unit, _label in UNITS]

    def area(territory_id):
        if territory_id not in areas:
            return ""
        found = areas[territory_id]
        return found.name if found else str(scope.own_level_label)

    def order(row):
        issue, measure = issues[row["issue_id"]], measures[row["measure_id"]]
        return (
            (issue.position, issue.pk),
            (measure.position, measure.pk),
            names[row["territory_id"]],
            row["year"],
            not row["is_public"],
            units.index(row["unit"]),
        )

    return [
        (
            issues[row["issue_id"]].name,
            measures[row["measure_id"]].name,
            names[row["territory_id"]],
            area(row["territory_id"]),
            row["year"],
            row["is_public"],
            row["unit"],
            row["count"],
            row["planned"],
            row["delivered"],
        )
        for row in sorted(queryset.totals(*SUMMARY.GROUPS), key=order)
    ]


def summary_rows(queryset):
    keys = ("issue_name", "measure_name", "territory_name", "area", "year", "is_public")
    keys += ("unit", "count", "planned", "delivered")
    return [tuple(record[key] for key in keys) for record in SUMMARY.records(queryset)]


@pytest.mark.django_db
@pytest.mark.parametrize("filters", [ReportFilters(), ReportFilters(visibility=PUBLIC)])
def test_synthese_rows_come_in_the_order_and_with_the_names_they_had(awkward_summary, filters):
    queryset = SUMMARY.queryset(filters)
    rows = summary_rows(queryset)
    assert rows == summary_as_it_was(queryset)
    assert len(rows) > 20
    twins = [(row[3], row[4]) for row in rows if row[2].startswith("Communauté")]
    assert twins[:2] == [("Nord ; « 59 »", 2020), ("=Aisne", 2021)]  # the second twin first
    assert {row[3] for row in rows} >= {"", "Échelon régional", "=Aisne", "Nord ; « 59 »"}


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_database_writes_the_synthese_as_python_does(awkward_summary, dialect):
    for filters in (ReportFilters(), ReportFilters(year=2021, visibility=PUBLIC)):
        queryset = SUMMARY.queryset(filters)
        written = database_csv(queryset, dialect, SUMMARY)
        assert written == python_csv(queryset, dialect, SUMMARY)
    queryset = SUMMARY.queryset(ReportFilters())
    written = database_csv(queryset, dialect, SUMMARY)
    assert written.count("\n") > 40
    assert "'=SOMME(A1:A9)" in written and "'=Aisne" in written  # defused
    assert 'Communauté ""des deux""\nrives' in written  # quoted, quotes doubled
    # The open data's file: some columns only.
    subset = SUMMARY.only(["territoire", "echelon", "prevu"], counts="", selection="")
    assert database_csv(queryset, dialect, subset) == python_csv(queryset, dialect, subset)


@postgresql_only
@pytest.mark.django_db
def test_the_synthese_of_nothing_is_its_header(awkward_summary):
    queryset = SUMMARY.queryset(ReportFilters(year=1999))
    assert database_csv(queryset, "csv", SUMMARY) == python_csv(queryset, "csv", SUMMARY)
    assert database_csv(queryset, "csv", SUMMARY).count("\n") == 1


@pytest.mark.django_db
@pytest.mark.parametrize("exporter", EXPORTERS.values(), ids=lambda e: e.name)
def test_a_download_sends_the_texts_bytes_as_they_come(
    awkward_deliveries, awkward_summary, exporter, monkeypatch
):
    """csv_bytes() (downloads, builds, open data) is csv_chunks() encoded; on PostgreSQL
    it is COPY's bytes never decoded, each chunk whole characters even where a block
    read from COPY's file ends inside one."""
    monkeypatch.setattr(export_sql, "BLOCK", 5)
    queryset = exporter.queryset(ReportFilters())
    for dialect in DIALECTS:
        chunks = list(exporter.csv_bytes(queryset, dialect))
        assert {type(chunk) for chunk in chunks} == {bytes}
        assert [chunk.decode("utf-8") for chunk in chunks] == list(
            exporter.csv_chunks(queryset, dialect)
        )
        assert b"".join(chunks) == python_csv(queryset, dialect, exporter).encode("utf-8")

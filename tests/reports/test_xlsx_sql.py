"""On PostgreSQL the database writes the rows of the XLSX reports too
(reports/xlsx_sql.py): the very same sheet, byte for byte, as the Python writer, on
awkward texts, amounts, dates and times, and on generated texts."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from actors.scopes import EVERYTHING
from commitments.models import Delivery
from reports.export_writers import write_xlsx
from reports.exports import EXPORTERS, ReportFilters
from tests.factories import ActorFactory, CommitmentFactory, DeliveryFactory
from tests.helpers import database_away, postgresql_only
from tests.reports.test_export_sql import (  # noqa: F401 - fixtures
    AWKWARD,
    TEXTS,
    awkward,
    awkward_deliveries,
)

postgresql_only = postgresql_only("the database writes the XLSX rows on PostgreSQL only")
ENGAGEMENTS, DELIVERIES, ACTORS = (
    EXPORTERS[name] for name in ("engagements", "realisations", "acteurs")
)
BY_THE_DATABASE = [exporter for exporter in EXPORTERS.values() if exporter.sql_xlsx]


def sheet(workbook_file):
    with workbook_file, zipfile.ZipFile(workbook_file) as package:
        return package.read("xl/worksheets/sheet1.xml")


def python_sheet(exporter, queryset):
    getters = [column.xlsx_getter() for column in exporter.columns]
    rows = ([get(record) for get in getters] for record in exporter.records(queryset))
    return sheet(write_xlsx(exporter.headers, exporter.kinds, rows, exporter.title))


def database_sheet(exporter, queryset):
    with CaptureQueriesContext(connection) as queries:
        written = exporter.xlsx(queryset)
    assert [query["sql"][:6] for query in queries] == ["COPY ("]  # the rows: one COPY
    return sheet(written)


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("exporter", BY_THE_DATABASE, ids=lambda exporter: exporter.name)
def test_the_database_writes_the_same_sheet_as_python_on_awkward_data(
    awkward_deliveries,  # noqa: F811
    exporter,
):
    queryset = exporter.queryset(ReportFilters())
    written = database_sheet(exporter, queryset)
    assert written == python_sheet(exporter, queryset)
    assert written.count(b"<row ") > (len(AWKWARD) if exporter is not ACTORS else 2)
    assert b"'=SOMME(A1:A9)" in written or b"'=acteur sans territoire" in written


@postgresql_only
@pytest.mark.django_db
def test_the_rows_the_database_writes_read_back_as_the_values(awkward_deliveries):  # noqa: F811
    queryset = DELIVERIES.queryset(ReportFilters())
    workbook = load_workbook(DELIVERIES.xlsx(queryset))  # rows keep their empty ends
    rows = list(workbook.worksheets[0].values)
    header, rows = rows[0], rows[1:]
    deliveries = list(queryset.order_by("pk"))
    assert [row[0] for row in rows] == [delivery.pk for delivery in deliveries]
    comments = [row[header.index("commentaire")] for row in rows]
    assert "'=SOMME(A1:A9)" in comments and "ligne 1\nligne 2" in comments
    assert "contrôles \n\n au milieu" in comments  # vertical tab and form feed: line breaks
    reviewed = {row[0]: row[header.index("examinee_le")] for row in rows}
    for delivery in deliveries:
        if delivery.reviewed_at is None:
            assert reviewed[delivery.pk] is None
        else:  # Paris time, to the millisecond openpyxl reads
            local = timezone.localtime(delivery.reviewed_at).replace(tzinfo=None)
            assert abs(reviewed[delivery.pk] - local) < datetime.timedelta(milliseconds=1)
    amounts = {row[0]: row[header.index("montant")] for row in rows}
    assert {Decimal(str(amounts[d.pk])) for d in deliveries} == {d.amount for d in deliveries}


@postgresql_only
@pytest.mark.django_db
def test_filters_and_time_zones_apply_to_the_rows_the_database_writes(
    awkward_deliveries,  # noqa: F811
):
    DeliveryFactory(  # midnight in Paris: a whole day's number, written without `.0`
        comment="minuit", reviewed_at=datetime.datetime(2021, 1, 1, 23, tzinfo=datetime.UTC)
    )
    queryset = ENGAGEMENTS.queryset(ReportFilters(year=2021))
    written = database_sheet(ENGAGEMENTS, queryset)
    assert written == python_sheet(ENGAGEMENTS, queryset)
    assert written.count(b"<row ") == 1 + queryset.count()
    deliveries = DELIVERIES.queryset(ReportFilters())
    in_paris = database_sheet(DELIVERIES, deliveries)
    assert in_paris == python_sheet(DELIVERIES, deliveries)
    assert b's="7"><v>44198</v>' in in_paris
    with timezone.override("America/Sao_Paulo"):  # behind UTC
        assert database_sheet(DELIVERIES, deliveries) == python_sheet(DELIVERIES, deliveries)


@postgresql_only
@pytest.mark.django_db
def test_an_admin_selection_and_an_empty_one_are_written_as_python_does(
    awkward_deliveries,  # noqa: F811
):
    selected = Delivery.objects.filter(
        pk__in=Delivery.objects.order_by("-pk").values("pk")[:5]
    ).with_list_related_data()
    selection = DELIVERIES.for_selection(selected, EVERYTHING)
    assert database_sheet(DELIVERIES, selection) == python_sheet(DELIVERIES, selection)
    nothing = DELIVERIES.queryset(ReportFilters(year=1990))
    empty = database_sheet(DELIVERIES, nothing)
    assert empty == python_sheet(DELIVERIES, nothing)
    assert empty.count(b"<row ") == 1 and b'<autoFilter ref="A1:T1"/>' in empty


@postgresql_only
@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=TEXTS,
    moments=st.lists(
        st.datetimes(
            min_value=datetime.datetime(1971, 1, 1),
            max_value=datetime.datetime(2099, 12, 31),
            timezones=st.just(datetime.UTC),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_any_text_and_time_is_written_as_python_writes_it(texts, moments):
    actor = ActorFactory(name=texts[0] or "acteur")
    commitment = CommitmentFactory(actor=actor, title=texts[-1] or "sans titre")
    for index, text in enumerate(texts):
        DeliveryFactory(
            commitment=commitment,
            comment=text,
            return_reason=text[::-1],
            reported_at=moments[index % len(moments)],
            reviewed_at=moments[-1 - index % len(moments)],
        )
    deliveries = DELIVERIES.queryset(ReportFilters()).filter(commitment__actor=actor)
    assert database_sheet(DELIVERIES, deliveries) == python_sheet(DELIVERIES, deliveries)
    actors = ACTORS.queryset(ReportFilters()).filter(pk=actor.pk)
    assert database_sheet(ACTORS, actors) == python_sheet(ACTORS, actors)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_database_outage_fails_before_the_workbook_is_written():
    queryset = ENGAGEMENTS.queryset(ReportFilters())
    with database_away(), pytest.raises(OperationalError):
        ENGAGEMENTS.xlsx(queryset)
    workbook = load_workbook(io.BytesIO(ENGAGEMENTS.xlsx(queryset).read()), read_only=True)
    assert next(workbook.worksheets[0].values)[0] == "id"


@pytest.mark.django_db
def test_grouped_rows_keep_the_python_writer(awkward_deliveries):  # noqa: F811
    summary = EXPORTERS["synthese"]
    assert summary.sql_lines and not summary.sql_xlsx
    assert {exporter.name for exporter in BY_THE_DATABASE} == {
        "engagements",
        "realisations",
        "acteurs",
    }
    queryset = summary.queryset(ReportFilters())
    with CaptureQueriesContext(connection) as queries:
        written = sheet(summary.xlsx(queryset))
    assert not any(query["sql"].startswith("COPY") for query in queries)
    assert written == python_sheet(summary, queryset)
    assert written.count(b"<row ") > 2


@pytest.mark.django_db
def test_sqlite_keeps_the_python_writer(awkward_deliveries):  # noqa: F811
    if connection.vendor != "sqlite":
        pytest.skip("the Python writer's own path, on SQLite")
    queryset = DELIVERIES.queryset(ReportFilters())
    with CaptureQueriesContext(connection) as queries:
        written = sheet(DELIVERIES.xlsx(queryset))
    assert not any(query["sql"].startswith("COPY") for query in queries)
    assert written == python_sheet(DELIVERIES, queryset)


@pytest.mark.django_db
def test_what_xml_cannot_hold_is_dropped_and_a_long_text_cut_by_both_writers():
    """U+FFFE or U+FFFF in one comment made the whole sheet unreadable (openpyxl refused
    it, LibreOffice cut the sheet there); Excel's cells hold 32 767 characters."""
    commitment = CommitmentFactory(title="\ufffe=non\uffff-caractères")
    DeliveryFactory(commitment=commitment, comment="=" + "é" * 40_000)
    DeliveryFactory(commitment=commitment, comment="x" * 32_766 + " ")  # cut to its x's
    queryset = DELIVERIES.queryset(ReportFilters())
    written = python_sheet(DELIVERIES, queryset)
    if connection.vendor == "postgresql":
        assert database_sheet(DELIVERIES, queryset) == written
    rows = list(load_workbook(DELIVERIES.xlsx(queryset)).worksheets[0].values)
    header = rows[0]
    titles = {row[header.index("intitule_engagement")] for row in rows[1:]}
    assert titles == {"'=non-caractères"}
    comments = sorted(row[header.index("commentaire")] for row in rows[1:])
    assert comments == ["'=" + "é" * 32_765, "x" * 32_766]

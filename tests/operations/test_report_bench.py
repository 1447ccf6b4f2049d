"""make bench measures every report in every format against COPY of its own rows."""

import datetime
import os
from decimal import Decimal

import pytest

from operations.report_bench import (
    RSS_GROWTH,
    TARGETS,
    copy_rows,
    formats,
    peak_mb,
    plain_csv,
    reset_peak,
    resident_mb,
    rows_for,
)
from reports.exports import EXPORTERS, ReportFilters
from tests.factories import CommitmentFactory
from tests.helpers import postgresql_only


@postgresql_only("the benchmark compares with COPY")
@pytest.mark.django_db
def test_copy_counts_the_rows_each_report_writes():
    for index in range(3):
        commitment = CommitmentFactory(year=2021, planned_amount=Decimal(10))
        commitment.report_delivery(
            amount=Decimal(index + 1), date=datetime.date(2021, 5, 5), by=None
        )
    for exporter in EXPORTERS.values():
        source = exporter.values(exporter.queryset(ReportFilters()))
        assert copy_rows(source) == exporter.count(ReportFilters())
        plain_csv(source)  # the baseline reads the same values


def test_every_report_is_downloaded_in_both_dialects_and_xlsx():
    assert [(label, kind) for label, kind, _ in formats("realisations")] == [
        ("CSV excel", "csv"),
        ("CSV csv", "csv"),
        ("XLSX", "xlsx"),
    ]
    assert formats("realisations")[2][2] == "/rapports/realisations.xlsx"


def test_a_download_has_a_row_against_copy_one_against_the_loop_and_one_for_memory():
    exporter = EXPORTERS["realisations"]
    against_copy, against_loop, memory = rows_for(
        "realisations",
        exporter,
        "xlsx",
        "XLSX",
        1000,
        app=10,
        copy=0.5,
        plain=2,
        rest=100,
        peak=350,
    )
    assert against_copy.ratio == 0.05 and against_copy.target == TARGETS["xlsx"]
    assert against_copy.met is False and "xlsx_sql" in against_copy.reason
    assert against_loop.ratio == 0.2 and against_loop.met is None
    assert memory.target == RSS_GROWTH and memory.met is False  # grew by 250 Mo
    csv_row = rows_for("realisations", exporter, "csv", "CSV csv", 1000, 1, 0.5, 2, 100, 120)
    assert csv_row[0].met is True and csv_row[2].met is True


def test_the_peak_resident_memory_can_be_reset():
    pid = os.getpid()
    ballast = bytearray(64 * 1024 * 1024)  # touched: resident
    ballast[::4096] = b"x" * len(ballast[::4096])
    del ballast
    assert peak_mb(pid) >= resident_mb(pid) + 32
    reset_peak(pid)
    assert peak_mb(pid) < resident_mb(pid) + 32


def test_each_missed_reason_says_who_writes_the_rows():
    from operations.report_bench import missed_reason
    from reports.exports import EXPORTERS

    assert "groupées par PostgreSQL" in missed_reason(EXPORTERS["synthese"], "csv")
    assert "xlsx_stream" in missed_reason(EXPORTERS["synthese"], "xlsx")
    assert "xlsx_sql" in missed_reason(EXPORTERS["engagements"], "xlsx")
    assert "met en forme chaque cellule" in missed_reason(EXPORTERS["acteurs"], "csv")

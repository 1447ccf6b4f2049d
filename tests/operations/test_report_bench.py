"""bench_reports measures every report in both dialects against COPY of its own rows."""

import datetime
from decimal import Decimal

import pytest

from operations.report_bench import every_report_lines, measure_every_report
from reports.exports import EXPORTERS, ReportFilters
from tests.factories import CommitmentFactory
from tests.helpers import postgresql_only

pytestmark = [postgresql_only("the benchmark compares with COPY"), pytest.mark.django_db]


def test_every_report_and_dialect_is_measured_against_copy_of_its_rows():
    for index in range(3):
        commitment = CommitmentFactory(year=2021, planned_amount=Decimal(10))
        commitment.report_delivery(
            amount=Decimal(index + 1), date=datetime.date(2021, 5, 5), by=None
        )
    results = measure_every_report(runs=1)
    assert [(r["report"], r["dialect"]) for r in results] == [
        (name, dialect) for name in EXPORTERS for dialect in ("excel", "csv")
    ]
    for r in results:  # COPY counted the rows the report writes
        assert r["rows"] == EXPORTERS[r["report"]].count(ReportFilters())
    lines = every_report_lines(results)
    assert len(lines) == 2 + len(results) + 1
    assert "| realisations | excel | 3 | PostgreSQL |" in lines[4]

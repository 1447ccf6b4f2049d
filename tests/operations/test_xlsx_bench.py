"""bench_xlsx compares the XLSX writers on the same rows of realisations, against COPY."""

import pytest
from django.core.management import call_command

from operations.xlsx_bench import lines, measure
from tests.factories import DeliveryFactory
from tests.helpers import postgresql_only

pytestmark = pytest.mark.django_db


@postgresql_only("the reference is PostgreSQL's COPY")
def test_every_writer_is_measured_on_the_same_rows_against_copy():
    call_command("load_forum", verbosity=0)
    DeliveryFactory.create_batch(12)
    figures = measure(10, runs=1)
    assert figures["rows"] == 10
    writers = [result["writer"] for result in figures["writers"]]
    assert writers[:2] == ["openpyxl (write-only)", "XlsxWriter (constant_memory)"]
    assert writers[-3:] == [
        "xlsx_stream (les rapports)",
        "xlsx_stream, lecture comprise (SQLite)",
        "xlsx_sql, lecture comprise (PostgreSQL écrit les lignes)",
    ]
    assert all(result["seconds"] > 0 for result in figures["writers"])
    assert figures["copy"] > 0
    table = "\n".join(lines(figures))
    assert "xlsx_stream (les rapports)" in table and "COPY" in table

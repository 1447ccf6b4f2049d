"""bench_import times the admin import against COPY + INSERT … SELECT of the same rows,
both writing the same commitments and history, and leaves the database as it was."""

import pytest
from django.db import connection
from django.test import Client

from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from operations.import_bench import (
    MARK,
    import_file,
    import_table_rows,
    measure_import,
    run_import,
    run_reference,
)
from tests.helpers import postgresql_only

pytestmark = [postgresql_only("the benchmark compares with COPY"), pytest.mark.django_db]

ROWS = 5


@pytest.fixture
def forum():
    load_forum()


def written():
    """What a run wrote: its commitments, and their history rows, comparable."""
    commitments = Commitment.objects.filter(title__contains=MARK).order_by("title")
    fields = ("actor_id", "measure_id", "territory_id", "year", "title", "description")
    fields += ("planned_amount", "delivered_amount", "status", "closing_note", "is_public")
    history = Commitment.history.filter(title__contains=MARK).order_by("title")
    return (
        list(commitments.values_list(*fields)),
        list(history.values_list(*fields, "history_type")),
    )


def test_the_reference_writes_what_the_import_writes(forum, staff_agent):
    content, copied = import_file(ROWS)
    client = Client()
    client.force_login(staff_agent)
    run_import(client, content)
    by_import = written()
    assert len(by_import[0]) == len(by_import[1]) == ROWS
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM commitments_historicalcommitment WHERE title LIKE %s", [f"%{MARK}%"]
        )
        cursor.execute("DELETE FROM commitments_commitment WHERE title LIKE %s", [f"%{MARK}%"])
    _seconds, rows = run_reference(copied)
    assert rows == ROWS
    assert written() == by_import


def test_the_benchmark_leaves_the_database_as_it_was_and_gives_its_table_rows(forum):
    before = Commitment.objects.count(), Commitment.history.count()
    figures = measure_import(runs=1, rows=ROWS)
    assert (Commitment.objects.count(), Commitment.history.count()) == before
    assert figures["rows"] == ROWS
    assert figures["ratio"] == pytest.approx(
        (figures["preview_seconds"] + figures["confirm_seconds"]) / figures["reference_seconds"]
    )
    [ratio, seconds] = import_table_rows(figures)
    assert ratio[2].endswith(("(atteint)", "(manqué)")) and ratio[3] == "≤ 5×"
    assert "secondes absolues" in seconds[1]

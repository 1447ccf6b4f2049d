"""The JSON writer: the exporters' rows as an array of objects, numbers kept exact."""

import datetime
import json
from decimal import Decimal

from reports import export_writers
from reports.export_writers import json_chunks


def test_rows_become_objects_with_exact_numbers_iso_dates_and_null():
    rows = [
        [1, Decimal("1234567890.10"), Decimal("0.3766"), datetime.date(2020, 7, 10), None, "=1+1"],
    ]
    text = "".join(json_chunks(["id", "prevu", "taux", "date", "vide", "texte"], rows))
    assert json.loads(text, parse_float=Decimal) == [
        {
            "id": 1,
            "prevu": Decimal("1234567890.10"),
            "taux": Decimal("0.3766"),
            "date": "2020-07-10",
            "vide": None,
            # Read by programs, never run as a spreadsheet: written as it is.
            "texte": "=1+1",
        }
    ]
    assert '"prevu": 1234567890.10' in text


def test_an_empty_report_is_an_empty_array():
    assert json.loads("".join(json_chunks(["id"], []))) == []


def test_rows_are_streamed_a_few_hundred_at_a_time(monkeypatch):
    monkeypatch.setattr(export_writers, "ROWS_PER_CHUNK", 2)
    chunks = list(json_chunks(["n", "texte"], ([n, 'guillemet " et é'] for n in range(5))))
    assert len(chunks) == 2 + 3  # `[`, three chunks of rows, `]`
    assert [row["n"] for row in json.loads("".join(chunks))] == list(range(5))

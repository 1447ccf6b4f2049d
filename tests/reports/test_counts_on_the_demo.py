"""The row count /rapports/ shows for each report is the number of rows its file holds,
on the demo (loaded once for the module: tests/conftest.py's demo_module)."""

import pytest
from django.urls import reverse

from reports.exports import EXPORTERS
from tests.reports.test_reports import get_csv, parse

FILTERS = {
    "aucun filtre": {},
    "année 2021": {"year": 2021},
    "département du Nord": {"territory": "nord"},
    "enjeu Urgence sociale, publics seulement": {
        "issue": "urgence-sociale",
        "visibility": "public",
    },
}


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.mark.parametrize("name", FILTERS)
def test_each_report_holds_the_rows_the_reports_page_counts(demo, manager_client, name):
    filters = FILTERS[name]
    page = manager_client.get(reverse("reports:index"), filters)
    assert page.status_code == 200
    counted = {row["exporter"].name: row["count"] for row in page.context["reports"]}
    assert set(counted) == set(EXPORTERS)
    written = {
        report: len(parse(get_csv(manager_client, report, "csv", **filters)[1], "csv")) - 1
        for report in EXPORTERS
    }
    assert written == counted
    assert all(count > 0 for count in counted.values()), counted

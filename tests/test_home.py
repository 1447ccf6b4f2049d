"""The home page: public planned versus delivered per issue and unit, for anyone."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from strategy.units import Unit
from tests.factories import CommitmentFactory, IssueFactory, MeasureFactory, UserFactory

pytestmark = pytest.mark.django_db
NBSP = "\N{NO-BREAK SPACE}"


def test_an_anonymous_visitor_sees_the_press_release_figures(client):
    from commitments.forum_2020 import load_forum

    load_forum()
    page = client.get("/").content.decode()
    assert f"32{NBSP}300{NBSP}000{NBSP}€" in page
    assert f"11{NBSP}500{NBSP}000{NBSP}€" in page
    assert f"4{NBSP}000{NBSP}places" in page
    assert f"75{NBSP}%" in page


def test_private_commitments_and_reported_deliveries_count_for_nothing(client):
    measure = MeasureFactory(unit=Unit.PLACES)
    CommitmentFactory(measure=measure, planned_amount=Decimal(40))
    CommitmentFactory(measure=measure, planned_amount=Decimal(7000), is_public=False)
    CommitmentFactory(measure=measure, planned_amount=Decimal(9000), status="cancelled")
    public = CommitmentFactory(measure=measure, planned_amount=Decimal(60))
    public.report_delivery(
        amount=Decimal(33), date=datetime.date(2021, 5, 1), by=UserFactory(username="r")
    )
    page = client.get("/").content.decode()
    assert f"100{NBSP}places" in page
    assert f"0{NBSP}places" in page
    assert "7000" not in page.replace(NBSP, "")
    assert "9100" not in page.replace(NBSP, "")
    assert "33" not in page


def count_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_the_home_page_takes_three_queries_whatever_the_data(client):
    for _ in range(2):
        CommitmentFactory(measure=MeasureFactory(issue=IssueFactory()))
    small = count_queries(client)
    for _ in range(20):
        CommitmentFactory(measure=MeasureFactory(issue=IssueFactory()))
    assert (small, count_queries(client)) == (3, 3)

"""load_demo's reporting campaigns, on the demo loaded once for the module
(tests/conftest.py's demo_module): a closed « Remontée 2021 » with late actors and one
reopened, an open « Remontée 2022 » with a mix, built through the domain's methods at
plausible dates. test_demo_campaigns loads the demo itself where a test writes or reloads."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from actors.models import Membership
from commitments.campaigns import Campaign, ExpectedReport
from commitments.models import Commitment, Delivery
from datasets import demo_campaigns
from tests.helpers import text_of

pytestmark = pytest.mark.django_db

Status = ExpectedReport.Status


@pytest.fixture
def demo(demo_module, db):
    return {u.username: u for u in get_user_model().objects.all()}


def completeness(title, *by):
    """The campaign's completeness, through the query its page and downloads use."""
    return ExpectedReport.objects.filter(campaign__title=title).completeness(*by)


def totals(title):
    (row,) = completeness(title, "campaign")
    return {key: row[key] for key in ("expected", "submitted", "accepted", "returned", "late")}


def actor_of(username):
    return Membership.objects.get(user__username=username).actor


def test_the_2021_campaign_is_closed_with_late_actors_and_one_reopened(demo):
    campaign = Campaign.objects.get(title="Remontée 2021")
    assert campaign.state == Campaign.State.CLOSED
    assert (campaign.period_start, campaign.period_end) == (
        datetime.date(2021, 1, 1),
        datetime.date(2021, 12, 31),
    )
    assert (campaign.opens_on, campaign.deadline) == (
        datetime.date(2022, 1, 10),
        datetime.date(2022, 3, 31),
    )
    assert f"{timezone.localtime(campaign.closed_at):%d/%m/%Y}" == "29/04/2022"
    # A report per 2021 commitment not cancelled; all the answers accepted at the close.
    assert campaign.expected_reports.count() == (
        Commitment.objects.filter(year=2021).exclude(status="cancelled").count()
    )
    assert totals("Remontée 2021") == {
        "expected": 61,
        "submitted": 0,
        "accepted": 54,
        "returned": 0,
        "late": 6,
    }
    (row,) = completeness("Remontée 2021", "campaign")
    assert row["rate"] == Decimal("0.8852")
    # The late ones: LATE_ACTORS_2021 actors, who never answered.
    late = [r for r in completeness("Remontée 2021", "commitment__actor") if r["late"]]
    assert len(late) == demo_campaigns.LATE_ACTORS_2021 == 4
    assert all(r["late"] == r["expected"] and not r["accepted"] for r in late)
    # referent.b's actor did not answer either, and has a new deadline, in the future.
    reopened = campaign.expected_reports.exclude(reopened_until=None)
    today = timezone.localdate()
    assert {r.commitment.actor for r in reopened} == {actor_of("referent.b")}
    assert {r.reopened_until for r in reopened} == {today + datetime.timedelta(days=14)}
    assert {r.status for r in reopened} == {Status.EXPECTED}
    assert not reopened.late().exists()
    # A few were returned for correction, corrected, then accepted: their history says so.
    returned_once = (
        ExpectedReport.history.filter(campaign=campaign, status=Status.RETURNED)
        .values("id")
        .distinct()
    )
    assert returned_once.count() == 5
    assert set(
        campaign.expected_reports.filter(pk__in=returned_once).values_list("status", flat=True)
    ) == {Status.ACCEPTED}


def test_the_2022_campaign_is_open_until_some_weeks_from_today_with_a_mix(demo):
    campaign = Campaign.objects.get(title="Remontée 2022")
    today = timezone.localdate()
    assert campaign.state == Campaign.State.OPEN
    assert (campaign.period_start, campaign.period_end) == (
        datetime.date(2022, 1, 1),
        datetime.date(2022, 12, 31),
    )
    assert campaign.opens_on == today - datetime.timedelta(days=21)
    assert campaign.deadline == today + datetime.timedelta(days=28)
    assert totals("Remontée 2022") == {
        "expected": 67,
        "submitted": 13,
        "accepted": 19,
        "returned": 6,
        "late": 0,
    }
    (row,) = completeness("Remontée 2022", "campaign")
    assert row["rate"] == Decimal("0.4776")
    statuses = set(campaign.expected_reports.values_list("status", flat=True))
    assert statuses == set(Status)
    # Some answered "nothing delivered", with their reason.
    nothing = campaign.expected_reports.filter(nothing_delivered=True)
    assert nothing.exists() and not nothing.filter(narrative="").exists()


def test_each_demo_contact_has_something_due_in_their_area(demo, client):
    referent_a, referent_b = demo["referent.a"], demo["referent.b"]
    due_a = list(ExpectedReport.objects.for_area(referent_a))
    assert [(r.campaign.title, r.status) for r in due_a] == [("Remontée 2022", Status.RETURNED)]
    assert due_a[0].may_be_answered and due_a[0].return_reason
    due_b = list(ExpectedReport.objects.for_area(referent_b))
    assert [(r.campaign.title, r.status) for r in due_b] == [
        ("Remontée 2021", Status.EXPECTED),
        ("Remontée 2022", Status.EXPECTED),
    ]
    assert all(r.may_be_answered for r in due_b)
    client.force_login(referent_a)
    page = text_of(client.get(reverse("space:home")))
    assert "Remontée 2022" in page and "Renvoyée pour correction" in page
    client.force_login(referent_b)
    page = text_of(client.get(reverse("space:home")))
    assert "Remontée 2021" in page and "J-14" in page and "J-28" in page
    assert "en retard" not in page


def test_the_answers_are_dated_within_their_campaign_by_the_demo_people(demo):
    agents = {demo["agent.demo"], demo["agent.nord"]}
    contacts = {m.actor_id: m.user for m in Membership.objects.all()}
    now = timezone.now()
    for campaign in Campaign.objects.all():
        end = campaign.closed_at or now
        reports = campaign.expected_reports.select_related("commitment", "submitted_by")
        for report in reports.exclude(submitted_at=None):
            assert campaign.opened_at < report.submitted_at < end, report
            assert report.submitted_by == contacts.get(report.commitment.actor_id), report
        for report in reports.exclude(reviewed_at=None):
            assert report.submitted_at < report.reviewed_at < end, report
            assert report.reviewed_by in agents, report
        # Every write has its history entry, by its author, at its moment.
        for entry in ExpectedReport.history.filter(campaign=campaign).exclude(history_date__gt=end):
            assert campaign.opened_at <= entry.history_date, entry
        assert set(campaign.history.values_list("history_user__username", flat=True)) == {
            "agent.demo"
        }
    submitted_by_a = ExpectedReport.objects.filter(submitted_by=demo["referent.a"])
    assert submitted_by_a.exists()
    nord = ExpectedReport.objects.filter(reviewed_by=demo["agent.nord"])
    assert nord.exists()
    assert not nord.exclude(commitment__territory__slug="nord").exists()


def test_the_campaigns_change_no_commitment_and_no_delivery(demo):
    # Each demo row loaded once, never written again: the public figures are the demo's.
    demo_commitments = Commitment.objects.filter(actor__slug__startswith="demo-")
    demo_deliveries = Delivery.objects.filter(commitment__in=demo_commitments)
    assert not Commitment.history.filter(id__in=demo_commitments.values("pk")).exclude(
        history_type="+"
    )
    assert not Delivery.history.filter(id__in=demo_deliveries.values("pk")).exclude(
        history_type="+"
    )

"""One campaign walked from opening to reopening, through the pages and the daily command
as its users meet it, with the completeness figures at each step."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from actors.roles import AGENTS
from commitments.models import ExpectedReport
from tests.campaigns.test_reminders import build_world, day, run, sent_to
from tests.factories import staff_member

pytestmark = pytest.mark.django_db


def figures(campaign, when):
    """(expected, submitted, accepted, returned, late) of the whole campaign on `when`."""
    [row] = campaign.expected_reports.completeness("campaign", day=when)
    return tuple(row[key] for key in ("expected", "submitted", "accepted", "returned", "late"))


def post_report(world, contact, key, data):
    client = Client()
    client.force_login(world["contacts"][contact])
    report = ExpectedReport.objects.get(commitment=world["commitments"][key])
    return client.post(f"/espace/declarations/{report.pk}/", data)


def test_a_campaign_from_opening_to_a_reopening_for_one_actor(roles, on_commit):
    world = build_world()
    campaign = world["campaign"]
    agent = staff_member("agent-region", AGENTS)

    # The daily command opens it on its day and tells every contact once.
    run(on_commit, day(0))
    campaign.refresh_from_db()
    assert campaign.state == "open"
    assert sent_to("ouverte") == ["a1", "a2", "b1", "c1"]
    run(on_commit, day(0))
    assert len(mail.outbox) == 4
    assert figures(campaign, day(0)) == (4, 0, 0, 0, 0)

    # A contact declares a delivery of the period and submits; another declares nothing.
    world["commitments"]["a_first"].report_delivery(
        amount=Decimal(10), date=datetime.date(2021, 5, 1), by=world["contacts"]["a1"]
    )
    assert post_report(world, "a1", "a_first", {"narrative": "Bilan"}).status_code == 302
    response = post_report(world, "b1", "b", {"nothing_delivered": "on", "narrative": "Fermé"})
    assert response.status_code == 302
    assert figures(campaign, day(0)) == (4, 2, 0, 0, 0)

    # Staff accept one and return the other.
    ExpectedReport.objects.get(commitment=world["commitments"]["a_first"]).accept(by=agent)
    ExpectedReport.objects.get(commitment=world["commitments"]["b"]).return_for_revision(
        by=agent, reason="Depuis quand ?"
    )
    assert figures(campaign, day(0)) == (4, 0, 1, 1, 0)

    # The day after the deadline: the contacts of what is missing are reminded, once.
    mail.outbox.clear()
    run(on_commit, day(21))
    assert sent_to("Date limite dépassée") == ["a1", "a2", "b1", "c1"]
    run(on_commit, day(21))
    assert len([m for m in mail.outbox if "Date limite" in m.subject]) == 4
    assert figures(campaign, day(21)) == (4, 0, 1, 1, 3)

    # Closed, then reopened for one actor: only its contacts may answer again.
    campaign.close(by=agent)
    campaign.reopen_for(world["actors"]["c"], deadline=day(3), by=agent)
    post_report(world, "c1", "c", {"nothing_delivered": "on", "narrative": "Reprise en 2022"})
    post_report(world, "b1", "b", {"nothing_delivered": "on", "narrative": "Depuis mars"})
    statuses = {
        key: ExpectedReport.objects.get(commitment=world["commitments"][key]).status
        for key in ("c", "b")
    }
    assert statuses == {"c": "submitted", "b": "returned"}
    assert figures(campaign, day(0)) == (4, 1, 1, 1, 0)

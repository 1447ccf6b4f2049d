"""One campaign walked from opening to reopening, through the pages and the daily command
as its users meet it, with the completeness figures at each step."""

import pytest
from django.core import mail
from django.db.models import Q
from django.test import Client

from actors.roles import AGENTS
from commitments.models import Evidence, ExpectedReport
from tests.campaigns.test_reminders import build_world, day, run, sent_to
from tests.factories import staff_member
from tests.helpers import PDF_BYTES, upload

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

    # A contact declares a delivery of the period with its invoice, joins the year's
    # report to the declaration, and submits; another declares nothing.
    contact = Client()
    contact.force_login(world["contacts"]["a1"])
    first = world["commitments"]["a_first"]
    response = contact.post(
        f"/espace/engagements/{first.pk}/",
        {"amount": "10", "date": "2021-05-01", "justificatif": upload("facture.pdf")},
    )
    assert response.status_code == 302
    report_a = ExpectedReport.objects.get(commitment=first)
    response = contact.post(
        f"/espace/declarations/{report_a.pk}/justificatifs/",
        {"justificatif": upload("rapport-execution-2021.pdf")},
    )
    assert response.status_code == 302
    assert post_report(world, "a1", "a_first", {"narrative": "Bilan"}).status_code == 302
    assert sorted(
        Evidence.objects.filter(Q(delivery__commitment=first) | Q(report=report_a)).values_list(
            "name", flat=True
        )
    ) == ["facture.pdf", "rapport-execution-2021.pdf"]
    response = post_report(world, "b1", "b", {"nothing_delivered": "on", "narrative": "Fermé"})
    assert response.status_code == 302
    assert figures(campaign, day(0)) == (4, 2, 0, 0, 0)

    # Staff read the report's file, accept one and return the other.
    staff = Client()
    staff.force_login(agent)
    evidence = report_a.evidence.get()
    download = staff.get(f"/espace/justificatifs/{evidence.key}/")
    assert b"".join(download.streaming_content) == PDF_BYTES
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

"""The audit trail records every change to the domain, with who made it."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from commitments.models import Commitment
from tests.factories import CommitmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_domain_methods_record_the_acting_user():
    commitment = CommitmentFactory(year=2021, planned_amount=Decimal(500))
    contact, agent = UserFactory(username="referent"), UserFactory(username="agent")
    delivery = commitment.report_delivery(
        amount=Decimal(50), date=datetime.date(2021, 3, 1), by=contact
    )
    delivery.validate(by=agent)
    assert [
        (h.history_type, h.status, h.history_user) for h in delivery.history.order_by("pk")
    ] == [
        ("+", "reported", contact),
        ("~", "validated", agent),
    ]
    latest = commitment.history.order_by("-pk").first()
    assert (latest.delivered_amount, latest.history_user) == (Decimal(50), agent)


def test_admin_edits_are_recorded_with_the_agent_and_shown(staff_client, staff_agent):
    commitment = CommitmentFactory(title="Avant")
    address = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    staff_client.post(
        address,
        {
            "actor": commitment.actor_id,
            "measure": commitment.measure_id,
            "territory": commitment.territory_id,
            "year": "2021",
            "title": "Après",
            "planned_amount": "1000",
            "status": "planned",
            "is_public": "on",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )
    record = Commitment.history.filter(id=commitment.pk).order_by("-pk").first()
    assert (record.title, record.history_user) == ("Après", staff_agent)
    page = staff_client.get(reverse("admin:commitments_commitment_history", args=[commitment.pk]))
    assert staff_agent.username in page.content.decode()

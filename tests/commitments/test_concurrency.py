"""Concurrent reports and validations keep delivered = sum(validated), on PostgreSQL."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from commitments.models import Delivery
from tests.factories import CommitmentFactory, UserFactory
from tests.helpers import postgresql_only

pytestmark = [
    pytest.mark.django_db(transaction=True),
    postgresql_only("row locks need PostgreSQL (SQLite locks all)"),
]

WORKERS = 8
ROUNDS = 5


def run_in_threads(target, count):
    errors = []
    barrier = threading.Barrier(count)

    def worker(index):
        try:
            barrier.wait()
            target(index)
        except Exception as error:  # noqa: BLE001 - reported below, with the thread's index
            errors.append((index, error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def test_concurrent_report_and_validate_keep_the_invariant():
    commitment = CommitmentFactory(year=2021, planned_amount=Decimal(100_000))
    contact = UserFactory(username="referent")
    agent = UserFactory(username="agent")

    def report_then_validate(index):
        for round_ in range(ROUNDS):
            delivery = commitment.report_delivery(
                amount=Decimal(index + 1), date="2021-06-01", by=contact
            )
            if round_ % 2 == 0:
                delivery.validate(by=agent)

    run_in_threads(report_then_validate, WORKERS)
    commitment.refresh_from_db()
    validated = Delivery.objects.filter(commitment=commitment, status="validated")
    assert validated.count() == WORKERS * 3
    assert commitment.delivered_amount == sum(d.amount for d in validated)
    assert commitment.delivered_amount == 3 * sum(range(1, WORKERS + 1))


def test_the_same_delivery_validated_from_many_threads_counts_once():
    commitment = CommitmentFactory(year=2021, planned_amount=Decimal(1000))
    delivery = commitment.report_delivery(
        amount=Decimal(250), date="2021-06-01", by=UserFactory(username="referent")
    )
    agent = UserFactory(username="agent")
    outcomes = []

    def validate(index):
        try:
            Delivery.objects.get(pk=delivery.pk).validate(by=agent)
            outcomes.append("validated")
        except Exception as error:  # noqa: BLE001
            outcomes.append(type(error).__name__)

    run_in_threads(validate, WORKERS)
    assert sorted(outcomes) == ["ValidationError"] * (WORKERS - 1) + ["validated"]
    commitment.refresh_from_db()
    assert commitment.delivered_amount == Decimal(250)


def test_a_contact_amending_while_an_agent_validates_either_wins_whole():
    """Whoever takes the commitment's lock first wins; the other is refused, in French,
    and the amount validated is the one the commitment's delivered amount counts."""
    commitment = CommitmentFactory(year=2021, planned_amount=Decimal(100_000))
    contact, agent = UserFactory(username="referent"), UserFactory(username="agent")
    for _round in range(ROUNDS):
        delivery = commitment.report_delivery(amount=Decimal(10), date="2021-06-01", by=contact)
        refused = []

        def amend_or_validate(index, delivery=delivery, refused=refused):
            try:
                if index == 0:
                    Delivery.objects.get(pk=delivery.pk).validate(by=agent)
                else:
                    Delivery.objects.get(pk=delivery.pk).amend(
                        amount=Decimal(20), date=datetime.date(2021, 6, 2), by=contact
                    )
            except ValidationError as error:
                refused.append(error.messages[0])

        run_in_threads(amend_or_validate, 2)
        delivery.refresh_from_db()
        assert delivery.status == "validated"
        # Amended first (then validated as amended), or refused once validated.
        assert (delivery.amount == Decimal(20)) == (refused == []), refused
        assert all("n'est plus en attente de validation" in m for m in refused)
    commitment.refresh_from_db()
    validated = Delivery.objects.filter(commitment=commitment, status="validated")
    assert commitment.delivered_amount == sum(d.amount for d in validated)

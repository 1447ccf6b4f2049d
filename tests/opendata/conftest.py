import datetime
from decimal import Decimal

import pytest

from commitments.models import Commitment
from strategy.units import Unit
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    DeliveryFactory,
    IssueFactory,
    MeasureFactory,
    TerritoryFactory,
    UserFactory,
    region,
)


def make_public_rows(n, *, agent=None):
    """n public commitments over two issues, two units, two départements and two years,
    each with a validated delivery; returns them."""
    agent = agent or UserFactory(username="agent-examinateur")
    the_region = region()
    departements = [TerritoryFactory(parent=the_region), TerritoryFactory(parent=the_region)]
    measures = [
        MeasureFactory(issue=IssueFactory(), unit=Unit.EUROS),
        MeasureFactory(issue=IssueFactory(), unit=Unit.PLACES),
    ]
    commitments = []
    for index in range(n):
        commitment = CommitmentFactory(
            actor=ActorFactory(territory=departements[index % 2]),
            measure=measures[index % 2],
            year=2021 + index % 2,
            planned_amount=Decimal(1000 + index),
        )
        DeliveryFactory(
            commitment=commitment,
            amount=Decimal("250.50") if index % 2 == 0 else Decimal(30),
            date=datetime.date(2021, 3, 4),
        ).validate(by=agent)
        commitments.append(commitment)
    return commitments


@pytest.fixture
def public_rows(db):
    return make_public_rows(4)


@pytest.fixture
def secrets(db, public_rows):
    """Everything the open data must never hold, each with a marker to look for."""
    agent = UserFactory(username="agent-secret", email="agent-secret@exemple.invalid")
    contact = UserFactory(username="referent-secret", email="referent-secret@exemple.invalid")
    shown = public_rows[0]
    shown.actor.email = "contact-secret@exemple.invalid"
    shown.actor.siret = "73282932000074"
    shown.actor.save()
    CommitmentFactory(actor=shown.actor, title="ENGAGEMENT-PRIVE", is_public=False)
    private = CommitmentFactory(actor=shown.actor, title="AUTRE-PRIVE", is_public=False)
    DeliveryFactory(commitment=private, amount=Decimal("111.11")).validate(by=agent)
    DeliveryFactory(commitment=shown, amount=Decimal("777.77"), comment="COMMENTAIRE-SECRET")
    returned = DeliveryFactory(commitment=shown, amount=Decimal("888.88"))
    returned.return_for_revision(by=agent, reason="MOTIF-SECRET")
    reported = shown.report_delivery(
        amount=Decimal("999.99"), date=datetime.date(2021, 5, 6), by=contact, confirmed=True
    )
    assert reported.status != "validated"
    shown.description = "DESCRIPTION-INTERNE"
    shown.save()
    return [
        "ENGAGEMENT-PRIVE",
        "AUTRE-PRIVE",
        "111.11",
        "777.77",
        "COMMENTAIRE-SECRET",
        "888.88",
        "MOTIF-SECRET",
        "999.99",
        "DESCRIPTION-INTERNE",
        "agent-secret",
        "referent-secret",
        "exemple.invalid",
        "73282932000074",
    ]


@pytest.fixture
def cancelled(db, public_rows):
    return CommitmentFactory(
        title="ENGAGEMENT-ANNULE", planned_amount=Decimal(5), status=Commitment.Status.CANCELLED
    )

"""A reporting campaign, through its domain methods: opening creates one expected report
per commitment in scope; a contact submits (deliveries of the period, or nothing with a
comment); staff accept or return; closing stops declarations dated in the period, unless
reopened for the actor; the completeness counts each step."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from actors.models import Actor
from commitments.models import Campaign, Commitment, ExpectedReport
from tests.factories import ActorFactory, CommitmentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def world(db):
    association = ActorFactory(kind=Actor.Kind.ASSOCIATION)
    commune = ActorFactory(kind=Actor.Kind.COMMUNE)
    contact = MembershipFactory(actor=association, user=UserFactory(username="contact")).user
    return {
        "association": association,
        "commune": commune,
        "contact": contact,
        "agent": UserFactory(username="agent", is_staff=True),
        "a2021": CommitmentFactory(actor=association, year=2021, planned_amount=Decimal(100)),
        "b2021": CommitmentFactory(actor=association, year=2021, planned_amount=Decimal(50)),
        "c2021": CommitmentFactory(actor=commune, year=2021),
        "cancelled": CommitmentFactory(
            actor=association, year=2021, status=Commitment.Status.CANCELLED
        ),
        "other_year": CommitmentFactory(actor=association, year=2019),
    }


def campaign(**kwargs):
    values = {
        "title": "Bilan 2021",
        "period_start": datetime.date(2021, 1, 1),
        "period_end": datetime.date(2021, 12, 31),
        "opens_on": TODAY,
        "deadline": TODAY + datetime.timedelta(days=10),
    } | kwargs
    return Campaign.objects.create(**values)


def report(world, key, bilan):
    return ExpectedReport.objects.get(campaign=bilan, commitment=world[key])


def test_opening_expects_one_report_per_commitment_in_scope_not_cancelled(world):
    bilan = campaign()
    assert bilan.open(by=world["agent"]) == 3
    assert set(bilan.expected_reports.values_list("commitment", flat=True)) == {
        world["a2021"].pk,
        world["b2021"].pk,
        world["c2021"].pk,
    }
    assert bilan.state == Campaign.State.OPEN
    with pytest.raises(ValidationError, match="Seule une campagne en brouillon s'ouvre"):
        bilan.open(by=world["agent"])
    assert bilan.expected_reports.count() == 3


def test_a_scope_of_actor_kinds_narrows_the_reports(world):
    bilan = campaign(actor_kinds=[Actor.Kind.COMMUNE])
    assert bilan.open(by=world["agent"]) == 1


def test_a_contact_submits_the_period_s_deliveries_then_staff_accept(world):
    bilan = campaign()
    bilan.open(by=world["agent"])
    expected = report(world, "a2021", bilan)
    with pytest.raises(ValidationError, match="Aucune réalisation n'est déclarée sur la période"):
        expected.submit(by=world["contact"], narrative="Bilan")
    world["a2021"].report_delivery(
        amount=Decimal(40), date=datetime.date(2021, 6, 1), by=world["contact"]
    )
    expected.submit(by=world["contact"], narrative="Bilan de l'année")
    assert expected.status == ExpectedReport.Status.SUBMITTED
    with pytest.raises(ValidationError, match="elle attend l'examen"):
        expected.submit(by=world["contact"], narrative="Encore")
    expected.accept(by=world["agent"])
    expected.refresh_from_db()
    assert (expected.status, expected.reviewed_by) == ("accepted", world["agent"])


def test_nothing_delivered_needs_a_comment(world):
    bilan = campaign()
    bilan.open(by=world["agent"])
    expected = report(world, "b2021", bilan)
    with pytest.raises(ValidationError, match="pourquoi rien n'a été réalisé"):
        expected.submit(by=world["contact"], nothing_delivered=True, narrative="  ")
    assert ExpectedReport.objects.get(pk=expected.pk).status == "expected"
    expected.submit(by=world["contact"], nothing_delivered=True, narrative="Local indisponible")
    expected.return_for_revision(by=world["agent"], reason="Précisez la date de reprise")
    assert expected.status == ExpectedReport.Status.RETURNED
    expected.submit(by=world["contact"], nothing_delivered=True, narrative="Reprise en mars")
    assert expected.status == ExpectedReport.Status.SUBMITTED


def test_closing_stops_declarations_of_the_period_until_reopened_for_the_actor(world):
    bilan = campaign()
    bilan.open(by=world["agent"])
    bilan.close(by=world["agent"])
    in_period = datetime.date(2021, 3, 1)
    with pytest.raises(ValidationError, match="est close"):
        world["a2021"].report_delivery(amount=Decimal(1), date=in_period, by=world["contact"])
    # Outside the period, or another campaign's commitment: as always.
    world["other_year"].report_delivery(
        amount=Decimal(1), date=datetime.date(2019, 3, 1), by=world["contact"]
    )
    with pytest.raises(ValidationError, match="est close"):
        report(world, "a2021", bilan).submit(
            by=world["contact"], nothing_delivered=True, narrative="x"
        )
    assert (
        bilan.reopen_for(
            world["association"], deadline=TODAY + datetime.timedelta(days=7), by=world["agent"]
        )
        == 2
    )
    world["a2021"].report_delivery(amount=Decimal(1), date=in_period, by=world["contact"])
    report(world, "a2021", bilan).submit(by=world["contact"], narrative="Rattrapage")
    # The commune's reports were not reopened.
    with pytest.raises(ValidationError, match="est close"):
        world["c2021"].report_delivery(amount=Decimal(1), date=in_period, by=world["contact"])


def test_the_completeness_counts_expected_received_and_late(world):
    bilan = campaign(deadline=TODAY)
    bilan.open(by=world["agent"])
    report(world, "b2021", bilan).submit(by=world["contact"], nothing_delivered=True, narrative="x")
    by_actor = {
        row["commitment__actor"]: row
        for row in bilan.expected_reports.completeness("commitment__actor")
    }
    association = by_actor[world["association"].pk]
    assert (association["expected"], association["submitted"], association["late"]) == (2, 1, 0)
    assert association["rate"] == Decimal("0.5000")
    tomorrow = TODAY + datetime.timedelta(days=1)
    late = bilan.expected_reports.completeness("commitment__actor", day=tomorrow)
    assert {row["commitment__actor"]: row["late"] for row in late} == {
        world["association"].pk: 1,
        world["commune"].pk: 1,
    }
    assert report(world, "c2021", bilan).days_left == 0


def test_late_reports_are_listed_as_instances_with_their_deadline(world):
    bilan = campaign(opens_on=TODAY - datetime.timedelta(days=5), deadline=TODAY)
    bilan.open(by=world["agent"])
    tomorrow = TODAY + datetime.timedelta(days=1)
    late = list(ExpectedReport.objects.late(day=tomorrow).order_by("pk"))
    assert len(late) == 3
    assert {report.due_on for report in late} == {TODAY}
    assert list(ExpectedReport.objects.late()) == []


def test_opening_records_each_report_s_creation_in_its_history(world):
    bilan = campaign()
    bilan.open(by=world["agent"])
    created = ExpectedReport.history.filter(history_type="+")
    assert created.count() == 3
    assert set(created.values_list("history_user", flat=True)) == {world["agent"].pk}


def test_a_report_past_its_deadline_is_refused_until_the_actor_gets_a_new_one(world):
    bilan = campaign(opens_on=TODAY - datetime.timedelta(days=5), deadline=TODAY)
    bilan.open(by=world["agent"])
    Campaign.objects.filter(pk=bilan.pk).update(deadline=TODAY - datetime.timedelta(days=1))
    expected = report(world, "b2021", bilan)
    with pytest.raises(ValidationError, match="est passée : demandez à la préfecture"):
        expected.submit(by=world["contact"], nothing_delivered=True, narrative="En retard")
    assert ExpectedReport.objects.get(pk=expected.pk).status == ExpectedReport.Status.EXPECTED
    bilan.refresh_from_db()
    bilan.close(by=world["agent"])
    bilan.reopen_for(
        world["association"], deadline=TODAY + datetime.timedelta(days=2), by=world["agent"]
    )
    report(world, "b2021", bilan).submit(
        by=world["contact"], nothing_delivered=True, narrative="Avec un délai"
    )


def test_a_report_returned_after_the_deadline_is_corrected_while_the_campaign_is_open(world):
    bilan = campaign(opens_on=TODAY - datetime.timedelta(days=5), deadline=TODAY)
    bilan.open(by=world["agent"])
    expected = report(world, "b2021", bilan)
    expected.submit(by=world["contact"], nothing_delivered=True, narrative="Fermé")
    # Reviewed the day after the deadline, as review follows it: returned.
    Campaign.objects.filter(pk=bilan.pk).update(deadline=TODAY - datetime.timedelta(days=1))
    expected.return_for_revision(by=world["agent"], reason="Depuis quand ?")
    expected = report(world, "b2021", bilan)
    assert expected.is_late and expected.may_be_answered
    expected.submit(by=world["contact"], nothing_delivered=True, narrative="Depuis mars")
    assert expected.status == ExpectedReport.Status.SUBMITTED
    # Once the campaign is closed, no longer (unless reopened for the actor).
    expected.return_for_revision(by=world["agent"], reason="Et la suite ?")
    bilan.refresh_from_db()
    bilan.close(by=world["agent"])
    with pytest.raises(ValidationError, match="est close"):
        report(world, "b2021", bilan).submit(
            by=world["contact"], nothing_delivered=True, narrative="Trop tard"
        )

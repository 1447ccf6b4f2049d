"""Statuses that cannot lie: the rules on Commitment, change_status, validation on a
cancelled commitment, inconsistent() and the check_statuses command."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from commitments.models import CANCELLED_REASON, CLOSE, WITHDRAW, Commitment, Delivery
from strategy.units import Unit
from tests.factories import CommitmentFactory, MeasureFactory, UserFactory

pytestmark = pytest.mark.django_db

JUNE_2021 = datetime.date(2021, 6, 1)
Status = Commitment.Status


@pytest.fixture
def agent():
    return UserFactory(username="agent", is_staff=True)


@pytest.fixture
def contact():
    return UserFactory(username="referent", email="referent@exemple.invalid")


@pytest.fixture
def commitment():
    return CommitmentFactory(
        year=2021, planned_amount=Decimal(200), measure=MeasureFactory(unit=Unit.PLACES)
    )


def deliver(commitment, contact, agent, *amounts, validate=True):
    deliveries = []
    for amount in amounts:
        delivery = commitment.report_delivery(amount=Decimal(amount), date=JUNE_2021, by=contact)
        if validate:
            delivery.validate(by=agent)
        deliveries.append(delivery)
    commitment.refresh_from_db()
    return deliveries


def plain(text):
    """Amounts are written with non-breaking spaces: compare them as a reader reads them."""
    return text.replace("\N{NO-BREAK SPACE}", " ").replace("\N{NARROW NO-BREAK SPACE}", " ")


def message(excinfo):
    return plain(" ".join(excinfo.value.messages))


def messages_by_field(excinfo):
    return {
        field: [plain(text) for text in texts]
        for field, texts in excinfo.value.message_dict.items()
    }


def unchanged(commitment):
    """The commitment's status, note and delivered amount as stored, and its history size."""
    commitment.refresh_from_db()
    return (
        commitment.status,
        commitment.closing_note,
        commitment.delivered_amount,
        commitment.history.count(),
    )


# Prévu and En cours


def test_planned_is_refused_once_something_is_validated(commitment, contact, agent):
    deliver(commitment, contact, agent, 20)
    before = unchanged(commitment)
    with pytest.raises(ValidationError) as excinfo:
        commitment.change_status(Status.PLANNED, by=agent)
    assert "« Prévu » veut dire que rien n'est encore réalisé, or 20 places" in message(excinfo)
    assert unchanged(commitment) == before


def test_planned_is_accepted_while_nothing_is_validated(commitment, contact, agent):
    deliver(commitment, contact, agent, 20, validate=False)  # reported only
    commitment.change_status(Status.IN_PROGRESS, by=agent)
    commitment.change_status(Status.PLANNED, by=agent)
    commitment.refresh_from_db()
    assert commitment.status == Status.PLANNED
    assert commitment.history.latest().history_user == agent


def test_the_first_validated_delivery_makes_a_planned_commitment_in_progress(
    commitment, contact, agent
):
    deliver(commitment, contact, agent, 20)
    assert commitment.status == Status.IN_PROGRESS


@pytest.mark.parametrize("amounts", [(), (20,), (150, 100)])
def test_in_progress_accepts_any_delivered_amount(commitment, contact, agent, amounts):
    deliver(commitment, contact, agent, *amounts)
    commitment.change_status(Status.IN_PROGRESS, by=agent)
    commitment.refresh_from_db()
    assert commitment.status == Status.IN_PROGRESS
    commitment.full_clean()


# Réalisé


@pytest.mark.parametrize("amounts", [(200,), (150, 100)])
def test_completed_needs_no_note_when_delivered_reaches_planned(
    commitment, contact, agent, amounts
):
    deliver(commitment, contact, agent, *amounts)
    commitment.change_status(Status.COMPLETED, by=agent)
    commitment.refresh_from_db()
    assert (commitment.status, commitment.closing_note) == (Status.COMPLETED, "")


@pytest.mark.parametrize("note", ["", "   "])
def test_completed_below_target_without_a_closing_note_is_refused(commitment, contact, agent, note):
    deliver(commitment, contact, agent, 150)
    before = unchanged(commitment)
    with pytest.raises(ValidationError) as excinfo:
        commitment.change_status(Status.COMPLETED, by=agent, closing_note=note)
    assert messages_by_field(excinfo) == {
        "closing_note": [
            "Le réalisé validé (150 places) n'atteint pas le prévu (200 places) : pour dire "
            "cet engagement « Réalisé », expliquez dans la note de clôture pourquoi il est "
            "clos sous l'objectif."
        ]
    }
    assert unchanged(commitment) == before


def test_completed_below_target_with_a_closing_note_is_accepted(commitment, contact, agent):
    deliver(commitment, contact, agent, 150)
    commitment.change_status(Status.COMPLETED, by=agent, closing_note="  Public moins nombreux. ")
    commitment.refresh_from_db()
    assert (commitment.status, commitment.closing_note) == (
        Status.COMPLETED,
        "Public moins nombreux.",
    )
    latest = commitment.history.latest()
    assert (latest.status, latest.closing_note, latest.history_user) == (
        Status.COMPLETED,
        "Public moins nombreux.",
        agent,
    )


@pytest.mark.parametrize("status", [Status.PLANNED, Status.IN_PROGRESS])
def test_a_closing_note_is_refused_on_an_open_commitment(commitment, agent, status):
    with pytest.raises(ValidationError) as excinfo:
        commitment.change_status(status, by=agent, closing_note="Clos.")
    assert "La note de clôture ne va qu'avec un engagement « Réalisé » ou « Annulé »" in message(
        excinfo
    )


def test_a_closing_note_over_2000_characters_is_refused(commitment):
    commitment.status = Status.COMPLETED
    commitment.closing_note = "x" * 2001
    with pytest.raises(ValidationError) as excinfo:
        commitment.full_clean()
    assert "closing_note" in excinfo.value.message_dict


def test_reopening_a_completed_commitment_clears_its_note(commitment, contact, agent):
    deliver(commitment, contact, agent, 150)
    commitment.change_status(Status.COMPLETED, by=agent, closing_note="Clos.")
    commitment.change_status(Status.IN_PROGRESS, by=agent)
    commitment.refresh_from_db()
    assert (commitment.status, commitment.closing_note) == (Status.IN_PROGRESS, "")


def test_an_unknown_status_is_refused(commitment, agent):
    with pytest.raises(ValidationError) as excinfo:
        commitment.change_status("done", by=agent)
    assert message(excinfo) == "Statut inconnu."


# Model.clean: what the importer and every ModelForm get


@pytest.mark.parametrize(
    ("status", "delivered", "note", "field"),
    [
        (Status.PLANNED, 10, "", "status"),
        (Status.COMPLETED, 10, "", "closing_note"),
        (Status.CANCELLED, 10, "", "status"),
        (Status.IN_PROGRESS, 10, "Clos.", "closing_note"),
    ],
)
def test_clean_refuses_the_inconsistent_combinations(status, delivered, note, field):
    commitment = CommitmentFactory.build(
        actor=CommitmentFactory().actor,
        measure=MeasureFactory(unit=Unit.PLACES),
        territory=CommitmentFactory().territory,
        planned_amount=Decimal(200),
        delivered_amount=Decimal(delivered),
        status=status,
        closing_note=note,
    )
    with pytest.raises(ValidationError) as excinfo:
        commitment.full_clean()
    assert list(excinfo.value.message_dict) == [field]


@pytest.mark.parametrize(
    ("status", "delivered", "note"),
    [
        (Status.PLANNED, 0, ""),
        (Status.IN_PROGRESS, 0, ""),
        (Status.IN_PROGRESS, 300, ""),
        (Status.COMPLETED, 200, ""),
        (Status.COMPLETED, 10, "Clos sous l'objectif."),
        (Status.CANCELLED, 0, ""),
        (Status.CANCELLED, 0, "Projet abandonné."),
    ],
)
def test_clean_accepts_what_the_rules_allow(status, delivered, note):
    commitment = CommitmentFactory.build(
        actor=CommitmentFactory().actor,
        measure=MeasureFactory(unit=Unit.PLACES),
        territory=CommitmentFactory().territory,
        planned_amount=Decimal(200),
        delivered_amount=Decimal(delivered),
        status=status,
        closing_note=note,
    )
    commitment.full_clean()


# Annulé


def test_cancelling_a_commitment_without_deliveries_cancels_it(commitment, agent):
    assert commitment.change_status(Status.CANCELLED, by=agent) == []
    commitment.refresh_from_db()
    assert commitment.status == Status.CANCELLED


def test_cancelling_with_validated_deliveries_asks_what_to_do_and_saves_nothing(
    commitment, contact, agent
):
    deliver(commitment, contact, agent, 20, 30)
    before = unchanged(commitment)
    with pytest.raises(ValidationError) as excinfo:
        commitment.change_status(Status.CANCELLED, by=agent)
    assert messages_by_field(excinfo) == {
        "validated_deliveries": [
            "Cet engagement a 2 réalisations validées (50 places) : choisissez ce "
            "qu'elles deviennent avant de l'annuler."
        ]
    }
    assert unchanged(commitment) == before
    assert set(commitment.deliveries.values_list("status", flat=True)) == {"validated"}


def test_cancelling_and_withdrawing_sets_the_deliveries_aside_and_keeps_their_history(
    commitment, contact, agent
):
    validated = deliver(commitment, contact, agent, 20, 30)
    [reported] = deliver(commitment, contact, agent, 5, validate=False)
    touched = commitment.change_status(
        Status.CANCELLED, by=agent, closing_note="Projet abandonné.", validated_deliveries=WITHDRAW
    )
    commitment.refresh_from_db()
    assert (commitment.status, commitment.delivered_amount, commitment.closing_note) == (
        Status.CANCELLED,
        Decimal(0),
        "Projet abandonné.",
    )
    assert sorted(d.pk for d in touched) == sorted(d.pk for d in [*validated, reported])
    statuses = dict(commitment.deliveries.values_list("pk", "status"))
    assert statuses == {
        validated[0].pk: "withdrawn",
        validated[1].pk: "withdrawn",
        reported.pk: "returned",
    }
    assert set(commitment.deliveries.values_list("return_reason", flat=True)) == {CANCELLED_REASON}
    history = [
        (h.status, h.history_user) for h in validated[0].history.order_by("history_date", "pk")
    ]
    assert history == [("reported", contact), ("validated", agent), ("withdrawn", agent)]
    assert Commitment.objects.filter(pk=commitment.pk).inconsistent().count() == 0


def test_withdrawn_deliveries_no_longer_count(commitment, contact, agent):
    deliver(commitment, contact, agent, 20)
    commitment.change_status(Status.CANCELLED, by=agent, validated_deliveries=WITHDRAW)
    commitment.change_status(Status.IN_PROGRESS, by=agent)  # reopened
    commitment.refresh_from_db()
    assert commitment.delivered_amount == Decimal(0)
    assert commitment.refresh_delivered_amount() is False


def test_closing_instead_of_cancelling_makes_it_completed_and_keeps_the_deliveries(
    commitment, contact, agent
):
    deliver(commitment, contact, agent, 20, 30)
    commitment.change_status(
        Status.CANCELLED,
        by=agent,
        closing_note="Arrêté à mi-parcours faute de locaux.",
        validated_deliveries=CLOSE,
    )
    commitment.refresh_from_db()
    assert (commitment.status, commitment.delivered_amount, commitment.closing_note) == (
        Status.COMPLETED,
        Decimal(50),
        "Arrêté à mi-parcours faute de locaux.",
    )
    assert set(commitment.deliveries.values_list("status", flat=True)) == {"validated"}


def test_closing_instead_of_cancelling_below_target_needs_a_note(commitment, contact, agent):
    deliver(commitment, contact, agent, 20)
    before = unchanged(commitment)
    with pytest.raises(ValidationError) as excinfo:
        commitment.change_status(Status.CANCELLED, by=agent, validated_deliveries=CLOSE)
    assert list(excinfo.value.message_dict) == ["closing_note"]
    assert unchanged(commitment) == before


def test_a_delivery_on_a_cancelled_commitment_cannot_be_validated(commitment, contact, agent):
    [delivery] = deliver(commitment, contact, agent, 20, validate=False)
    Commitment.objects.filter(pk=commitment.pk).update(status=Status.CANCELLED)  # legacy row
    with pytest.raises(ValidationError) as excinfo:
        delivery.validate(by=agent)
    assert message(excinfo).startswith(
        "Cet engagement est annulé : aucune réalisation ne peut y être validée."
    )
    delivery.refresh_from_db()
    commitment.refresh_from_db()
    assert (delivery.status, commitment.delivered_amount) == ("reported", Decimal(0))


def test_a_delivery_on_a_cancelled_commitment_can_still_be_returned(commitment, contact, agent):
    [delivery] = deliver(commitment, contact, agent, 20, validate=False)
    Commitment.objects.filter(pk=commitment.pk).update(status=Status.CANCELLED)
    delivery.return_for_revision(by=agent, reason="Engagement annulé.")
    assert delivery.status == Delivery.Status.RETURNED


# inconsistent() and check_statuses


@pytest.fixture
def crafted(contact, agent):
    """One commitment per rule broken, written around the domain as legacy data was, and
    consistent ones that must not be flagged."""
    places = MeasureFactory(unit=Unit.PLACES)

    def make(title, status, amounts=(), note=""):
        commitment = CommitmentFactory(
            title=title, measure=places, planned_amount=Decimal(200), year=2021
        )
        deliver(commitment, contact, agent, *amounts)
        Commitment.objects.filter(pk=commitment.pk).update(status=status, closing_note=note)
        return commitment

    rows = {
        "planned_delivered": make("Prévu mais réalisé", Status.PLANNED, [20]),
        "completed_below": make("Réalisé sous le prévu", Status.COMPLETED, [20]),
        "cancelled_delivered": make("Annulé mais compté", Status.CANCELLED, [20]),
        "sum_differs": make("Somme fausse", Status.IN_PROGRESS, [20]),
    }
    Commitment.objects.filter(pk=rows["sum_differs"].pk).update(delivered_amount=Decimal(35))
    make("Prévu sans rien", Status.PLANNED)
    make("En cours", Status.IN_PROGRESS, [20])
    make("Réalisé atteint", Status.COMPLETED, [200])
    make("Réalisé avec note", Status.COMPLETED, [20], note="Clos faute de public.")
    make("Annulé vide", Status.CANCELLED)
    return rows


def test_inconsistent_finds_each_rule_broken_with_its_reason_and_nothing_else(crafted):
    found = {
        c.pk: (c.inconsistency, c.validated_total)
        for c in Commitment.objects.inconsistent().order_by("pk")
    }
    assert found == {
        crafted["planned_delivered"].pk: ("planned_delivered", Decimal(20)),
        crafted["completed_below"].pk: ("completed_below", Decimal(20)),
        crafted["cancelled_delivered"].pk: ("cancelled_delivered", Decimal(20)),
        crafted["sum_differs"].pk: ("sum_differs", Decimal(20)),
    }


def test_a_cancelled_commitment_with_validated_deliveries_but_nothing_counted_is_flagged(
    commitment, contact, agent
):
    deliver(commitment, contact, agent, 20)
    Commitment.objects.filter(pk=commitment.pk).update(
        status=Status.CANCELLED, delivered_amount=Decimal(0)
    )
    [row] = Commitment.objects.inconsistent()
    assert row.inconsistency == "cancelled_delivered"


def test_check_statuses_prints_a_french_table_and_the_count(crafted, capsys):
    call_command("check_statuses")
    out = plain(capsys.readouterr().out)
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["id", "|", "Engagement"]
    assert len(lines) == 1 + 4 + 1
    assert "Somme fausse" in out and "35 places" in out and "20 places" in out
    assert "« Réalisé » sous le prévu, sans note de clôture" in out
    assert "Prévu sans rien" not in out and "Réalisé avec note" not in out
    assert lines[-1] == "4 engagements incohérents."


def test_check_statuses_with_fail_exits_in_error_when_there_are_any(crafted):
    with pytest.raises(CommandError, match="4 engagement"):
        call_command("check_statuses", "--fail")


def test_check_statuses_says_so_when_everything_is_consistent(commitment, capsys):
    call_command("check_statuses", "--fail")
    assert capsys.readouterr().out == "Aucun engagement incohérent.\n"

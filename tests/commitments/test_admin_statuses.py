"""The commitment's change form checks the status through the domain and saves it through
Commitment.change_status; the list has an "Incohérences" filter."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from commitments.models import Commitment
from strategy.units import Unit
from tests.factories import CommitmentFactory, MeasureFactory, UserFactory
from tests.helpers import count_queries, text_of

pytestmark = pytest.mark.django_db

JUNE_2021 = datetime.date(2021, 6, 1)
CHANGELIST = reverse("admin:commitments_commitment_changelist")
Status = Commitment.Status
# The commitment list and its totals, whatever its rows. Filtered, as many: the whole
# list's count beside the filtered one (« 3 résultats (13 au total) ») is one more, and
# the filtered count one less, read in the query of the totals (totals_and_count()).
QUERIES = 12
FILTERED_QUERIES = 12


@pytest.fixture
def contact():
    return UserFactory(username="referent", email="referent@exemple.invalid")


@pytest.fixture
def commitment(contact, staff_agent):
    commitment = CommitmentFactory(
        title="Places d'accueil",
        year=2021,
        planned_amount=Decimal(200),
        measure=MeasureFactory(unit=Unit.PLACES),
    )
    for amount in (100, 30):
        delivery = commitment.report_delivery(amount=Decimal(amount), date=JUNE_2021, by=contact)
        delivery.validate(by=staff_agent)
    commitment.refresh_from_db()
    return commitment


def change_url(commitment):
    return reverse("admin:commitments_commitment_change", args=[commitment.pk])


def form_data(commitment, **changes):
    """The change form as the page shows it (no inline rows changed)."""
    commitment.refresh_from_db()
    deliveries = list(commitment.deliveries.order_by("-date", "-pk"))
    data = {
        "actor": commitment.actor_id,
        "measure": commitment.measure_id,
        "territory": commitment.territory_id,
        "year": str(commitment.year),
        "title": commitment.title,
        "description": commitment.description,
        "planned_amount": str(commitment.planned_amount),
        "status": commitment.status,
        "closing_note": commitment.closing_note,
        "is_public": "on",
        "deliveries-TOTAL_FORMS": str(len(deliveries)),
        "deliveries-INITIAL_FORMS": str(len(deliveries)),
        "deliveries-MIN_NUM_FORMS": "0",
        "deliveries-MAX_NUM_FORMS": "1000",
    }
    for index, delivery in enumerate(deliveries):
        data |= {
            f"deliveries-{index}-id": str(delivery.pk),
            f"deliveries-{index}-commitment": str(commitment.pk),
            f"deliveries-{index}-date": f"{delivery.date:%d/%m/%Y}",
            f"deliveries-{index}-amount": str(delivery.amount),
            f"deliveries-{index}-comment": delivery.comment,
        }
    return data | changes


def stored(commitment):
    commitment.refresh_from_db()
    return (
        commitment.title,
        commitment.status,
        commitment.closing_note,
        commitment.delivered_amount,
        commitment.history.count(),
        sorted(commitment.deliveries.values_list("status", flat=True)),
    )


def test_staff_close_a_commitment_below_target_with_a_closing_note(
    staff_client, commitment, staff_agent
):
    response = staff_client.post(
        change_url(commitment),
        form_data(commitment, status=Status.COMPLETED, closing_note="Public moins nombreux."),
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.status, commitment.closing_note) == (
        Status.COMPLETED,
        "Public moins nombreux.",
    )
    assert commitment.history.latest().history_user == staff_agent


def test_completed_below_target_without_a_note_gets_the_french_message_and_nothing_is_saved(
    staff_client, commitment
):
    before = stored(commitment)
    response = staff_client.post(
        change_url(commitment),
        form_data(commitment, status=Status.COMPLETED, title="Autre intitulé"),
    )
    assert response.status_code == 200
    assert (
        "Le réalisé validé (130 places) n'atteint pas le prévu (200 places) : pour dire cet "
        "engagement « Réalisé », expliquez dans la note de clôture" in text_of(response)
    )
    assert stored(commitment) == before


def test_the_rule_broken_is_said_once(staff_client, commitment):
    response = staff_client.post(change_url(commitment), form_data(commitment, status="completed"))
    assert response.status_code == 200
    assert text_of(response).count("n'atteint pas le prévu") == 1


def test_closing_below_target_without_a_note_does_not_ask_again_for_the_choice_made(
    staff_client, commitment
):
    before = stored(commitment)
    response = staff_client.post(
        change_url(commitment),
        form_data(commitment, status="cancelled", validated_deliveries="close"),
    )
    assert response.status_code == 200
    page = text_of(response)
    assert page.count("n'atteint pas le prévu (200 places)") == 1
    assert "ne peut être annulé qu'en décidant" not in page
    assert stored(commitment) == before


def test_cancelling_with_validated_deliveries_asks_what_to_do_with_them(staff_client, commitment):
    page = text_of(staff_client.get(change_url(commitment)))
    assert "Que faire des 2 réalisations validées (130 places) ?" in page
    before = stored(commitment)
    response = staff_client.post(change_url(commitment), form_data(commitment, status="cancelled"))
    assert response.status_code == 200
    assert (
        "Cet engagement a 2 réalisations validées (130 places) : choisissez ce qu'elles "
        "deviennent avant de l'annuler." in text_of(response)
    )
    # One question, not the model's rule saying the same thing again.
    assert "ne peut être annulé qu'en décidant" not in text_of(response)
    assert stored(commitment) == before


def test_the_choice_is_not_offered_without_validated_deliveries(staff_client):
    commitment = CommitmentFactory()
    page = staff_client.get(change_url(commitment)).content.decode()
    assert "validated_deliveries" not in page
    response = staff_client.post(change_url(commitment), form_data(commitment, status="cancelled"))
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == Status.CANCELLED


def test_cancelling_and_withdrawing_in_the_admin_tells_the_contact(
    staff_client, commitment, contact, on_commit
):
    with on_commit():
        response = staff_client.post(
            change_url(commitment),
            form_data(
                commitment,
                status="cancelled",
                closing_note="Projet abandonné par l'association.",
                validated_deliveries="withdraw",
            ),
        )
    assert response.status_code == 302
    title, status, note, delivered, _history, deliveries = stored(commitment)
    assert (status, note, delivered) == (
        Status.CANCELLED,
        "Projet abandonné par l'association.",
        Decimal(0),
    )
    assert deliveries == ["withdrawn", "withdrawn"]
    assert [m.to for m in mail.outbox] == [[contact.email]] * 2
    assert mail.outbox[0].subject == f"Engagement annulé : {title}"
    assert "est retirée : elle n'est plus comptée" in mail.outbox[0].body


def test_closing_instead_of_cancelling_in_the_admin_keeps_the_deliveries(staff_client, commitment):
    response = staff_client.post(
        change_url(commitment),
        form_data(
            commitment,
            status="cancelled",
            closing_note="Arrêté à mi-parcours.",
            validated_deliveries="close",
        ),
    )
    assert response.status_code == 302
    _title, status, note, delivered, _history, deliveries = stored(commitment)
    assert (status, note, delivered) == (Status.COMPLETED, "Arrêté à mi-parcours.", Decimal(130))
    assert deliveries == ["validated", "validated"]


def test_a_title_and_a_status_changed_together_are_both_saved(staff_client, commitment):
    response = staff_client.post(
        change_url(commitment),
        form_data(commitment, title="Nouvel intitulé", status="completed", closing_note="Clos."),
    )
    assert response.status_code == 302
    assert stored(commitment)[:3] == ("Nouvel intitulé", Status.COMPLETED, "Clos.")


def test_a_legacy_row_must_have_its_status_fixed_before_anything_else_is_saved(
    staff_client, commitment
):
    Commitment.objects.filter(pk=commitment.pk).update(status=Status.PLANNED)
    response = staff_client.post(
        change_url(commitment), form_data(commitment, title="Autre intitulé")
    )
    assert response.status_code == 200
    assert "« Prévu » veut dire que rien n'est encore réalisé" in text_of(response)
    assert stored(commitment)[:2] == ("Places d'accueil", Status.PLANNED)


def test_a_manager_cannot_change_a_status(client, manager, commitment):
    client.force_login(manager)
    before = stored(commitment)
    response = client.post(
        change_url(commitment), form_data(commitment, status="completed", closing_note="Clos.")
    )
    assert response.status_code == 403
    assert stored(commitment) == before


def test_the_list_and_the_change_page_show_the_closing_note(staff_client, commitment, staff_agent):
    commitment.change_status(Status.COMPLETED, by=staff_agent, closing_note="Faute de locaux.")
    assert "Réalisé Note : Faute de locaux." in text_of(staff_client.get(CHANGELIST))
    assert "Faute de locaux." in text_of(staff_client.get(change_url(commitment)))
    long_note = "Locaux perdus en mars, relogement partiel : " + "x" * 80
    commitment.change_status(Status.COMPLETED, by=staff_agent, closing_note=long_note)
    listed = staff_client.get(CHANGELIST).content.decode()
    assert f'title="{long_note}"' in listed  # cut in the list, whole on hover


@pytest.fixture
def legacy(commitment):
    """A consistent commitment, and one written before the rules: Annulé and counted."""
    other = CommitmentFactory(title="Annulé mais compté", measure=commitment.measure)
    Commitment.objects.filter(pk=other.pk).update(
        status=Status.CANCELLED, delivered_amount=Decimal(12)
    )
    return other


def test_the_incoherences_filter_lists_the_rows_that_break_the_rules_with_their_reason(
    staff_client, commitment, legacy
):
    response = staff_client.get(CHANGELIST, {"incoherence": "toutes"})
    assert [c.pk for c in response.context["cl"].result_list] == [legacy.pk]
    page = text_of(response)
    assert "Incohérence" in page
    assert "« Annulé » avec des réalisations validées" in page
    response = staff_client.get(CHANGELIST, {"incoherence": "completed_below"})
    assert list(response.context["cl"].result_list) == []
    response = staff_client.get(CHANGELIST, {"incoherence": "toutes", "_facets": "1"})
    assert response.status_code == 200


def test_the_incoherences_filter_does_not_add_queries_to_the_list(staff_client, commitment, legacy):
    for index in range(5):  # more rows, flagged and not, must not add queries either
        CommitmentFactory(title=f"Autre {index}")
        extra = CommitmentFactory(title=f"Prévu compté {index}")
        Commitment.objects.filter(pk=extra.pk).update(delivered_amount=Decimal(3))
    plain = count_queries(staff_client, CHANGELIST)
    filtered = count_queries(staff_client, f"{CHANGELIST}?incoherence=toutes")
    assert (plain, filtered) == (QUERIES, FILTERED_QUERIES)


def test_the_list_totals_follow_the_incoherences_filter(staff_client, commitment, legacy):
    response = staff_client.get(f"{CHANGELIST}?incoherence=toutes")
    flagged = Commitment.objects.inconsistent()
    assert flagged.exists()
    assert response.context["cl"].unit_totals == flagged.totals()
    assert response.context["cl"].unit_totals != Commitment.objects.totals()


def test_the_list_totals_count_in_french_even_when_nothing_is_counted(staff_client, commitment):
    page = text_of(staff_client.get(CHANGELIST, {"status__exact": Status.CANCELLED}))
    assert "hors engagements annulés (0 engagement compté)" in page
    page = text_of(staff_client.get(CHANGELIST))
    assert "hors engagements annulés (1 engagement compté)" in page


def _completed(commitment, staff_agent, closing_note=""):
    """The fixture's commitment (130 of 200 places), its target lowered to what was
    delivered, then closed as Réalisé."""
    Commitment.objects.filter(pk=commitment.pk).update(planned_amount=Decimal(130))
    commitment.refresh_from_db()
    commitment.change_status(Status.COMPLETED, by=staff_agent, closing_note=closing_note)
    return commitment


def test_correcting_a_validated_delivery_below_target_makes_a_completed_commitment_in_progress(
    staff_client, commitment, staff_agent
):
    _completed(commitment, staff_agent)
    delivery = commitment.deliveries.validated().order_by("pk").first()
    url = reverse("admin:commitments_delivery_change", args=[delivery.pk])
    response = staff_client.post(
        url,
        {"date": f"{delivery.date:%d/%m/%Y}", "amount": "1", "comment": delivery.comment},
        follow=True,
    )
    assert response.status_code == 200
    commitment.refresh_from_db()
    assert (commitment.status, commitment.delivered_amount) == (Status.IN_PROGRESS, Decimal(31))
    assert "passe de « Réalisé » à « En cours »" in text_of(response)
    assert "31 places sur 130 places prévues" in text_of(response)
    assert not Commitment.objects.inconsistent().exists()
    assert commitment.history.first().history_user == staff_agent


def test_deleting_validated_deliveries_inline_makes_a_completed_commitment_in_progress(
    staff_client, commitment, staff_agent
):
    _completed(commitment, staff_agent)
    data = form_data(commitment) | {"deliveries-0-DELETE": "on", "deliveries-1-DELETE": "on"}
    response = staff_client.post(change_url(commitment), data, follow=True)
    assert response.status_code == 200
    commitment.refresh_from_db()
    assert (commitment.status, commitment.delivered_amount) == (Status.IN_PROGRESS, Decimal(0))
    assert not Commitment.objects.inconsistent().exists()


def test_a_completed_commitment_with_a_closing_note_stays_completed_below_target(
    staff_client, commitment, staff_agent
):
    _completed(commitment, staff_agent, closing_note="Locaux perdus en cours d'année.")
    data = form_data(commitment) | {"deliveries-0-DELETE": "on"}
    staff_client.post(change_url(commitment), data)
    commitment.refresh_from_db()
    assert commitment.status == Status.COMPLETED
    assert commitment.delivered_amount < commitment.planned_amount


def test_a_delivery_cannot_be_moved_to_another_commitment(staff_client, commitment):
    other = CommitmentFactory(status=Status.CANCELLED, measure=commitment.measure)
    delivery = commitment.deliveries.validated().first()
    url = reverse("admin:commitments_delivery_change", args=[delivery.pk])
    assert 'name="commitment"' not in staff_client.get(url).content.decode()
    staff_client.post(
        url,
        {
            "commitment": other.pk,
            "date": f"{delivery.date:%d/%m/%Y}",
            "amount": str(delivery.amount),
            "comment": "",
        },
    )
    delivery.refresh_from_db()
    assert delivery.commitment_id == commitment.pk
    other.refresh_from_db()
    assert other.delivered_amount == 0


def test_closing_while_deleting_what_reached_the_target_saves_nothing_and_says_why(
    staff_client, commitment
):
    Commitment.objects.filter(pk=commitment.pk).update(planned_amount=Decimal(130))
    before = stored(commitment)
    data = form_data(commitment, status="completed") | {"deliveries-0-DELETE": "on"}
    response = staff_client.post(change_url(commitment), data, follow=True)
    assert response.status_code == 200
    page = text_of(response)
    assert "Rien n'a été enregistré" in page
    assert "passe de" not in page  # nothing said about what was rolled back
    assert stored(commitment) == before
    assert commitment.deliveries.validated().count() == 2


def test_an_agent_confirms_unusual_figures_in_the_admin_as_a_contact_does(staff_client, commitment):
    add = reverse("admin:commitments_delivery_add")
    early = {"commitment": commitment.pk, "date": "01/01/2015", "amount": "5", "comment": ""}
    before = commitment.deliveries.count()
    response = staff_client.post(add, early)
    assert response.status_code == 200
    assert "précède l'année de l'engagement (2021). Confirmez-vous ?" in text_of(response)
    assert commitment.deliveries.count() == before
    huge = early | {"date": "01/06/2021", "amount": "500"}
    response = staff_client.post(add, huge)
    assert "atteindrait 630 places sur 200 places prévues (315 %)" in text_of(response)
    assert commitment.deliveries.count() == before
    response = staff_client.post(add, huge | {"confirmed": "on"})
    assert response.status_code == 302
    assert commitment.deliveries.count() == before + 1

"""A contact keeps control of a declaration until it is reviewed: edits it, retracts it;
unusual figures are confirmed with the figures shown; no link leads to a refusal."""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from commitments.models import Commitment, Delivery, Evidence
from strategy.units import Unit
from tests.factories import CommitmentFactory, MeasureFactory, UserFactory
from tests.helpers import NBSP, count_queries, text_of, upload

pytestmark = pytest.mark.django_db

JUNE_2021 = datetime.date(2021, 6, 1)


@pytest.fixture
def commitment_a(actor_a):
    return CommitmentFactory(
        actor=actor_a,
        title="Aides de A",
        year=2021,
        measure=MeasureFactory(unit=Unit.EUROS),
        planned_amount=Decimal(200_000),
    )


@pytest.fixture
def waiting(commitment_a, contact_a):
    return commitment_a.report_delivery(
        amount=Decimal(60_000), date=JUNE_2021, comment="Premier versement", by=contact_a
    )


def data(**changes):
    return {
        "amount": "1 000",
        "date": "2021-07-01",
        "comment": "Second versement",
        "submission_key": str(uuid.uuid4()),
    } | changes


def page_of(client, user, commitment):
    client.force_login(user)
    return client.get(reverse("space:commitment", args=[commitment.pk]))


def plain(response):
    return text_of(response).replace("’", "'")


# Retracting


def test_a_contact_retracts_a_waiting_declaration_which_leaves_the_queue_and_stays_in_history(
    client, contact_a, commitment_a, waiting
):
    client.force_login(contact_a)
    assert "1 réalisation en attente" in text_of(client.get(reverse("space:home")))
    response = client.post(reverse("space:retract_delivery", args=[waiting.pk]), follow=True)
    assert "Déclaration du 01/06/2021 retirée" in plain(response)
    assert "Retirée par l'acteur" in plain(response)
    waiting.refresh_from_db()
    assert waiting.status == Delivery.Status.RETRACTED
    assert not Delivery.objects.awaiting_review().exists()
    assert "en attente" not in text_of(client.get(reverse("space:home")))
    history = [(h.status, h.history_user) for h in waiting.history.order_by("history_id")]
    assert history == [("reported", contact_a), ("retracted", contact_a)]
    commitment_a.refresh_from_db()
    assert commitment_a.delivered_amount == 0
    assert mail.outbox == []


def test_a_retracted_declaration_offers_no_action(client, contact_a, commitment_a, waiting):
    waiting.retract(by=contact_a)
    response = page_of(client, contact_a, commitment_a)
    page = response.content.decode()
    assert reverse("space:amend_delivery", args=[waiting.pk]) not in page
    assert reverse("space:retract_delivery", args=[waiting.pk]) not in page
    assert "Modifier ou retirer" not in page


@pytest.mark.parametrize("review", ["validate", "return", "retract"])
def test_only_a_waiting_declaration_can_be_retracted(
    client, contact_a, commitment_a, waiting, staff_agent, review
):
    if review == "validate":
        waiting.validate(by=staff_agent)
    elif review == "return":
        waiting.return_for_revision(by=staff_agent, reason="Pièce manquante")
    else:
        waiting.retract(by=contact_a)
    status = Delivery.objects.get(pk=waiting.pk).status
    client.force_login(contact_a)
    response = client.post(reverse("space:retract_delivery", args=[waiting.pk]), follow=True)
    assert response.status_code == 200
    assert "n'est plus en attente de validation" in plain(response)
    assert "ne peut plus être modifiée ni retirée" in plain(response)
    assert Delivery.objects.get(pk=waiting.pk).status == status


def test_retracting_is_refused_by_the_domain_once_reviewed_meanwhile(
    contact_a, waiting, staff_agent
):
    stale = Delivery.objects.get(pk=waiting.pk)  # read before the agent's review
    waiting.validate(by=staff_agent)
    with pytest.raises(ValidationError) as error:
        stale.retract(by=contact_a)
    assert "elle est « Validée »" in error.value.messages[0]
    assert Delivery.objects.get(pk=waiting.pk).status == "validated"


def test_retracting_is_a_post_only(client, contact_a, waiting):
    client.force_login(contact_a)
    response = client.get(reverse("space:retract_delivery", args=[waiting.pk]))
    assert response.status_code == 405
    assert Delivery.objects.get(pk=waiting.pk).status == "reported"


@pytest.mark.parametrize("persona", ["contact_b", "manager", "staff_agent"])
@pytest.mark.parametrize("page", ["amend_delivery", "retract_delivery"])
def test_nobody_else_reaches_a_declaration_and_nothing_changes(
    client, request, waiting, persona, page
):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse(f"space:{page}", args=[waiting.pk]), data(amount="5"))
    assert response.status_code == 404
    assert "Page non trouvée" in response.content.decode()
    delivery = Delivery.objects.get(pk=waiting.pk)
    assert (delivery.status, delivery.amount) == ("reported", Decimal(60_000))


def test_an_anonymous_visitor_is_sent_to_log_in(client, waiting):
    for page in ("amend_delivery", "retract_delivery"):
        response = client.post(reverse(f"space:{page}", args=[waiting.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert Delivery.objects.get(pk=waiting.pk).status == "reported"


# Amending


def test_a_contact_amends_a_waiting_declaration_which_keeps_its_place_in_the_queue(
    client, contact_a, contact_both, commitment_a, waiting
):
    client.force_login(contact_both)  # another contact of the same actor
    address = reverse("space:amend_delivery", args=[waiting.pk])
    form = client.get(address).content.decode()
    assert re.search(r'name="amount" value="60\W000"', form) and "Premier versement" in form
    response = client.post(
        address, data(amount="65 000,50", date="2021-06-02", comment="Corrigé"), follow=True
    )
    assert "Déclaration modifiée" in plain(response)
    delivery = Delivery.objects.get(pk=waiting.pk)
    assert (delivery.status, delivery.amount, delivery.date, delivery.comment) == (
        "reported",
        Decimal("65000.50"),
        datetime.date(2021, 6, 2),
        "Corrigé",
    )
    assert (delivery.reported_by, delivery.reported_at) == (contact_a, waiting.reported_at)
    assert delivery.history.latest("history_id").history_user == contact_both
    assert "65 000,50 €" in plain(response).replace(NBSP, " ")
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "0"}, "amount", "strictement positif"),
        ({"amount": "1.500"}, "amount", "Au plus deux décimales"),
        ({"amount": ""}, "amount", "obligatoire"),
        ({"date": "demain"}, "date", "Saisissez une date valide"),
        ({"date": "2999-01-01"}, "date", "dans le futur"),
        ({"comment": "x" * 5001}, "comment", "au plus 5000 caractères"),
    ],
)
def test_an_amendment_with_bad_input_gets_a_french_message_and_changes_nothing(
    client, contact_a, waiting, changes, field, message
):
    client.force_login(contact_a)
    response = client.post(reverse("space:amend_delivery", args=[waiting.pk]), data(**changes))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors.replace(NBSP, " "), errors
    delivery = Delivery.objects.get(pk=waiting.pk)
    assert (delivery.amount, delivery.date, delivery.comment) == (
        Decimal(60_000),
        JUNE_2021,
        "Premier versement",
    )


def test_an_amendment_posted_after_the_review_is_refused_and_saves_nothing(
    client, contact_a, waiting, staff_agent
):
    client.force_login(contact_a)
    address = reverse("space:amend_delivery", args=[waiting.pk])
    assert client.get(address).status_code == 200  # the form is open…
    waiting.validate(by=staff_agent)  # …when the agent validates
    response = client.post(address, data(amount="70 000"), follow=True)
    assert "n'est plus en attente de validation : elle est « Validée »" in plain(response)
    delivery = Delivery.objects.get(pk=waiting.pk)
    assert (delivery.status, delivery.amount) == ("validated", Decimal(60_000))


def test_the_domain_refuses_an_amendment_of_a_declaration_reviewed_meanwhile(
    contact_a, waiting, staff_agent
):
    stale = Delivery.objects.get(pk=waiting.pk)
    waiting.return_for_revision(by=staff_agent, reason="Date ?")
    with pytest.raises(ValidationError) as error:
        stale.amend(amount=Decimal(1), date=JUNE_2021, by=contact_a)
    assert "« Renvoyée pour correction »" in error.value.messages[0]
    delivery = Delivery.objects.get(pk=waiting.pk)
    assert (delivery.status, delivery.amount) == ("returned", Decimal(60_000))


def test_a_waiting_declaration_of_a_cancelled_commitment_is_not_offered_for_editing(
    client, contact_a, commitment_a, waiting
):
    # Cancelling returns waiting declarations; a row written around the rules might not.
    Commitment.objects.filter(pk=commitment_a.pk).update(status="cancelled")
    page = page_of(client, contact_a, commitment_a).content.decode()
    assert reverse("space:amend_delivery", args=[waiting.pk]) not in page
    response = client.get(reverse("space:amend_delivery", args=[waiting.pk]), follow=True)
    assert "Cet engagement est annulé" in plain(response)
    with pytest.raises(ValidationError, match="annulé"):
        waiting.amend(amount=Decimal(1), date=JUNE_2021, by=contact_a)


# What is offered is what the domain allows


def test_every_action_offered_on_the_commitment_page_opens_without_a_refusal(
    client, contact_a, commitment_a, staff_agent
):
    def report(amount):
        return commitment_a.report_delivery(amount=Decimal(amount), date=JUNE_2021, by=contact_a)

    report(1).validate(by=staff_agent)
    report(2).return_for_revision(by=staff_agent, reason="Pièce ?")
    report(3).retract(by=contact_a)
    waiting = report(4)
    page = page_of(client, contact_a, commitment_a).content.decode()
    links = set(re.findall(r'href="(/espace/realisations/[^"]+)"', page))
    assert links == {
        reverse("space:correct_delivery", args=[commitment_a.deliveries.get(amount=2).pk]),
        reverse("space:amend_delivery", args=[waiting.pk]),
    }
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link  # not a redirect with "n'est plus…"
    assert "Déclarer cette réalisation" in page


def test_a_cancelled_commitment_offers_no_declaration(client, contact_a, commitment_a):
    Commitment.objects.filter(pk=commitment_a.pk).update(status="cancelled")
    response = page_of(client, contact_a, commitment_a)
    assert "Déclarer cette réalisation" not in response.content.decode()
    assert "aucune réalisation ne peut y être déclarée" in plain(response)


# Confirming unusual figures


def post_report(client, commitment, **changes):
    return client.post(reverse("space:commitment", args=[commitment.pk]), data(**changes))


def test_an_amount_above_150_percent_of_planned_is_confirmed_with_the_figures_shown(
    client, contact_a, commitment_a, waiting, staff_agent, on_commit
):
    commitment_a.report_delivery(amount=Decimal(100_000), date=JUNE_2021, by=contact_a).validate(
        by=staff_agent
    )
    client.force_login(contact_a)
    first = post_report(client, commitment_a, amount="152 000")
    assert first.status_code == 200
    assert (
        "Avec cette déclaration, le réalisé (validé ou en attente de validation) atteindrait "
        "312 000 € sur 200 000 € prévus (156 %). Confirmez-vous ?"
    ) in plain(first)
    assert "Je confirme ces chiffres" in plain(first)
    assert commitment_a.deliveries.count() == 2
    sent = first.context["form"].data.copy()
    with on_commit():
        confirmed = client.post(
            reverse("space:commitment", args=[commitment_a.pk]),
            sent | {"confirm": "152 000|2021-07-01"},
            follow=True,
        )
    assert "elle attend la validation de la préfecture" in plain(confirmed)
    assert commitment_a.deliveries.filter(amount=152_000, status="reported").count() == 1
    assert [m.to for m in mail.outbox] == [[staff_agent.email]]


def test_a_confirmation_holds_only_for_the_figures_it_names(client, contact_a, commitment_a):
    client.force_login(contact_a)
    response = post_report(client, commitment_a, amount="400 000", confirm="300 001|2021-07-01")
    assert "atteindrait 400 000 € sur 200 000 € prévus (200 %)" in plain(response)
    assert commitment_a.deliveries.count() == 0


def test_exactly_150_percent_is_not_asked(client, contact_a, commitment_a, waiting):
    client.force_login(contact_a)
    response = post_report(client, commitment_a, amount="240 000")  # 60 000 + 240 000
    assert response.status_code == 302
    assert commitment_a.deliveries.count() == 2
    assert post_report(client, commitment_a, amount="0,01").status_code == 200  # 150 % + 1 ct


def test_returned_and_retracted_declarations_do_not_count_towards_150_percent(
    client, contact_a, commitment_a, waiting, staff_agent
):
    waiting.return_for_revision(by=staff_agent, reason="?")
    commitment_a.report_delivery(amount=Decimal(90_000), date=JUNE_2021, by=contact_a).retract(
        by=contact_a
    )
    client.force_login(contact_a)
    assert post_report(client, commitment_a, amount="300 000").status_code == 302


def test_a_date_before_the_commitments_year_is_confirmed_then_recorded(
    client, contact_a, commitment_a
):
    client.force_login(contact_a)
    first = post_report(client, commitment_a, date="2020-11-15")
    assert "La date du 15/11/2020 précède l'année de l'engagement (2021). Confirmez-vous ?" in (
        plain(first)
    )
    assert commitment_a.deliveries.count() == 0
    key = first.context["form"].data["submission_key"]
    again = {"date": "2020-11-15", "submission_key": key, "confirm": "1 000|2020-11-15"}
    assert post_report(client, commitment_a, **again).status_code == 302
    assert post_report(client, commitment_a, **again).status_code == 302  # posted twice
    assert list(commitment_a.deliveries.values_list("date", flat=True)) == [
        datetime.date(2020, 11, 15)
    ]


def test_amending_does_not_count_the_declaration_twice_and_asks_beyond(client, contact_a, waiting):
    client.force_login(contact_a)
    address = reverse("space:amend_delivery", args=[waiting.pk])
    assert client.post(address, data(amount="300 000")).status_code == 302  # 150 %
    response = client.post(address, data(amount="300 001"))
    assert "atteindrait 300 001 € sur 200 000 € prévus (150 %)" in plain(response)
    assert Delivery.objects.get(pk=waiting.pk).amount == Decimal(300_000)
    confirmed = data(amount="300 001", confirm="300 001|2021-07-01")
    assert client.post(address, confirmed).status_code == 302
    assert Delivery.objects.get(pk=waiting.pk).amount == Decimal(300_001)


def test_a_correction_is_confirmed_the_same_way(client, contact_a, waiting, staff_agent):
    waiting.return_for_revision(by=staff_agent, reason="Date ?")
    client.force_login(contact_a)
    address = reverse("space:correct_delivery", args=[waiting.pk])
    response = client.post(address, data(date="2019-12-31"))
    assert "précède l'année de l'engagement (2021)" in plain(response)
    assert Delivery.objects.get(pk=waiting.pk).status == "returned"
    assert client.post(address, data(date="2019-12-31", confirm="1 000|2019-12-31")).status_code
    assert Delivery.objects.get(pk=waiting.pk).status == "reported"


def test_nothing_planned_asks_nothing_about_the_amount(client, contact_a, actor_a):
    commitment = CommitmentFactory(actor=actor_a, year=2021, planned_amount=Decimal(0))
    client.force_login(contact_a)
    assert post_report(client, commitment, amount="5").status_code == 302


# Where the statuses are read


def test_the_admin_and_the_reports_name_the_new_status(staff_client, contact_a, waiting):
    waiting.retract(by=contact_a)
    changelist = reverse("admin:commitments_delivery_changelist")
    response = staff_client.get(changelist, {"status__exact": "retracted"})
    assert response.status_code == 200
    assert "Retirée par l&#x27;acteur" in response.content.decode()
    assert response.context["cl"].result_count == 1
    report = staff_client.get("/rapports/realisations.csv?dialect=csv")
    assert "Retirée par l'acteur" in b"".join(report.streaming_content).decode()


@pytest.mark.parametrize(("size", "pinned"), [(3, 7), (30, 7)])
def test_the_amend_page_query_count_is_pinned(client, contact_a, commitment_a, size, pinned):
    # The session, the user, and the delivery with its commitment, actor and measure
    # (one join, through get_delivery_for); however many deliveries the commitment has;
    # its evidence files (1, however many: `size` // 3 of them); and the menu's three
    # (permissions of the user and of their groups, memberships).
    for _index in range(size):
        commitment_a.report_delivery(amount=Decimal(1), date=JUNE_2021, by=UserFactory())
    waiting = commitment_a.deliveries.order_by("pk").last()
    for index in range(size // 3):
        Evidence.attach(waiting, upload(f"piece-{index}.pdf"), by=contact_a)
    client.force_login(contact_a)
    assert count_queries(client, reverse("space:amend_delivery", args=[waiting.pk])) == pinned

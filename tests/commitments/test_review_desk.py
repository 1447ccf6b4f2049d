"""The review desk: a delivery awaiting review is validated or returned from its own page,
reached from the e-mail; the queue lists what waits, oldest first; the index counts it."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from commitments.admin import declared_version
from commitments.models import Commitment, Delivery, Evidence
from strategy.units import Unit
from tests.factories import CommitmentFactory, MeasureFactory, UserFactory
from tests.helpers import text_of, upload

pytestmark = pytest.mark.django_db

JUNE_2021 = datetime.date(2021, 6, 1)
CHANGELIST = reverse("admin:commitments_delivery_changelist")
QUEUE = f"{CHANGELIST}?examen=en-attente"
INDEX = reverse("admin:index")


@pytest.fixture
def contact(db):
    return UserFactory(username="nina", first_name="Nina", email="nina@exemple.invalid")


@pytest.fixture
def commitment(db):
    return CommitmentFactory(
        year=2021,
        title="Ouvrir 40 places à Amiens",
        planned_amount=Decimal(40),
        measure=MeasureFactory(unit=Unit.PLACES),
    )


@pytest.fixture
def waiting(commitment, contact):
    """Two deliveries awaiting review, a validated one and a returned one before them."""
    agent = UserFactory(username="ancien-agent")
    commitment.report_delivery(amount=Decimal(10), date=JUNE_2021, by=contact).validate(by=agent)
    commitment.report_delivery(amount=Decimal(3), date=JUNE_2021, by=contact).return_for_revision(
        by=agent, reason="Justificatif illisible"
    )
    first = commitment.report_delivery(
        amount=Decimal(25), date=JUNE_2021, by=contact, comment="Centre de la rue Gresset"
    )
    second = commitment.report_delivery(amount=Decimal(4), date=JUNE_2021, by=contact)
    return [first, second]


def desk(delivery):
    return reverse("admin:commitments_delivery_change", args=[delivery.pk])


def validate_url(delivery):
    return reverse("admin:commitments_delivery_validate", args=[delivery.pk])


def seen(delivery):
    """What the desk's Valider posts: the version of the declaration it shows."""
    return {"seen": declared_version(Delivery.objects.get(pk=delivery.pk))}


def return_url(delivery):
    return reverse("admin:commitments_delivery_return", args=[delivery.pk])


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def status_of(delivery):
    delivery.refresh_from_db()
    return delivery.status


def delivered(commitment):
    commitment.refresh_from_db()
    return commitment.delivered_amount


# The desk page


def test_the_desk_shows_the_commitment_its_figures_its_other_deliveries_and_the_comment(
    staff_client, waiting
):
    response = staff_client.get(desk(waiting[0]))
    text = text_of(response)
    assert "À examiner : réalisation déclarée à l'instant" in text
    assert "Ouvrir 40 places à Amiens" in text
    assert "Prévu 40 places" in text
    assert "Réalisé validé à ce jour 10 places (25 %)" in text
    assert "Déclaré 25 places réalisées le 01/06/2021 ; déclarée par Nina" in text
    assert "Une fois validée 35 places (88 %)" in text
    assert "Commentaire du référent Centre de la rue Gresset" in text
    others = text[text.index("Autres réalisations") : text.index("Motif du renvoi Il")]
    assert "Validée" in others
    assert "Renvoyée pour correction" in others and "Justificatif illisible" in others
    assert "Déclarée, en attente de validation" in others  # the second one waiting
    page = response.content.decode()
    assert f'action="{validate_url(waiting[0])}"' in page
    assert f'action="{return_url(waiting[0])}"' in page


def test_the_declared_amount_date_and_comment_are_read_only_and_there_is_no_save_button(
    staff_client, waiting
):
    response = staff_client.get(desk(waiting[0]))
    page = response.content.decode()
    assert 'name="amount"' not in page and 'name="date"' not in page
    assert 'name="comment"' not in page and 'name="commitment"' not in page
    assert 'name="_save"' not in page


def test_posting_the_change_form_of_a_waiting_delivery_changes_nothing(staff_client, waiting):
    data = {"commitment": "", "date": "01/01/2021", "amount": "99999", "comment": "Réécrit"}
    versions = waiting[0].history.count()
    staff_client.post(desk(waiting[0]), data)
    assert waiting[0].history.count() == versions
    waiting[0].refresh_from_db()
    assert (waiting[0].amount, waiting[0].date, waiting[0].comment) == (
        Decimal(25),
        JUNE_2021,
        "Centre de la rue Gresset",
    )
    assert waiting[0].status == Delivery.Status.REPORTED


def test_a_returned_delivery_is_read_only_too_and_has_no_desk(staff_client, waiting, commitment):
    returned = commitment.deliveries.get(status=Delivery.Status.RETURNED)
    page = staff_client.get(desk(returned)).content.decode()
    assert 'name="amount"' not in page
    assert "review-desk" not in page


def test_a_validated_delivery_stays_correctable_by_an_agent_and_has_no_desk(
    staff_client, commitment, waiting
):
    validated = commitment.deliveries.get(status=Delivery.Status.VALIDATED)
    page = staff_client.get(desk(validated)).content.decode()
    assert 'name="amount"' in page and 'name="_save"' in page
    assert "review-desk" not in page


def test_a_waiting_delivery_cannot_be_edited_inline_on_its_commitment(
    staff_client, commitment, waiting
):
    page = staff_client.get(
        reverse("admin:commitments_commitment_change", args=[commitment.pk])
    ).content.decode()
    fields = re.findall(r'<input[^>]*name="deliveries-(\d)-amount"[^>]*>', page)
    disabled = re.findall(r'<input[^>]*name="deliveries-\d-amount"[^>]*disabled[^>]*>', page)
    assert len(fields) == 4 and len(disabled) == 3  # only the validated one is editable


def test_a_cancelled_commitment_offers_no_valider_only_renvoyer(staff_client, waiting, commitment):
    Commitment.objects.filter(pk=commitment.pk).update(status=Commitment.Status.CANCELLED)
    page = staff_client.get(desk(waiting[0])).content.decode()
    assert f'action="{validate_url(waiting[0])}"' not in page
    assert "Cet engagement est annulé" in page
    assert f'action="{return_url(waiting[0])}"' in page


# Valider and Renvoyer, from the desk


def test_valider_validates_through_the_domain_mails_the_contact_and_goes_to_the_queue(
    staff_client, staff_agent, waiting, commitment, contact, on_commit
):
    with on_commit():
        response = staff_client.post(validate_url(waiting[0]), seen(waiting[0]))
    assert response.status_code == 302 and response["Location"] == QUEUE
    assert status_of(waiting[0]) == Delivery.Status.VALIDATED
    waiting[0].refresh_from_db()
    assert waiting[0].reviewed_by == staff_agent
    assert delivered(commitment) == Decimal(35)
    assert "1 réalisation validée." in texts(staff_client.get(QUEUE))
    [message] = mail.outbox
    assert message.to == [contact.email]
    assert message.subject == "Réalisation validée : Ouvrir 40 places à Amiens"


def test_valider_refuses_a_declaration_the_contact_edited_since_the_desk_showed_it(
    staff_client, waiting, commitment, contact
):
    page = staff_client.get(desk(waiting[0])).content.decode()
    [seen] = re.findall(r'name="seen" value="([^"]+)"', page)
    waiting[0].amend(amount=Decimal(35), date=JUNE_2021, by=contact, confirmed=True)
    response = staff_client.post(validate_url(waiting[0]), {"seen": seen})
    assert response.status_code == 302 and response["Location"] == desk(waiting[0])
    assert status_of(waiting[0]) == Delivery.Status.REPORTED
    assert delivered(commitment) == Decimal(10)
    assert any("a modifié sa déclaration" in text for text in texts(staff_client.get(QUEUE)))
    page = staff_client.get(desk(waiting[0])).content.decode()
    [seen] = re.findall(r'name="seen" value="([^"]+)"', page)
    staff_client.post(validate_url(waiting[0]), {"seen": seen})
    assert status_of(waiting[0]) == Delivery.Status.VALIDATED
    assert delivered(commitment) == Decimal(45)


def test_valider_refuses_a_declaration_whose_files_changed_since_the_desk_showed_it(
    staff_client, waiting, commitment, contact, evidence_folder
):
    page = staff_client.get(desk(waiting[0])).content.decode()
    [seen] = re.findall(r'name="seen" value="([^"]+)"', page)
    Evidence.attach(waiting[0], upload("bilan.pdf"), by=contact)
    staff_client.post(validate_url(waiting[0]), {"seen": seen})
    assert status_of(waiting[0]) == Delivery.Status.REPORTED
    page = staff_client.get(desk(waiting[0])).content.decode()
    assert "bilan.pdf" in page
    [seen] = re.findall(r'name="seen" value="([^"]+)"', page)
    Evidence.objects.get().remove(by=contact)
    staff_client.post(validate_url(waiting[0]), {"seen": seen})
    assert status_of(waiting[0]) == Delivery.Status.REPORTED
    assert any("a modifié sa déclaration" in text for text in texts(staff_client.get(QUEUE)))


def test_renvoyer_with_a_reason_returns_it_and_mails_the_reason(
    staff_client, waiting, commitment, contact, on_commit
):
    with on_commit():
        response = staff_client.post(return_url(waiting[0]), {"reason": "Quelle date exacte ?"})
    assert response.status_code == 302 and response["Location"] == QUEUE
    waiting[0].refresh_from_db()
    assert (waiting[0].status, waiting[0].return_reason) == ("returned", "Quelle date exacte ?")
    assert delivered(commitment) == Decimal(10)
    [message] = mail.outbox
    assert message.subject == "Réalisation à corriger : Ouvrir 40 places à Amiens"
    assert "Motif : Quelle date exacte ?" in message.body


@pytest.mark.parametrize("reason", ["", "   "])
def test_renvoyer_without_a_reason_says_so_in_french_and_saves_nothing(
    staff_client, waiting, reason, on_commit
):
    with on_commit():
        response = staff_client.post(return_url(waiting[0]), {"reason": reason})
    assert response.status_code == 200
    assert "Indiquez le motif du renvoi pour que l'acteur puisse corriger." in text_of(response)
    assert status_of(waiting[0]) == Delivery.Status.REPORTED
    assert mail.outbox == []


def test_renvoyer_with_a_reason_too_long_keeps_what_was_typed_and_saves_nothing(
    staff_client, waiting
):
    reason = "x" * 5001
    response = staff_client.post(return_url(waiting[0]), {"reason": reason})
    assert response.status_code == 200
    assert "au plus 5000 caractères" in text_of(response).replace("\u202f", "")
    assert reason in response.content.decode()
    assert status_of(waiting[0]) == Delivery.Status.REPORTED


def test_valider_without_the_version_seen_validates_nothing_and_says_where_to_validate(
    staff_client, waiting, commitment, on_commit
):
    with on_commit():
        response = staff_client.post(validate_url(waiting[0]), follow=True)
    assert response.redirect_chain[-1][0] == desk(waiting[0])
    assert "validez-la depuis sa page" in texts(response)[0]
    assert status_of(waiting[0]) == Delivery.Status.REPORTED
    assert delivered(commitment) == Decimal(10)
    assert mail.outbox == []


def test_a_get_writes_nothing_valider_answers_405_renvoyer_shows_its_form(staff_client, waiting):
    assert staff_client.get(validate_url(waiting[0])).status_code == 405
    response = staff_client.get(return_url(waiting[0]))
    assert response.status_code == 200
    assert "Motif du renvoi" in text_of(response)
    assert "Indiquez le motif" not in text_of(response)
    assert status_of(waiting[0]) == Delivery.Status.REPORTED


@pytest.mark.parametrize("action", ["validate", "return"])
def test_a_delivery_no_longer_waiting_gets_a_french_message_never_a_500(
    staff_client, staff_agent, waiting, action, on_commit
):
    waiting[0].validate(by=staff_agent)
    address = validate_url(waiting[0]) if action == "validate" else return_url(waiting[0])
    with on_commit():
        response = staff_client.post(
            address, {"reason": "Trop tard"} | seen(waiting[0]), follow=True
        )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == desk(waiting[0])
    [message] = texts(response)
    assert "« Validée »" in message
    assert status_of(waiting[0]) == Delivery.Status.VALIDATED
    assert mail.outbox == []


def test_valider_on_a_cancelled_commitment_is_refused_with_the_domain_s_message(
    staff_client, waiting, commitment
):
    Commitment.objects.filter(pk=commitment.pk).update(status=Commitment.Status.CANCELLED)
    response = staff_client.post(validate_url(waiting[0]), seen(waiting[0]), follow=True)
    assert "Cet engagement est annulé" in texts(response)[0]
    assert status_of(waiting[0]) == Delivery.Status.REPORTED


def test_an_unknown_delivery_is_a_404(staff_client):
    assert (
        staff_client.post(reverse("admin:commitments_delivery_validate", args=[999999])).status_code
        == 404
    )
    assert (
        staff_client.get(reverse("admin:commitments_delivery_return", args=[999999])).status_code
        == 404
    )


def test_the_review_urls_refuse_a_post_without_its_csrf_token(client, staff_agent, waiting):
    client.handler.enforce_csrf_checks = True
    client.force_login(staff_agent)
    assert client.post(validate_url(waiting[0])).status_code == 403
    assert client.post(return_url(waiting[0]), {"reason": "Sans jeton"}).status_code == 403
    assert status_of(waiting[0]) == Delivery.Status.REPORTED


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("anonymous", 302), ("contact_a", 302), ("manager", 403)],
)
def test_who_may_not_review_gets_the_login_page_or_a_403_and_nothing_changes(
    client, request, waiting, persona, expected, on_commit
):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    with on_commit():
        for method, address in [
            ("post", validate_url(waiting[0])),
            ("post", return_url(waiting[0])),
            ("get", return_url(waiting[0])),
        ]:
            response = getattr(client, method)(
                address, {"reason": "Non"} if method == "post" else None
            )
            assert response.status_code == expected, (method, address)
            if expected == 302:
                assert response["Location"].startswith(reverse("admin:login"))
    assert status_of(waiting[0]) == Delivery.Status.REPORTED
    assert mail.outbox == []


def test_a_manager_sees_the_delivery_without_the_desk(client, manager, waiting):
    client.force_login(manager)
    response = client.get(desk(waiting[0]))
    assert response.status_code == 200
    assert "review-desk" not in response.content.decode()


# The e-mail, the queue and the index


def test_the_reported_e_mail_links_to_the_desk(client, staff_agent, commitment, contact, on_commit):
    from django.test import RequestFactory

    from commitments.notifications import notify_reported

    delivery = commitment.report_delivery(amount=Decimal(5), date=JUNE_2021, by=contact)
    with on_commit():
        notify_reported(delivery, RequestFactory().get("/"))
    [message] = mail.outbox
    link = re.search(r"http://testserver(\S+)", message.body).group(1)
    client.force_login(staff_agent)
    page = client.get(link).content.decode()
    assert f'action="{validate_url(delivery)}"' in page


def test_the_queue_lists_only_waiting_deliveries_oldest_first_with_their_age(staff_client, waiting):
    Delivery.objects.filter(pk=waiting[1].pk).update(
        reported_at=timezone.now() - datetime.timedelta(days=3, hours=2)
    )
    response = staff_client.get(QUEUE)
    rows = list(response.context["cl"].result_list)
    assert [d.pk for d in rows] == [waiting[1].pk, waiting[0].pk]
    text = text_of(response)
    assert "En attente depuis" in text
    assert "il y a 3 jours" in text and "à l'instant" in text


def test_the_queue_keeps_the_list_actions_for_several_at_once(
    staff_client, waiting, commitment, on_commit
):
    with on_commit():
        response = staff_client.post(
            QUEUE,
            {"action": "validate_deliveries", "_selected_action": [d.pk for d in waiting]},
            follow=True,
        )
    assert "2 réalisations validées." in texts(response)
    assert delivered(commitment) == Decimal(39)
    assert len(mail.outbox) == 2


def test_the_index_counts_what_waits_and_how_old_the_oldest_is(staff_client, waiting):
    Delivery.objects.filter(pk=waiting[0].pk).update(
        reported_at=timezone.now() - datetime.timedelta(days=5)
    )
    response = staff_client.get(INDEX)
    text = text_of(response)
    assert "2 réalisations à examiner , la plus ancienne déclarée il y a 5 jours" in text
    assert f'href="{QUEUE.replace("&", "&amp;")}"' in response.content.decode()


def test_the_index_goes_down_as_deliveries_are_reviewed(staff_client, staff_agent, waiting):
    waiting[0].validate(by=staff_agent)
    assert "1 réalisation à examiner" in text_of(staff_client.get(INDEX))
    waiting[1].return_for_revision(by=staff_agent, reason="Non")
    assert "Aucune réalisation n'attend d'examen." in text_of(staff_client.get(INDEX))


def test_a_manager_s_index_has_no_review_queue(client, manager, waiting):
    client.force_login(manager)
    assert "à examiner" not in text_of(client.get(INDEX))

"""The actor area: each contact sees and reports for their own actors, nobody else."""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from commitments.models import Commitment, Evidence
from strategy.units import Unit
from tests.factories import CommitmentFactory, MeasureFactory, UserFactory
from tests.helpers import count_queries, upload

pytestmark = pytest.mark.django_db

SPACE = reverse("space:home")


@pytest.fixture
def commitment_a(actor_a):
    return CommitmentFactory(
        actor=actor_a,
        title="Engagement privé de A",
        is_public=False,
        year=2021,
        measure=MeasureFactory(unit=Unit.PLACES),
        planned_amount=Decimal(100),
    )


@pytest.fixture
def returned_a(commitment_a, contact_a):
    delivery = commitment_a.report_delivery(
        amount=Decimal(10), date=datetime.date(2021, 5, 1), by=contact_a
    )
    delivery.return_for_revision(by=UserFactory(username="relecteur"), reason="Justificatif ?")
    return delivery


@pytest.fixture
def personas(client, contact_a, contact_b, contact_both, manager, staff_agent):
    return {
        "anonymous": None,
        "contact_a": contact_a,
        "contact_b": contact_b,
        "contact_both": contact_both,
        "manager": manager,
        "staff_agent": staff_agent,
    }


OWNERS = {"contact_a", "contact_both"}


def as_persona(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def report_data(**changes):
    return {
        "amount": "5",
        "date": "2021-06-01",
        "comment": "Cinq places ouvertes",
        "submission_key": str(uuid.uuid4()),
    } | changes


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("page", ["commitment", "correct_delivery"])
def test_only_the_actors_contacts_reach_its_pages(
    client, personas, commitment_a, returned_a, method, page
):
    pk = commitment_a.pk if page == "commitment" else returned_a.pk
    address = reverse(f"space:{page}", args=[pk])
    for name, user in personas.items():
        response = getattr(as_persona(client, user), method)(address, report_data())
        if name == "anonymous":
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("accounts:login")), name
        elif name in OWNERS:
            assert response.status_code in (200, 302), name
            assert "Location" not in response or "connexion" not in response["Location"]
        else:
            assert response.status_code == 404, name
            assert "Page non trouvée" in response.content.decode(), name
    # Only the two owners' posts were recorded (the correction once: then it is reported).
    recorded = 3 if (page, method) == ("commitment", "post") else 1
    assert commitment_a.deliveries.count() == recorded


def test_the_area_home_shows_each_persona_only_their_actors(client, personas, commitment_a):
    CommitmentFactory(actor=personas["contact_b"].memberships.get().actor, title="Engagement de B")
    for name, user in personas.items():
        response = as_persona(client, user).get(SPACE)
        if name == "anonymous":
            assert response.status_code == 302
            continue
        page = response.content.decode()
        assert ("Engagement privé de A" in page) == (name in OWNERS), name
        assert ("Engagement de B" in page) == (name in {"contact_b", "contact_both"}), name


def test_a_contact_sees_private_and_cancelled_commitments_apart(client, contact_a, commitment_a):
    CommitmentFactory(actor=commitment_a.actor, title="Abandonné", status="cancelled")
    page = as_persona(client, contact_a).get(SPACE).content.decode()
    assert "Engagement privé de A" in page and "Non public" in page
    assert page.index("Engagements annulés") < page.index("Abandonné")


def test_reporting_creates_a_reported_delivery_and_mails_the_agents(
    client, contact_a, commitment_a, staff_agent, manager, on_commit
):
    UserFactory(username="ancien-agent", is_staff=True, is_active=False)
    with on_commit():
        response = as_persona(client, contact_a).post(
            reverse("space:commitment", args=[commitment_a.pk]), report_data(), follow=True
        )
    assert "elle attend la validation de la préfecture" in response.content.decode()
    delivery = commitment_a.deliveries.get()
    assert (delivery.status, delivery.amount, delivery.reported_by) == (
        "reported",
        Decimal(5),
        contact_a,
    )
    commitment_a.refresh_from_db()
    assert commitment_a.delivered_amount == 0
    assert [m.to for m in mail.outbox] == [[staff_agent.email]]
    link = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    assert link == reverse("admin:commitments_delivery_change", args=[delivery.pk])
    assert as_persona(client, staff_agent).get(link).status_code == 200
    assert "1 réalisation en attente" in as_persona(client, contact_a).get(SPACE).content.decode()


def test_posting_the_same_form_twice_records_one_delivery(
    client, contact_a, commitment_a, staff_agent, on_commit
):
    address = reverse("space:commitment", args=[commitment_a.pk])
    data = report_data()
    with on_commit():
        as_persona(client, contact_a).post(address, data)
        response = client.post(address, data, follow=True)
    assert "déjà enregistrée" in response.content.decode()
    assert commitment_a.deliveries.count() == 1
    assert len(mail.outbox) == 1


NBSP = "\N{NO-BREAK SPACE}"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "0"}, "amount", "strictement positif"),
        ({"amount": "-4"}, "amount", "strictement positif"),
        ({"amount": "beaucoup"}, "amount", "Saisissez un montant"),
        ({"amount": "2.5"}, "amount", "nombre entier"),
        ({"amount": "2,5"}, "amount", "nombre entier"),
        ({"amount": ""}, "amount", "obligatoire"),
        ({"date": "hier"}, "date", "Saisissez une date valide"),
        # Not refused: asked for confirmation (tests/space/test_declarations_in_control.py).
        ({"date": "2020-12-31"}, "date", "précède l’année de l’engagement (2021). Confirmez"),
        ("future", "date", "dans le futur"),
        ({"comment": "x" * 100_000}, "comment", "au plus 5000 caractères"),
        ({"submission_key": "pas-un-uuid"}, "submission_key", "UUID"),
    ],
)
def test_bad_input_gets_a_french_message_and_saves_nothing(
    client, contact_a, commitment_a, changes, field, message
):
    if changes == "future":
        changes = {"date": f"{timezone.localdate() + datetime.timedelta(days=1):%Y-%m-%d}"}
    response = as_persona(client, contact_a).post(
        reverse("space:commitment", args=[commitment_a.pk]), report_data(**changes)
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message.replace("’", "'") in errors.replace("’", "'").replace(NBSP, " "), errors
    assert commitment_a.deliveries.count() == 0
    assert mail.outbox == []


def test_nothing_can_be_reported_on_a_cancelled_commitment(client, contact_a, commitment_a):
    Commitment.objects.filter(pk=commitment_a.pk).update(status="cancelled")
    response = as_persona(client, contact_a).post(
        reverse("space:commitment", args=[commitment_a.pk]), report_data()
    )
    assert "annulé" in response.content.decode()
    assert commitment_a.deliveries.count() == 0


def test_a_returned_delivery_shows_its_reason_and_can_be_corrected(
    client, contact_a, commitment_a, returned_a, staff_agent, on_commit
):
    page = (
        as_persona(client, contact_a)
        .get(reverse("space:commitment", args=[commitment_a.pk]))
        .content.decode()
    )
    assert "Renvoyée pour correction" in page and "Motif : Justificatif ?" in page
    address = reverse("space:correct_delivery", args=[returned_a.pk])
    assert "Motif du renvoi : Justificatif ?" in client.get(address).content.decode()
    with on_commit():
        response = client.post(address, report_data(amount="12", comment="Avec justificatif"))
    assert response.status_code == 302
    returned_a.refresh_from_db()
    assert (returned_a.status, returned_a.amount, returned_a.comment) == (
        "reported",
        Decimal(12),
        "Avec justificatif",
    )
    assert [m.to for m in mail.outbox] == [[staff_agent.email]]
    response = client.post(address, report_data(amount="99"), follow=True)
    assert "pas à corriger" in response.content.decode()
    returned_a.refresh_from_db()
    assert returned_a.amount == Decimal(12)


def test_a_correction_with_bad_input_changes_nothing(client, contact_a, returned_a):
    address = reverse("space:correct_delivery", args=[returned_a.pk])
    response = as_persona(client, contact_a).post(address, report_data(amount="-1"))
    assert "strictement positif" in response.content.decode()
    returned_a.refresh_from_db()
    assert (returned_a.status, returned_a.amount) == ("returned", Decimal(10))


def test_a_validated_or_returned_delivery_mails_its_reporter_with_a_working_link(
    staff_client, client, contact_a, commitment_a, on_commit
):
    first = commitment_a.report_delivery(
        amount=Decimal(3), date=datetime.date(2021, 2, 1), by=contact_a
    )
    second = commitment_a.report_delivery(
        amount=Decimal(4), date=datetime.date(2021, 2, 2), by=contact_a
    )
    changelist = reverse("admin:commitments_delivery_changelist")
    with on_commit():
        staff_client.post(
            changelist, {"action": "validate_deliveries", "_selected_action": [first.pk]}
        )
    with on_commit():
        staff_client.post(
            changelist,
            {
                "action": "return_deliveries",
                "_selected_action": [second.pk],
                "apply": "1",
                "reason": "Date à vérifier",
            },
        )
    assert [m.to for m in mail.outbox] == [[contact_a.email], [contact_a.email]]
    validated, returned = mail.outbox
    assert "validé" in validated.subject and "validé" in validated.body
    assert "corriger" in returned.subject and "Motif : Date à vérifier" in returned.body
    link = re.search(r"http://testserver(\S+)", returned.body).group(1)
    assert link == reverse("space:commitment", args=[commitment_a.pk])
    client.force_login(contact_a)
    assert "Date à vérifier" in client.get(link).content.decode()


def grow(actor, contact, count):
    agent = UserFactory(username=f"agent-{count}")
    for index in range(count):
        commitment = CommitmentFactory(
            actor=actor, year=2021, status=["planned", "cancelled"][index % 2]
        )
        if index % 2 == 0:
            commitment.report_delivery(
                amount=Decimal(1), date=datetime.date(2021, 3, 1), by=contact
            )
            commitment.report_delivery(
                amount=Decimal(2), date=datetime.date(2021, 3, 2), by=contact
            ).validate(by=agent)


def grow_deliveries(commitment, count):
    """`count` deliveries on one commitment, in turn reported, validated and returned, each
    reported and reviewed by someone else: a page reading who reported or reviewed a
    delivery, or anything of it, one query a delivery, would show it."""
    for index in range(count):
        delivery = commitment.report_delivery(
            amount=Decimal(1),
            date=datetime.date(2021, 4, 1 + index % 28),
            by=UserFactory(),
            comment=f"Réalisation {index}",
        )
        Evidence.attach(delivery, upload(f"preuve-{index}.pdf"), by=delivery.reported_by)
        reviewer = UserFactory(is_staff=True)
        if index % 3 == 1:
            delivery.validate(by=reviewer)
        elif index % 3 == 2:
            delivery.return_for_revision(by=reviewer, reason=f"Motif {index}")


# The commitment page: session, user, the commitment, its deliveries with their reporters
# (4), their evidence files (1, whatever their number: each delivery has one here). The
# action of each row (Corriger, Modifier ou retirer: Delivery.may_be_corrected and
# may_be_amended) reads the delivery's commitment, which the related manager hands over
# without a query: the pin at 33 deliveries, a third of them waiting, shows it.
# Three more on each page are the menu's: the user's and their groups' permissions (may
# they read the reports?) and their memberships (are they a contact?), asked once a page.
# The home asks one more: the reports the campaigns expect (tests/space/test_campaign_reports.py).
@pytest.mark.parametrize(("page", "pinned"), [("home", 9), ("commitment", 8)])
def test_area_query_counts_are_pinned_and_do_not_grow(
    client, contact_both, actor_a, actor_b, commitment_a, page, pinned
):
    address = SPACE if page == "home" else reverse("space:commitment", args=[commitment_a.pk])
    client.force_login(contact_both)
    grow(actor_a, contact_both, 2)
    grow_deliveries(commitment_a, 3)
    small = count_queries(client, address)
    grow(actor_a, contact_both, 20)
    grow(actor_b, contact_both, 20)
    grow_deliveries(commitment_a, 30)
    assert commitment_a.deliveries.count() == 33
    assert set(commitment_a.deliveries.values_list("status", flat=True)) == {
        "reported",
        "validated",
        "returned",
    }
    assert (small, count_queries(client, address)) == (pinned, pinned)

"""Every change to the domain is in the history, with its author, whatever the path."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from actors.models import Actor, Membership
from commitments.models import Commitment, Delivery
from datasets.forum_2020 import load_forum
from reports.imports import ActorImporter, CommitmentImporter

pytestmark = pytest.mark.django_db


def latest(model, **filters):
    return model.history.filter(**filters).order_by("-history_id").first()


def test_an_actor_area_report_is_recorded_with_its_contact(client, contact_a, actor_a):
    commitment = Commitment.objects.create(
        actor=actor_a,
        measure=load_measure(),
        territory=actor_a.territory,
        year=2021,
        title="T",
        planned_amount=Decimal(10),
    )
    client.force_login(contact_a)
    client.post(
        reverse("space:commitment", args=[commitment.pk]),
        {"amount": "3", "date": "2021-03-01", "submission_key": str(uuid.uuid4())},
    )
    record = latest(Delivery)
    assert (record.history_type, record.history_user, record.status) == (
        "+",
        contact_a,
        "reported",
    )


def load_measure():
    load_forum()
    from strategy.models import Measure

    return Measure.objects.get(slug="vacances-apprenantes")


def test_an_invitation_is_recorded_with_the_agent(staff_client, staff_agent, actor_a):
    staff_client.post(
        reverse("admin:actors_membership_add"), {"actor": actor_a.pk, "email": "n@exemple.org"}
    )
    membership = Membership.objects.get(user__email="n@exemple.org")
    record = latest(Membership, id=membership.pk)
    assert (record.history_type, record.history_user) == ("+", staff_agent)


def test_an_import_is_recorded_with_the_agent(staff_agent):
    load_forum()
    content = (
        "mesure;acteur_slug;code_territoire;annee;intitule;prevu\r\n"
        "Vacances apprenantes;diplp;32;2021;Séjours d'été;120\r\n"
    ).encode()
    importer = CommitmentImporter()
    importer.apply(importer.plan(content), by=staff_agent)
    record = latest(Commitment, title="Séjours d'été")
    assert (record.history_type, record.history_user) == ("+", staff_agent)
    content = "nom;slug;type_acteur\r\nDIPLP renommée;diplp;Service de l'État\r\n".encode()
    importer = ActorImporter()
    importer.apply(importer.plan(content), by=staff_agent)
    record = latest(Actor, slug="diplp")
    assert (record.history_type, record.history_user, record.name) == (
        "~",
        staff_agent,
        "DIPLP renommée",
    )


def test_a_validation_in_the_admin_is_recorded_with_the_agent(staff_client, staff_agent, actor_a):
    commitment = Commitment.objects.create(
        actor=actor_a,
        measure=load_measure(),
        territory=actor_a.territory,
        year=2021,
        title="T",
        planned_amount=Decimal(10),
    )
    delivery = commitment.report_delivery(
        amount=Decimal(2), date=datetime.date(2021, 4, 1), by=None
    )
    staff_client.post(
        reverse("admin:commitments_delivery_changelist"),
        {"action": "validate_deliveries", "_selected_action": [delivery.pk]},
    )
    assert latest(Delivery, id=delivery.pk).history_user == staff_agent
    assert latest(Commitment, id=commitment.pk).history_user == staff_agent
    page = staff_client.get(reverse("admin:commitments_delivery_history", args=[delivery.pk]))
    assert staff_agent.username in page.content.decode()

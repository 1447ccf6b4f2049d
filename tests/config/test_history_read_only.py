"""The history pages are read only: no role can write a domain row through them, and an
agent can read what changed, in French."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from actors.models import Actor, Membership
from actors.roles import AGENTS, MANAGERS, attach_to_territory, setup_roles
from commitments.models import Commitment, Delivery
from tests.factories import ActorFactory, CommitmentFactory, MembershipFactory, UserFactory, region
from tests.helpers import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    setup_roles()
    users = {
        "manager": UserFactory(username="gest", is_staff=True),
        "agent": UserFactory(username="agent", is_staff=True, first_name="Agathe"),
        "superuser": UserFactory(username="root", is_staff=True, is_superuser=True),
    }
    users["manager"].groups.add(Group.objects.get(name=MANAGERS))
    attach_to_territory(users["manager"], region())
    users["agent"].groups.add(Group.objects.get(name=AGENTS))
    attach_to_territory(users["agent"], region())
    return users


def form_data(model, obj, user):
    """What the admin's form for `obj` would post, as the revert form posts it."""
    request = RequestFactory().get("/")
    request.user = user
    model_admin = admin.site._registry[model]
    form = model_admin.get_form(request, obj, change=True)(instance=obj)
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif value is not None:
            data[name] = str(value)
    return data


def attacks(staff):
    """(model, the row, its first version, the changes an attacker posts)."""
    actor = ActorFactory(name="Acteur d'origine")
    membership = MembershipFactory(actor=actor)
    commitment = CommitmentFactory(actor=actor, year=2021, planned_amount=Decimal(1000))
    delivery = commitment.report_delivery(
        amount=Decimal(100), date=datetime.date(2021, 5, 1), by=membership.user
    )
    delivery.validate(by=staff["agent"])
    other = CommitmentFactory(actor=actor, year=2021)
    return [
        (Membership, membership, {"user": str(staff["manager"].pk)}),
        (Actor, actor, {"name": "Acteur renommé"}),
        (Commitment, commitment, {"planned_amount": "1", "is_public": ""}),
        (Delivery, delivery, {"amount": "999", "commitment": str(other.pk)}),
    ]


@pytest.mark.parametrize("role", ["manager", "agent", "superuser"])
def test_posting_a_history_version_writes_nothing_for_any_role(client, staff, role):
    client.force_login(staff[role])
    for model, obj, changes in attacks(staff):
        version = obj.history.earliest("history_date")
        address = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history",
            args=[obj.pk, version.history_id],
        )
        before = model_to_dict(model.objects.get(pk=obj.pk))
        versions = obj.history.count()
        data = form_data(model, obj, staff["superuser"]) | changes
        data = {k: v for k, v in data.items() if v != ""}
        response = client.post(address, data)
        assert response.status_code == 405, (model.__name__, role, response.status_code)
        assert model_to_dict(model.objects.get(pk=obj.pk)) == before, (model.__name__, role)
        assert obj.history.count() == versions


def test_a_version_page_has_no_revert_button_and_shows_values_read_only(client, staff):
    client.force_login(staff["agent"])
    (_m, _membership, _c), _actor, (_, commitment, _c2), (_, delivery, _c3) = attacks(staff)
    version = delivery.history.earliest("history_date")
    response = client.get(
        reverse("admin:commitments_delivery_simple_history", args=[delivery.pk, version.history_id])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="_save"' not in page  # no revert button
    # shown, not editable: a declared amount is read only on the delivery's own page
    # already, and so on its versions
    assert not re.search(r'<input(?![^>]*disabled)[^>]*name="amount"', page)
    assert "Montant : 100 €" in text_of(response)
    assert "Déclarée, en attente de validation" in text_of(response)
    assert "affichée en lecture seule" in text_of(response)
    for english in ("Historical", "Commitments", "Revert", "Home"):
        assert english not in text_of(response), english


def test_the_history_list_reads_in_french(client, staff):
    client.force_login(staff["agent"])
    *_rest, (_, delivery, _changes) = attacks(staff)
    response = client.get(reverse("admin:commitments_delivery_history", args=[delivery.pk]))
    assert response.status_code == 200
    page = text_of(response)
    assert "Déclarée, en attente de validation → Validée" in page
    assert "reported" not in page and "validated" not in page
    assert "Agathe" in page  # the agent by name
    assert "Examinée par : — → Agathe" in page
    assert "Deleted" not in page and "pk=" not in page
    for english in ("None", "Object", "Date/time", "Changed by", "Change reason", "Changes"):
        assert f" {english} " not in f" {page} ", english
    # Times in local time, as an agent reads them, never a UTC offset.
    reviewed = timezone.localtime(Delivery.objects.get(pk=delivery.pk).reviewed_at)
    assert f"Examinée le : — → {reviewed:%d/%m/%Y %H:%M}" in page
    assert "+00:00" not in page


@pytest.mark.parametrize(
    "address",
    [
        "/admin/commitments/delivery/abc/history/",
        "/admin/commitments/delivery/1/history/abc/",
        "/admin/actors/actor/abc/history/1/",
    ],
)
def test_an_id_that_is_no_number_on_a_history_page_is_a_404(client, staff, address):
    client.force_login(staff["manager"])
    assert client.get(address).status_code == 404

"""The deliveries' list sorts its "Acteur" column in French order, as the directory does."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import ActorFactory, CommitmentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("order", ["3", "-3"])
def test_the_actor_column_sorts_eclaircie_among_the_e(staff_client, staff_agent, order):
    for name in ("Trait d'union", "Éclaircie", "Entraide", "Fil rouge"):
        commitment = CommitmentFactory(actor=ActorFactory(name=name), year=2021)
        commitment.report_delivery(
            amount=Decimal(1), date=datetime.date(2021, 6, 1), by=staff_agent
        )
    page = staff_client.get(reverse("admin:commitments_delivery_changelist"), {"o": order})
    shown = re.findall(r'<td class="field-actor">([^<]+)</td>', page.content.decode())
    expected = ["Éclaircie", "Entraide", "Fil rouge", "Trait d&#x27;union"]
    assert shown == (expected if order == "3" else expected[::-1])

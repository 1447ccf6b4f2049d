"""Heavy downloads run a few at a time: per user and in all, a French 429 beyond."""

import pytest
from django.core.cache import cache
from django.core.signals import request_finished
from django.db import close_old_connections

from tests.factories import CommitmentFactory, DeliveryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.real_cache]


@pytest.fixture(autouse=True)
def limits(settings):
    cache.clear()
    settings.EXPORTS_PER_USER = 2
    settings.EXPORTS_IN_ALL = 3
    CommitmentFactory()


def start(client):
    """A CSV download begun: the response is open, its body not yet written."""
    return client.get("/rapports/realisations.csv")


def close(response):
    """What the server does when the client goes away: close the response. (As Django's
    test client does around its own closes, the test's database connection is kept.)"""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def test_a_third_download_at_once_by_one_manager_gets_a_french_429(client, manager):
    client.force_login(manager)
    first, second = start(client), start(client)
    assert (first.status_code, second.status_code) == (200, 200)
    third = start(client)
    assert third.status_code == 429
    assert third["Retry-After"] == "30"
    assert "Trop de téléchargements en cours" in third.content.decode()
    b"".join(first.streaming_content)  # one download written to its end frees its slot
    assert start(client).status_code == 200


def test_a_download_closed_unread_gives_its_slot_back(client, manager):
    client.force_login(manager)
    first, _second = start(client), start(client)
    close(first)
    assert start(client).status_code == 200


def test_downloads_in_all_are_limited_across_users(client, manager, staff_agent):
    client.force_login(manager)
    held = [start(client), start(client)]
    client.force_login(staff_agent)
    held.append(start(client))
    assert [r.status_code for r in held] == [200, 200, 200]
    assert start(client).status_code == 429
    assert client.get("/rapports/acteurs.xlsx").status_code == 429
    for response in held:
        close(response)
    assert client.get("/rapports/acteurs.xlsx").status_code == 200
    assert start(client).status_code == 200


def test_the_admin_export_action_counts_against_the_same_limit(client, manager):
    delivery = DeliveryFactory()
    client.force_login(manager)
    held = [start(client), start(client)]
    action = {"action": "export_selection", "_selected_action": [delivery.pk]}
    response = client.post("/admin/commitments/delivery/", action)
    assert response.status_code == 429
    for r in held:
        close(r)
    response = client.post("/admin/commitments/delivery/", action)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")

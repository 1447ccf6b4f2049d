"""The admin's « Fichiers de rapports préparés »: the builds of every user, for the
superusers to see what runs, failed or was interrupted; read only."""

import datetime

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports.builds import fail_build, mark_running, start_build
from reports.exports import EXPORTERS, ReportFilters
from reports.models import ReportBuild
from tests.config.test_admin_french import mistakes
from tests.factories import UserFactory
from tests.helpers import text_of

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:reports_reportbuild_changelist")


def build_for(user, name="realisations"):
    return start_build(user, EXPORTERS[name], "csv", "csv", {}, ReportFilters(), 100)


@pytest.fixture
def builds(manager, staff_agent):
    """A build running, one interrupted, one failed."""
    running = build_for(manager)
    mark_running(running)
    interrupted = build_for(staff_agent, "engagements")
    ago = timezone.now() - datetime.timedelta(hours=1)
    ReportBuild.objects.filter(pk=interrupted.pk).update(heartbeat_at=ago)
    failed = build_for(UserFactory(username="autre", is_staff=True), "acteurs")
    fail_build(failed, tell=False)
    return {"running": running, "interrupted": interrupted, "failed": failed}


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_list_shows_every_build_with_its_state_in_french(superuser_client, builds):
    response = superuser_client.get(CHANGELIST)
    assert response.status_code == 200
    assert {build.pk for build in response.context["cl"].result_list} == {
        build.pk for build in builds.values()
    }
    page = text_of(response)
    assert "Sélectionnez la fiche fichier de rapport préparé à afficher" in page
    for state in ("en préparation", "interrompu", "échoué"):
        assert state in page
    assert mistakes(response) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [("status__exact=failed", {"failed"}), ("report=engagements", {"interrupted"})],
)
def test_the_list_filters_by_status_and_report(superuser_client, builds, query, expected):
    response = superuser_client.get(f"{CHANGELIST}?{query}")
    assert {build.pk for build in response.context["cl"].result_list} == {
        builds[name].pk for name in expected
    }


def test_a_build_is_read_only_and_cannot_be_added_changed_or_deleted(superuser_client, builds):
    build = builds["running"]
    change = reverse("admin:reports_reportbuild_change", args=[build.pk])
    response = superuser_client.get(change)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="_save"' not in html and "deletelink" not in html
    assert mistakes(response) == []
    before = model_to_dict(ReportBuild.objects.get(pk=build.pk))
    assert superuser_client.post(change, {"status": "done"}).status_code == 403
    delete = reverse("admin:reports_reportbuild_delete", args=[build.pk])
    assert superuser_client.get(delete).status_code == 403
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    assert superuser_client.get(reverse("admin:reports_reportbuild_add")).status_code == 403
    listed = superuser_client.get(CHANGELIST).content.decode()
    assert 'value="delete_selected"' not in listed
    assert model_to_dict(ReportBuild.objects.get(pk=build.pk)) == before


def test_managers_and_agents_get_403(client, manager, staff_agent, builds):
    for user in (manager, staff_agent):
        client.force_login(user)
        assert client.get(CHANGELIST).status_code == 403
        change = reverse("admin:reports_reportbuild_change", args=[builds["running"].pk])
        assert client.get(change).status_code == 403


def test_an_unknown_build_says_so_in_french(superuser_client):
    address = reverse("admin:reports_reportbuild_change", args=["00000000-0000-0000-0000-0"])
    response = superuser_client.get(address, follow=True)
    assert response.status_code == 200
    assert "n’existe pas" in text_of(response) or "n'existe pas" in text_of(response)


# Session, user, the list's count twice (filtered and in all), its page of builds with
# their requesters and territories, the report filter's values.
PINNED_LIST = 6


def test_the_list_query_count_is_pinned_and_does_not_grow_with_builds(
    superuser_client, builds, settings
):
    settings.REPORT_BUILDS_IN_ALL = 10

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert superuser_client.get(CHANGELIST).status_code == 200
        return len(captured)

    small = queries()
    for index in range(3):
        build_for(UserFactory(username=f"plus-{index}", is_staff=True))
    assert (small, queries()) == (PINNED_LIST, PINNED_LIST)

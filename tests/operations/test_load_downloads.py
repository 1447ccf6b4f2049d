"""The load test's managers download as a browser does: a short report at once; a long
one by pressing « Préparer le fichier » (POST) and fetching the file once built. The
page offering the button is never counted as a downloaded file, by the load test or by
the reports bench."""

import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.management.base import CommandError

from actors.roles import MANAGERS, attach_to_territory, setup_roles
from operations.load import download, received_a_file
from operations.report_bench import fetch_file
from operations.servers import PASSWORD, Session
from reports.builds import start_build
from reports.exports import EXPORTERS, ReportFilters
from reports.models import ReportBuild
from tests.factories import CommitmentFactory, DeliveryFactory, UserFactory, region

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session(live_server, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]  # the Session's Host
    setup_roles()
    user = UserFactory(username="gestionnaire.demo", is_staff=True, password=PASSWORD)
    user.groups.add(Group.objects.get(name=MANAGERS))
    attach_to_territory(user, region())
    commitment = CommitmentFactory()
    for _ in range(3):
        DeliveryFactory(commitment=commitment)
    session = Session(urlsplit(live_server.url).port)
    assert session.login("gestionnaire.demo")
    session.user = user
    return session


def soon():
    return time.monotonic() + 30


def test_a_short_report_is_a_file_received_at_once(session):
    statuses = []
    assert download(session, "/rapports/realisations.csv?dialect=csv", soon(), statuses.append)
    assert statuses == [200]
    assert session.content_type == "text/csv; charset=utf-8"
    assert not ReportBuild.objects.exists()


def test_a_long_report_is_prepared_by_a_post_then_its_file_fetched(session, settings):
    settings.REPORT_BACKGROUND_ROWS_XLSX = 2
    statuses = []
    assert download(session, "/rapports/realisations.xlsx", soon(), statuses.append)
    # The offer page, /rapports/ before, the POST, /rapports/ with the link, the file.
    assert statuses == [200, 200, 302, 200, 200]
    assert session.content_type.startswith("application/vnd.openxmlformats")
    assert ReportBuild.objects.get().status == "done"


def test_the_page_offering_the_button_is_not_a_file(session, settings):
    settings.REPORT_BACKGROUND_ROWS_CSV = 2
    status, _ = session.request("GET", "/rapports/realisations.csv", keep=False)
    assert status == 200 and session.received > 0
    assert session.content_type == "text/html; charset=utf-8"
    assert not received_a_file(session, status)
    assert not ReportBuild.objects.exists()


def test_a_refused_build_is_no_download(session, settings):
    settings.REPORT_BACKGROUND_ROWS_CSV = 2
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    start_build(session.user, EXPORTERS["synthese"], "csv", "csv", {}, ReportFilters(), 9)
    statuses = []
    assert not download(session, "/rapports/realisations.csv", soon(), statuses.append)
    assert statuses == [200, 200, 429]
    assert ReportBuild.objects.count() == 1


def test_the_bench_times_files_and_refuses_a_page(session, settings):
    fetch_file(session, "/rapports/realisations.xlsx")
    settings.REPORT_BACKGROUND_ROWS_XLSX = 2
    with pytest.raises(CommandError) as refused:
        fetch_file(session, "/rapports/realisations.xlsx")
    assert str(refused.value) == (
        "/rapports/realisations.xlsx : réponse 200 (text/html; charset=utf-8), "
        "pas de fichier téléchargé."
    )
    assert not ReportBuild.objects.exists()

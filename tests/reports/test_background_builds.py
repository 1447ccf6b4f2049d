"""Long downloads are built in the background: a progress bar on /rapports/, then a link
and a mail; the file is its requester's (and their territory staff's) for a day."""

import datetime
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from actors.roles import MANAGERS
from reports.builds import (
    Abandoned,
    Progress,
    _write,
    fail_build,
    finish_build,
    mark_running,
    needs_background,
    start_build,
    storage,
)
from reports.exports import EXPORTERS, ReportFilters
from reports.models import ReportBuild
from strategy.units import format_number
from tests.factories import (
    CommitmentFactory,
    DeliveryFactory,
    MembershipFactory,
    TerritoryFactory,
    staff_member,
)
from tests.helpers import count_queries, text_of

pytestmark = pytest.mark.django_db

BUILD_LINK = re.compile(r"/rapports/fichiers/[0-9a-f-]{36}/")


@pytest.fixture
def deliveries():
    """Five deliveries, one with text a spreadsheet would run, one with a quote."""
    commitment = CommitmentFactory(title='Repas "chauds"')
    DeliveryFactory(commitment=commitment, comment="=1+1")
    for _ in range(4):
        DeliveryFactory(commitment=commitment, comment="Écoles; cantines\nligne 2")
    return commitment


@pytest.fixture
def low_thresholds(settings):
    """Anything over two rows is built in the background."""
    settings.REPORT_BACKGROUND_ROWS_CSV = 2
    settings.REPORT_BACKGROUND_ROWS_XLSX = 2
    settings.REPORT_BUILDS_IN_ALL = 3


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def built(client, on_commit, address):
    """Ask to prepare `address` (the button's POST); the task runs on commit (the
    immediate backend); the build."""
    with on_commit():
        response = client.post(address)
    assert response.status_code == 302, response.content
    return response, ReportBuild.objects.get()


def queued(user, name="realisations", extension="csv", rows=100):
    """A build recorded as the view records it, its task not run (no commit in a test)."""
    exporter = EXPORTERS[name]
    return start_build(user, exporter, extension, "csv", {}, ReportFilters(), rows)


def fetch(client, build):
    response = client.get(build.get_absolute_url())
    assert response.status_code == 200, response.content
    return response, b"".join(response.streaming_content)


@pytest.mark.parametrize("dialect", ["excel", "csv"])
def test_a_large_csv_is_built_in_the_background_and_equals_the_immediate_download(
    client, manager, deliveries, on_commit, settings, dialect
):
    client.force_login(manager)
    address = f"/rapports/realisations.csv?dialect={dialect}"
    immediate = client.get(address)
    assert immediate.status_code == 200 and immediate.streaming
    expected = b"".join(immediate.streaming_content)
    assert not ReportBuild.objects.exists()  # short downloads stay immediate

    settings.REPORT_BACKGROUND_ROWS_CSV = 2
    response, build = built(client, on_commit, address)
    assert response["Location"] == "/rapports/"
    assert (build.status, build.rows_expected, build.rows_written) == ("done", 5, 5)
    assert build.requester == manager and build.dialect == dialect

    page = text_of(client.get("/rapports/"))
    assert f"{build.download_name} — prêt (5 lignes)" in page
    assert f"Télécharger {build.download_name}" in page
    file, content = fetch(client, build)
    assert content == expected
    assert file["Content-Disposition"] == immediate["Content-Disposition"]
    assert file["Content-Type"] == "text/csv; charset=utf-8"


def test_a_large_xlsx_is_built_in_the_background_with_the_immediate_rows(
    client, manager, deliveries, on_commit, low_thresholds
):
    client.force_login(manager)
    exporter = EXPORTERS["realisations"]
    expected = load_workbook(exporter.xlsx(exporter.queryset(ReportFilters())))
    _response, build = built(client, on_commit, "/rapports/realisations.xlsx?year=2021")
    assert build.params == {"year": "2021"} and build.status == "done"
    _file, content = fetch(client, build)
    workbook = load_workbook(io.BytesIO(content))
    rows = [[cell.value for cell in row] for row in workbook.active.iter_rows()]
    assert rows == [[cell.value for cell in row] for row in expected.active.iter_rows()]
    assert len(rows) == 6  # the header and five deliveries
    assert build.download_name.startswith("realisations_2021_")


def test_the_requester_is_mailed_the_link_in_french(
    client, manager, deliveries, on_commit, low_thresholds
):
    client.force_login(manager)
    _response, build = built(client, on_commit, "/rapports/realisations.csv")
    (message,) = mail.outbox
    assert message.to == [manager.email]
    assert message.subject == f"Votre rapport est prêt : {build.download_name}"
    assert f"http://127.0.0.1:8000/rapports/fichiers/{build.pk}/" in message.body
    assert "Il reste disponible jusqu'au" in message.body
    assert "(5 lignes)" in message.body


def test_rapports_shows_the_progress_bar_and_refreshes_until_stopped(manager_client, manager):
    build = queued(manager)
    mark_running(build)
    Progress(build, every=0)(40)
    response = manager_client.get("/rapports/")
    html = response.content.decode()
    assert f'<progress id="avancement-{build.pk}" max="100" value="40">' in html
    assert "en préparation : 40 lignes écrites sur 100 (40 %)" in text_of(response)
    assert '<meta http-equiv="refresh" content="2">' in html
    assert "Arrêter l'actualisation automatique" in text_of(response)

    stopped = manager_client.get("/rapports/", {"actualiser": "non", "year": "2021"})
    assert '<meta http-equiv="refresh"' not in stopped.content.decode()
    assert "Reprendre l'actualisation automatique" in text_of(stopped)
    # The filters' links keep the filters, not the choice to stop refreshing.
    assert html.count("actualiser=non") == 1  # the link that stops it, only
    assert "actualiser=" not in stopped.content.decode()
    assert 'href="/rapports/realisations.csv?dialect=csv&amp;year=2021"' in (
        stopped.content.decode()
    )


def test_counts_of_lines_are_grouped_the_french_way(manager_client, manager, deliveries, settings):
    build = queued(manager, rows=123_456)
    mark_running(build)
    Progress(build, every=0)(12_345)
    page = text_of(manager_client.get("/rapports/"))

    def grouped(count):  # `12 345`, as every figure of the site (text_of reads NBSP as space)
        return format_number(count).replace("\xa0", " ")

    assert f"{grouped(12_345)} lignes écrites sur {grouped(123_456)} (9 %)" in page
    assert f"plus de {grouped(100_000)} lignes en CSV" in page and "123456" not in page
    settings.REPORT_BACKGROUND_ROWS_CSV = 2
    offer = text_of(manager_client.get("/rapports/realisations.csv"))
    assert "au-delà de 2 lignes" in offer and "compte 5 lignes" in offer
    settings.REPORT_BACKGROUND_ROWS_CSV = 1_000
    for _ in range(2):  # over the threshold: 1 005 rows
        DeliveryFactory.create_batch(500, commitment=deliveries)
    offer = text_of(manager_client.get("/rapports/realisations.csv"))
    assert f"compte {grouped(1_005)} lignes" in offer
    assert f"au-delà de {grouped(1_000)} lignes" in offer


def test_rapports_stops_refreshing_once_the_file_is_ready(manager_client, manager, deliveries):
    build = queued(manager)
    mark_running(build)
    stored = storage().save(f"{build.pk}/{build.download_name}", io.BytesIO(b"id\r\n"))
    finish_build(build, stored, 0)
    html = manager_client.get("/rapports/").content.decode()
    assert '<meta http-equiv="refresh"' not in html
    assert f'href="/rapports/fichiers/{build.pk}/"' in html


def test_a_download_over_the_threshold_is_a_button_that_posts(manager_client, deliveries, settings):
    settings.REPORT_BACKGROUND_ROWS_XLSX = 2
    html = manager_client.get("/rapports/?year=2021").content.decode()
    assert 'href="/rapports/realisations.xlsx?year=2021"' not in html
    assert '<form method="post" action="/rapports/realisations.xlsx?year=2021"' in html
    assert "Préparer le fichier XLSX" in html
    assert 'href="/rapports/realisations.csv?dialect=csv&amp;year=2021" download>' in html
    assert 'href="/rapports/engagements.xlsx?year=2021" download>' in html  # one row
    assert "XLSX préparé en arrière-plan" in text_of(manager_client.get("/rapports/"))
    assert needs_background("xlsx", 3) and not needs_background("csv", 3)
    assert not ReportBuild.objects.exists()


def test_a_get_over_the_threshold_offers_the_button_and_starts_nothing(
    manager_client, deliveries, low_thresholds
):
    response = manager_client.get("/rapports/realisations.csv?dialect=csv&year=2021")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = text_of(response)
    assert "Réalisations : un fichier à préparer" in page
    assert "Ce rapport compte 5 lignes avec ces filtres : au-delà de 2 lignes en CSV" in page
    html = response.content.decode()
    assert '<form method="post" action="" class="fr-mb-4w">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<button class="fr-btn" type="submit">Préparer le fichier</button>' in html
    # The breadcrumb of the report pages: Accueil › Rapports › this report.
    assert '<a class="fr-breadcrumb__link" href="/rapports/">Rapports</a>' in html
    assert 'aria-current="page">Réalisations (CSV)</a>' in html
    assert manager_client.head("/rapports/realisations.xlsx").status_code == 200
    assert not ReportBuild.objects.exists()


def test_preparing_needs_the_csrf_token(manager, deliveries, low_thresholds, on_commit):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    address = "/rapports/realisations.xlsx?year=2021"
    assert client.post(address).status_code == 403
    assert not ReportBuild.objects.exists()
    offer = client.get(address)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', offer.content.decode())[1]
    with on_commit():
        response = client.post(address, {"csrfmiddlewaretoken": token})
    assert (response.status_code, response["Location"]) == (302, "/rapports/?year=2021")
    assert ReportBuild.objects.get().status == "done"


def test_posting_a_short_download_sends_to_the_file_and_prepares_nothing(
    manager_client, deliveries
):
    response = manager_client.post("/rapports/realisations.csv?dialect=csv")
    assert (response.status_code, response["Location"]) == (
        302,
        "/rapports/realisations.csv?dialect=csv",
    )
    assert not ReportBuild.objects.exists()


@pytest.mark.parametrize(
    ("address", "status", "said"),
    [
        ("/rapports/realisations.csv?year=abc", 400, "Requête invalide"),
        ("/rapports/realisations.csv?dialect=tsv", 400, "dialecte « tsv » inconnu"),
        ("/rapports/inconnu.csv", 404, ""),
    ],
)
def test_preparing_with_bad_input_is_refused_in_french_and_records_nothing(
    manager_client, deliveries, low_thresholds, address, status, said
):
    response = manager_client.post(address)
    assert response.status_code == status
    assert said in response.content.decode()
    assert not ReportBuild.objects.exists()


def test_a_contact_gets_403_and_an_anonymous_visitor_the_login_page_when_preparing(
    client, deliveries, low_thresholds, actor_a
):
    response = client.post("/rapports/realisations.csv")
    assert response.status_code == 302 and response["Location"].startswith("/comptes/connexion/")
    client.force_login(MembershipFactory(actor=actor_a).user)
    assert client.post("/rapports/realisations.csv").status_code == 403
    assert client.get("/rapports/realisations.csv").status_code == 403
    assert not ReportBuild.objects.exists()


def test_the_synthese_is_sent_at_once_without_grouping_twice_and_offered_with_its_rows(
    manager_client, settings
):
    first = CommitmentFactory(year=2020)
    for year in (2020, 2021, 2021):  # four commitments, two rows of totals
        CommitmentFactory(actor=first.actor, measure=first.measure, year=year)
    address = "/rapports/synthese.csv?dialect=csv"
    settings.REPORT_BACKGROUND_ROWS_CSV = 4  # no more rows than commitments: at once
    with CaptureQueriesContext(connection) as queries:
        response = manager_client.get(address)
        assert response.streaming and len(b"".join(response.streaming_content).splitlines()) == 3
    assert ["GROUP BY" in query["sql"] for query in queries].count(True) == 1  # the file's
    settings.REPORT_BACKGROUND_ROWS_CSV = 2  # four commitments, but two rows: at once
    assert manager_client.get(address).streaming
    settings.REPORT_BACKGROUND_ROWS_CSV = 1
    page = text_of(manager_client.get(address))
    assert "Ce rapport compte 2 lignes avec ces filtres : au-delà de 1 lignes en CSV" in page


# Session, user, the two permission reads, the user's territory, the report's count,
# the menu's roles.
PINNED_OFFER = 7


def test_the_offer_page_query_count_is_pinned(manager_client, deliveries, low_thresholds):
    assert count_queries(manager_client, "/rapports/realisations.xlsx") == PINNED_OFFER


def test_a_second_build_for_the_same_user_is_refused_in_french(
    manager_client, manager, deliveries, low_thresholds
):
    queued(manager)
    response = manager_client.post("/rapports/realisations.csv")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    page = text_of(response)
    assert "Un de vos fichiers est déjà en préparation" in page
    assert "Rien n'a été mis en préparation." in page
    html = response.content.decode()
    assert '<a class="fr-breadcrumb__link" href="/rapports/">Rapports</a>' in html
    assert 'aria-current="page">Fichier non demandé</a>' in html
    assert ReportBuild.objects.count() == 1


def test_builds_in_all_are_limited_in_french(
    client, manager, staff_agent, deliveries, low_thresholds, settings
):
    settings.REPORT_BUILDS_IN_ALL = 1
    queued(staff_agent)
    client.force_login(manager)
    response = client.post("/rapports/realisations.xlsx")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "1 fichier est déjà en préparation pour l'ensemble des utilisateurs" in text_of(response)
    assert ReportBuild.objects.filter(requester=manager).count() == 0


def test_the_limits_free_again_once_a_build_is_done(
    client, manager, deliveries, on_commit, low_thresholds
):
    client.force_login(manager)
    built(client, on_commit, "/rapports/realisations.csv")
    with on_commit():
        assert client.get("/rapports/engagements.xlsx").status_code == 200  # one row: at once
        assert client.post("/rapports/realisations.xlsx").status_code == 302
    assert ReportBuild.objects.filter(status="done").count() == 2


@pytest.fixture
def departments(roles):
    """Two départements, a manager of each and a second manager of the first."""
    first, second = TerritoryFactory(), TerritoryFactory()
    return {
        "first": staff_member("gestionnaire-1", MANAGERS, territory=first),
        "colleague": staff_member("gestionnaire-1b", MANAGERS, territory=first),
        "second": staff_member("gestionnaire-2", MANAGERS, territory=second),
    }


def done_build(user):
    build = queued(user)
    mark_running(build)
    stored = storage().save(f"{build.pk}/{build.download_name}", io.BytesIO(b"id\r\n1\r\n"))
    finish_build(build, stored, 1)
    return build


def test_staff_of_the_same_territory_may_fetch_the_file_others_get_404(
    client, departments, manager
):
    build = done_build(departments["first"])
    for who in ("first", "colleague"):
        client.force_login(departments[who])
        assert fetch(client, build)[1] == b"id\r\n1\r\n", who
    client.force_login(manager)  # the regional team covers every département
    assert fetch(client, build)[1] == b"id\r\n1\r\n"
    client.force_login(departments["second"])
    assert client.get(build.get_absolute_url()).status_code == 404


def test_a_regional_build_is_not_a_departments_to_fetch(client, departments, manager):
    build = done_build(manager)
    client.force_login(departments["first"])
    assert client.get(build.get_absolute_url()).status_code == 404
    assert build.download_name not in text_of(client.get("/rapports/"))


def test_a_contact_gets_403_and_an_anonymous_visitor_the_login_page(client, manager, actor_a):
    build = done_build(manager)
    assert client.get(build.get_absolute_url()).status_code == 302
    client.force_login(MembershipFactory(actor=actor_a).user)
    assert client.get(build.get_absolute_url()).status_code == 403


def test_an_unknown_file_is_404(manager_client):
    assert (
        manager_client.get("/rapports/fichiers/00000000-0000-0000-0000-000000000000/").status_code
        == 404
    )


def test_a_file_not_ready_sends_back_to_the_progress(manager_client, manager):
    build = queued(manager)
    response = manager_client.get(build.get_absolute_url())
    assert (response.status_code, response["Location"]) == (302, "/rapports/")


def test_an_expired_file_says_so_in_french_and_the_purge_deletes_it(manager_client, manager):
    build = done_build(manager)
    later = timezone.now() + datetime.timedelta(days=1, minutes=1)
    ReportBuild.objects.filter(pk=build.pk).update(expires_at=timezone.now())
    response = manager_client.get(build.get_absolute_url())
    assert response.status_code == 410
    assert "Ce fichier a expiré" in text_of(response)
    assert 'aria-current="page">Fichier expiré</a>' in response.content.decode()
    fresh = done_build(manager)
    assert storage().exists(build.file_name)
    out = io.StringIO()
    call_command("purge_report_builds", stdout=out)
    assert "1 fichier(s) de rapport expiré(s) supprimé(s)." in out.getvalue()
    assert not storage().exists(build.file_name)
    assert list(ReportBuild.objects.all()) == [fresh]
    assert storage().exists(fresh.file_name)
    assert ReportBuild.objects.expired(later).get() == fresh


def test_a_failed_build_says_so_and_frees_the_slot(manager_client, manager, deliveries, on_commit):
    build = start_build(manager, EXPORTERS["realisations"], "csv", "csv", {"year": "1"}, None, 5)
    with on_commit():
        build_report_now(build)
    build.refresh_from_db()
    assert build.status == "failed" and not build.file_name
    assert "la préparation a échoué" in text_of(manager_client.get("/rapports/"))
    assert not ReportBuild.objects.active().exists()
    (message,) = mail.outbox
    assert message.to == [manager.email]
    assert message.subject == f"Votre rapport n'a pas pu être préparé : {build.download_name}"
    assert "n'a pas pu être préparé" in message.body
    assert "Vous pouvez le demander à nouveau, avec les mêmes filtres, depuis " in message.body
    assert "http://127.0.0.1:8000/rapports/" in message.body


def silent(build, seconds=601):
    """The build's worker last gave news `seconds` ago (REPORT_BUILD_STALE_AFTER: 600)."""
    ago = timezone.now() - datetime.timedelta(seconds=seconds)
    ReportBuild.objects.filter(pk=build.pk).update(heartbeat_at=ago)
    build.refresh_from_db()
    return build


def test_a_silent_build_is_shown_interrupted_and_holds_no_slot(
    manager_client, manager, staff_agent, settings
):
    settings.REPORT_BUILDS_IN_ALL = 1
    build = queued(manager)
    mark_running(build)
    silent(build, seconds=599)
    assert ReportBuild.objects.active().get() == build  # still alive
    silent(build)
    assert not ReportBuild.objects.active().exists()
    assert ReportBuild.objects.stale().get() == build
    response = manager_client.get("/rapports/")
    assert (
        f"{build.download_name} — interrompu : sa préparation ne donne plus de nouvelles "
        "depuis plus de 10 minutes." in text_of(response)
    )
    assert "<progress" not in response.content.decode()
    assert '<meta http-equiv="refresh"' not in response.content.decode()
    other = queued(staff_agent)  # its slot is free for anyone
    assert other.status == "queued"


def test_asking_again_fails_ones_interrupted_build_without_a_mail(manager, deliveries):
    build = silent(queued(manager))
    again = queued(manager)
    build.refresh_from_db()
    assert (build.status, again.status) == ("failed", "queued")
    assert mail.outbox == []


def test_the_stale_delay_is_a_setting(manager, settings):
    settings.REPORT_BUILD_STALE_AFTER = 60
    build = silent(queued(manager), seconds=61)
    assert ReportBuild.objects.stale().get() == build and build.interrupted


def test_the_purge_fails_interrupted_builds_and_mails_their_requesters(
    manager, staff_agent, on_commit
):
    build = silent(queued(manager))
    alive = queued(staff_agent)
    out = io.StringIO()
    with on_commit():
        call_command("purge_report_builds", stdout=out)
    assert "1 préparation(s) interrompue(s) marquée(s) en échec." in out.getvalue()
    build.refresh_from_db()
    alive.refresh_from_db()
    assert (build.status, alive.status) == ("failed", "queued")
    assert build.finished_at is not None
    (message,) = mail.outbox
    assert message.to == [manager.email]
    assert message.subject == f"Votre rapport n'a pas pu être préparé : {build.download_name}"


def test_a_late_worker_does_not_turn_a_failed_build_into_done(manager, on_commit):
    build = queued(manager)
    mark_running(build)
    silent(build)
    fail_build(build, tell=False)  # the purge gave up on it
    stored = storage().save(f"{build.pk}/{build.download_name}", io.BytesIO(b"id\r\n"))
    with on_commit():
        assert finish_build(build, stored, 1) is False
    build.refresh_from_db()
    assert (build.status, build.file_name) == ("failed", "")
    assert not storage().exists(stored)
    assert mail.outbox == []  # no « prêt »


def test_a_done_build_is_never_failed_afterwards(manager, on_commit):
    build = done_build(manager)
    with on_commit():
        assert fail_build(build) is False
    build.refresh_from_db()
    assert build.status == "done"
    assert mail.outbox == []  # nothing said to fail


def test_a_build_no_longer_queued_is_not_run(manager):
    build = queued(manager)
    fail_build(build, tell=False)
    assert mark_running(build) is False
    build.refresh_from_db()
    assert build.status == "failed"


def test_a_build_failed_while_written_stops_writing(manager, deliveries):
    build = queued(manager)
    mark_running(build)
    progress = Progress(build, every=0)
    progress(1)  # still running: recorded
    fail_build(build, tell=False)  # the purge gave up on it meanwhile
    with pytest.raises(Abandoned):
        progress(2)
    build.refresh_from_db()
    assert (build.status, build.rows_written) == ("failed", 1)


def test_the_writing_of_a_build_failed_meanwhile_stops_and_keeps_no_file(
    manager, deliveries, settings
):
    settings.REPORT_PROGRESS_EVERY = 0  # every block of rows reports its progress
    build = queued(manager)
    mark_running(build)
    fail_build(build, tell=False)  # the purge, from another process, as the task writes
    with pytest.raises(Abandoned):
        _write(build)
    build.refresh_from_db()
    assert (build.status, build.file_name) == ("failed", "")
    assert not storage().exists(f"{build.pk}/{build.download_name}")


def build_report_now(build):
    """Run the task in the process, as the immediate backend does on commit."""
    from reports.builds import build_report

    result = build_report.enqueue(str(build.pk))
    assert result.status == "FAILED"


def test_progress_is_recorded_at_most_every_interval(manager):
    build = queued(manager)
    progress = Progress(build, every=3600)
    progress(10)  # too soon: not recorded
    build.refresh_from_db()
    assert build.rows_written == 0
    silent(build)
    Progress(build, every=0)(20)
    build.refresh_from_db()
    assert build.rows_written == 20
    assert not build.interrupted  # the progress is the heartbeat


# Session, user, the user's and the groups' permissions, the user's territory, the four
# reports' counts (synthese: its totals), the user's builds, the menu's roles, then the
# filters' choices (issues, measures, territories).
PINNED_INDEX = 14
# Session, user, the two permission reads, the build; for another's build, the user's
# territory and the ids of the territories it covers.
PINNED_FILE = {"requester": 5, "colleague": 7}


def test_rapports_query_count_is_pinned_and_does_not_grow_with_builds(
    manager_client, manager, deliveries, staff_agent
):
    done_build(manager)
    small = count_queries(manager_client, "/rapports/")
    done_build(manager)
    queued(manager)
    large = count_queries(manager_client, "/rapports/")
    assert (small, large) == (PINNED_INDEX, PINNED_INDEX)


def test_the_file_view_query_count_is_pinned(client, departments):
    build = done_build(departments["first"])
    client.force_login(departments["first"])
    assert count_queries(client, build.get_absolute_url()) == PINNED_FILE["requester"]
    client.force_login(departments["colleague"])
    assert count_queries(client, build.get_absolute_url()) == PINNED_FILE["colleague"]


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_the_writers_tell_the_rows_written_as_they_go(deliveries, extension):
    for _ in range(445):
        DeliveryFactory(commitment=deliveries)
    exporter = EXPORTERS["realisations"]
    queryset = exporter.queryset(ReportFilters())
    told = []
    if extension == "xlsx":
        exporter.xlsx(queryset, progress=told.append).close()
        # The XLSX writer tells every xlsx_stream.CHUNK_ROWS rows (500, see
        # test_xlsx_writer's thousand rows), and always at the end.
        assert told == [450]
    else:
        b"".join(chunk.encode() for chunk in exporter.csv_chunks(queryset, progress=told.append))
        # The Python writer every 200 rows; PostgreSQL's COPY once per block read back.
        assert told[-1] == 450 and told == sorted(told)


def test_a_build_that_waited_past_the_stale_delay_is_not_started_late(manager):
    # Shown interrupted, its slot given to another: run now, it would pass the limit.
    build = silent(queued(manager))
    assert mark_running(build) is False
    build.refresh_from_db()
    assert build.status == "queued" and build.interrupted
    fresh = silent(queued(manager), seconds=599)  # asking again failed the first one
    assert mark_running(fresh) is True

"""Long downloads built in the background: a ReportBuild row says how far the task got,
the file goes to the `reports` storage for a day, and its requester gets a mail.

The rule (`needs_background`): a download with more rows than REPORT_BACKGROUND_ROWS_CSV
(or _XLSX) is not served at once. `start_build` checks the limits (one build queued or
running per user, REPORT_BUILDS_IN_ALL in all) and queues the `build_report` task; the
task writes the file, recording its rows as it goes (`Progress`), then `finish_build`
keeps the file and mails the link, or `fail_build` says it failed.
"""

import datetime
import logging
import tempfile
import time

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from actors.scopes import scope_of
from commitments.mails import queue_mails, queued_in_database
from reports.exports import EXPORTERS
from reports.forms import ReportFilterForm
from reports.models import ReportBuild, stale_before
from reports.responses import file_name
from strategy.units import format_number

logger = logging.getLogger(__name__)

KEPT_FOR = datetime.timedelta(days=1)
# rows_written is recorded at most this often (seconds): the bar moves at least every
# second, and the row is not rewritten for each group of rows.
# The key of the advisory lock that serialises start_build's checks on PostgreSQL (any
# fixed number: only start_build takes it).
BUILDS_LOCK = 7_240_017
ONE_PER_USER = (
    "Un de vos fichiers est déjà en préparation : attendez qu'il soit prêt "
    "avant d'en demander un autre."
)


class BuildRefused(Exception):
    """A limit is reached; the message says which, in French."""


def threshold(extension):
    if extension == "xlsx":
        return settings.REPORT_BACKGROUND_ROWS_XLSX
    return settings.REPORT_BACKGROUND_ROWS_CSV


def needs_background(extension, rows):
    return rows > threshold(extension)


def storage():
    return storages["reports"]


def start_build(user, exporter, extension, dialect, params, filters, rows_expected):
    """Record a queued build of `exporter` for `user`, then queue its task; raises
    BuildRefused, and records nothing, when a limit is reached."""
    now = timezone.now()
    scope = scope_of(user)
    try:
        with transaction.atomic():
            _lock_builds()
            _check_limits(user)
            build = ReportBuild.objects.create(
                requester=user,
                territory=None if scope.everything else scope.territory,
                report=exporter.name,
                extension=extension,
                dialect=dialect if extension == "csv" else "",
                params=params,
                rows_expected=rows_expected,
                download_name=file_name(exporter.name, extension, filters),
                created_at=now,
                heartbeat_at=now,
                expires_at=now + KEPT_FOR,
            )
            _enqueue(build)
    except IntegrityError:  # the unique constraint, should the checks ever be passed by
        raise BuildRefused(ONE_PER_USER) from None
    return build


def _lock_builds():
    """Two requests at once would both pass the checks (READ COMMITTED): the second
    waits here until the first has committed its build. SQLite serialises writes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [BUILDS_LOCK])


def _check_limits(user):
    # The user's own interrupted build is failed (silently: they are asking again), else
    # the unique constraint on queued and running builds would still refuse them.
    for interrupted in ReportBuild.objects.stale().filter(requester=user):
        fail_build(interrupted, tell=False)
    active = ReportBuild.objects.active()
    if active.filter(requester=user).exists():
        raise BuildRefused(ONE_PER_USER)
    if active.count() >= settings.REPORT_BUILDS_IN_ALL:
        limit = settings.REPORT_BUILDS_IN_ALL
        already = "1 fichier est déjà" if limit == 1 else f"{limit} fichiers sont déjà"
        raise BuildRefused(
            f"{already} en préparation pour l'ensemble des utilisateurs : réessayez dans "
            "quelques minutes."
        )


def _enqueue(build):
    # As the mails: in the transaction with the database backend (a worker runs it),
    # after the commit when it runs in the process.
    if queued_in_database():
        build_report.enqueue(str(build.pk))
    else:
        transaction.on_commit(lambda: build_report.enqueue(str(build.pk)))


class Abandoned(Exception):
    """The build was failed while it was being written (interrupted: its slot was given
    to another, its requester told): the writing stops."""


class Progress:
    """The callback the writers call with the rows written so far: recorded on the
    build's row by an UPDATE, at most every REPORT_PROGRESS_EVERY seconds, with the heartbeat
    that tells the build is alive. A build failed meanwhile is left as it is, and its
    writing stops there (Abandoned), rather than running on to a file nobody gets."""

    def __init__(self, build, every=None):
        self.rows = ReportBuild.objects.filter(pk=build.pk, status__in=ReportBuild.ACTIVE)
        self.every = settings.REPORT_PROGRESS_EVERY if every is None else every
        self.recorded_at = time.monotonic()

    def __call__(self, written):
        now = time.monotonic()
        if now - self.recorded_at >= self.every:
            if not self.rows.update(rows_written=written, heartbeat_at=timezone.now()):
                raise Abandoned
            self.recorded_at = now


def mark_running(build):
    """The task starts the build; False if it is no longer queued (run twice, or
    failed meanwhile as interrupted) or waited so long that it is shown interrupted and
    its slot given to another: it would run beyond REPORT_BUILDS_IN_ALL (the purge fails
    it, and its requester may ask again)."""
    now = timezone.now()
    started = ReportBuild.objects.filter(
        pk=build.pk, status=ReportBuild.Status.QUEUED, heartbeat_at__gte=stale_before(now)
    ).update(status=ReportBuild.Status.RUNNING, heartbeat_at=now)
    if started:
        build.status, build.heartbeat_at = ReportBuild.Status.RUNNING, now
    return bool(started)


def finish_build(build, stored_name, rows_written):
    """The file is kept: the build is done for a day from now, and its requester told.
    A build marked failed meanwhile (interrupted, its slot given to another) stays
    failed: its file is deleted and False returned."""
    now = timezone.now()
    finished = ReportBuild.objects.filter(pk=build.pk, status=ReportBuild.Status.RUNNING).update(
        status=ReportBuild.Status.DONE,
        file_name=stored_name,
        rows_written=rows_written,
        finished_at=now,
        heartbeat_at=now,
        expires_at=now + KEPT_FOR,
    )
    if not finished:
        storage().delete(stored_name)
        build.refresh_from_db()
        return False
    build.status, build.file_name = ReportBuild.Status.DONE, stored_name
    build.rows_written, build.finished_at, build.heartbeat_at = rows_written, now, now
    build.expires_at = now + KEPT_FOR
    if build.requester.email:
        queue_mails([ready_mail(build)], build.territory_id)
    return True


def fail_build(build, tell=True):
    """The build failed, or was interrupted: it holds no slot any more, and its requester
    is told by mail (unless `tell` is false) that they may ask again. A build already
    done or failed is left as it is; returns whether this call failed it."""
    now = timezone.now()
    failed = ReportBuild.objects.filter(pk=build.pk, status__in=ReportBuild.ACTIVE).update(
        status=ReportBuild.Status.FAILED, finished_at=now
    )
    if not failed:
        return False
    build.status, build.finished_at = ReportBuild.Status.FAILED, now
    if tell and build.requester.email:
        queue_mails([failed_mail(build)], build.territory_id)
    return True


SIGNATURE = "— Suivi de la stratégie pauvreté, préfecture de la région Hauts-de-France"


def ready_mail(build):
    link = f"{settings.SITE_URL}{build.get_absolute_url()}"
    until = timezone.localtime(build.expires_at)
    body = (
        "Bonjour,\n\n"
        f"Le fichier que vous avez demandé sur la page Rapports est prêt : "
        f"{build.download_name} ({format_number(build.rows_written)} lignes).\n\n"
        f"Téléchargez-le ici, après vous être connecté :\n{link}\n\n"
        f"Il reste disponible jusqu'au {until:%d/%m/%Y à %H:%M} (heure de Paris), "
        "puis il est supprimé : vous pourrez alors le demander à nouveau depuis "
        f"{settings.SITE_URL}{reverse('reports:index')}.\n\n"
        f"{SIGNATURE}"
    )
    return EmailMessage(
        subject=f"Votre rapport est prêt : {build.download_name}",
        body=body,
        to=[build.requester.email],
    )


def failed_mail(build):
    asked = timezone.localtime(build.created_at)
    body = (
        "Bonjour,\n\n"
        f"Le fichier que vous avez demandé sur la page Rapports le "
        f"{asked:%d/%m/%Y à %H:%M} (heure de Paris), {build.download_name}, n'a pas pu "
        "être préparé : sa préparation a échoué ou s'est interrompue. Aucun fichier n'a "
        "été gardé.\n\n"
        "Vous pouvez le demander à nouveau, avec les mêmes filtres, depuis "
        f"{settings.SITE_URL}{reverse('reports:index')}. Si l'échec se répète, "
        "prévenez l'équipe régionale.\n\n"
        f"{SIGNATURE}"
    )
    return EmailMessage(
        subject=f"Votre rapport n'a pas pu être préparé : {build.download_name}",
        body=body,
        to=[build.requester.email],
    )


@task()
def build_report(build_id):
    """Write the build's file, then keep it (finish_build) or record the failure."""
    build = ReportBuild.objects.select_related("requester").get(pk=build_id)
    if not mark_running(build):
        return build.status  # run twice, failed or purged meanwhile: nothing to do
    try:
        stored_name, written = _write(build)
    except Abandoned:
        logger.warning("Rapport %s en arrière-plan : abandonné, car marqué en échec", build.pk)
        return ReportBuild.Status.FAILED  # failed and told already: nothing more to say
    except BaseException:
        logger.exception("Rapport %s en arrière-plan : échec", build.pk)
        fail_build(build)
        raise
    finish_build(build, stored_name, written)
    return build.status


def _write(build):
    """The report as the immediate download would write it, with the filters re-read in
    the requester's scope of now; returns (name in the storage, rows written)."""
    exporter = EXPORTERS[build.report]
    form = ReportFilterForm(build.params, scope=scope_of(build.requester))
    if not form.is_valid():
        raise ValueError(form.error_text())
    filters = form.filters()
    queryset = exporter.queryset(filters)
    counter = _Counter(Progress(build))
    name = f"{build.pk}/{build.download_name}"
    if build.extension == "xlsx":
        with exporter.xlsx(queryset, filters, progress=counter) as workbook:
            return storage().save(name, File(workbook, name=build.download_name)), counter.written
    with tempfile.TemporaryFile() as output:
        for chunk in exporter.csv_bytes(queryset, build.dialect, progress=counter):
            output.write(chunk)
        output.seek(0)
        stored_name = storage().save(name, File(output, name=build.download_name))
    return stored_name, counter.written


class _Counter:
    def __init__(self, progress):
        self.progress, self.written = progress, 0

    def __call__(self, written):
        self.written = written
        self.progress(written)


def get_build_for(user, pk):
    """The build `pk` if `user` asked for it, or is staff covering its territory (with
    the reports' permission, which the view checks); 404 for everyone else."""
    build = ReportBuild.objects.filter(pk=pk).first()
    if build is None:
        raise Http404("Fichier inconnu")
    if build.requester_id == user.pk:
        return build
    scope = scope_of(user)
    covered = scope.everything or (
        build.territory_id is not None and scope.covers(build.territory_id)
    )
    if not covered:
        raise Http404("Fichier inconnu")
    return build


def fail_interrupted(now=None):
    """Marks failed the builds whose worker went silent (ReportBuild.objects.stale), and
    tells their requesters; returns how many."""
    stale = ReportBuild.objects.stale(now).select_related("requester").order_by("pk")
    return sum(fail_build(build) for build in stale)


def purge_expired(now=None):
    """Marks the interrupted builds failed, then deletes the expired builds and their
    files; returns (expired builds deleted, interrupted builds failed)."""
    interrupted = fail_interrupted(now)
    expired = list(ReportBuild.objects.expired(now))
    for build in expired:
        if build.file_name:
            storage().delete(build.file_name)
    ReportBuild.objects.filter(pk__in=[build.pk for build in expired]).delete()
    return len(expired), interrupted

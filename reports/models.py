import datetime
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PendingImport(models.Model):
    """A previewed import file waiting for its agent's confirmation: in the database, so
    that any server can confirm it; owned, expiring, deleted once confirmed. Not audited
    (simple-history): it is a transient copy of a file, and what it writes is audited."""

    token = models.CharField(max_length=32, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    target = models.CharField(max_length=100)  # the model's label, e.g. commitments.commitment
    name = models.CharField(max_length=255, blank=True)
    content = models.BinaryField()  # the file, zlib-compressed
    # The preview's plan (reports.imports.Plan.keep): the confirmation applies it rather
    # than planning the file again. Empty for a file whose preview found errors.
    plan = models.BinaryField(default=bytes, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "import en attente"
        verbose_name_plural = "imports en attente"

    def __str__(self):
        return self.name or self.token


def stale_before(now=None):
    """A build queued or running with no sign of life since this moment has lost its
    worker (REPORT_BUILD_STALE_AFTER seconds ago)."""
    return (now or timezone.now()) - datetime.timedelta(seconds=settings.REPORT_BUILD_STALE_AFTER)


class ReportBuildQuerySet(models.QuerySet):
    def active(self, now=None):
        """Builds that hold a slot: queued or running, and alive."""
        return self.filter(status__in=ReportBuild.ACTIVE, heartbeat_at__gte=stale_before(now))

    def stale(self, now=None):
        """Builds queued or running whose worker has not been heard of for too long."""
        return self.filter(status__in=ReportBuild.ACTIVE, heartbeat_at__lt=stale_before(now))

    def expired(self, now=None):
        return self.filter(expires_at__lte=now or timezone.now())

    def shown_to(self, user, now=None):
        """The user's own builds still worth showing on /rapports/, newest first."""
        return self.filter(requester=user, expires_at__gt=now or timezone.now()).order_by(
            "-created_at", "-pk"
        )


class ReportBuild(models.Model):
    """A long download built by a task (reports.builds): its progress for /rapports/,
    then the file, kept in the `reports` storage for a day. Its territory is its
    requester's when asked (None: the whole region), so that the staff who cover that
    territory may fetch it too."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("en attente")
        RUNNING = "running", _("en préparation")
        DONE = "done", _("prêt")
        FAILED = "failed", _("échoué")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("demandé par"), on_delete=models.CASCADE
    )
    territory = models.ForeignKey(
        "strategy.Territory",
        verbose_name=_("territoire"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    report = models.CharField(_("rapport"), max_length=50)
    extension = models.CharField(_("format"), max_length=4)  # csv or xlsx
    dialect = models.CharField(_("dialecte"), max_length=10, blank=True)  # csv only
    params = models.JSONField(_("filtres"), default=dict, blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    rows_expected = models.PositiveIntegerField(_("lignes attendues"), default=0)
    rows_written = models.PositiveIntegerField(_("lignes écrites"), default=0)
    download_name = models.CharField(_("nom du fichier"), max_length=255)
    file_name = models.CharField(_("fichier stocké"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("demandé le"), default=timezone.now)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expire le"), db_index=True)
    # Moved on by the task as it writes (with rows_written): a build queued or running
    # without a sign of life for REPORT_BUILD_STALE_AFTER seconds is interrupted.
    heartbeat_at = models.DateTimeField(_("dernier signe de vie"), default=timezone.now)

    objects = ReportBuildQuerySet.as_manager()

    class Meta:
        verbose_name = _("fichier de rapport préparé")
        verbose_name_plural = _("fichiers de rapports préparés")
        constraints = [
            # At most one build queued or running per user, even for two requests at once.
            models.UniqueConstraint(
                fields=["requester"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_report_build_per_user",
            )
        ]

    def __str__(self):
        return self.download_name

    def get_absolute_url(self):
        return reverse("reports:build_file", args=[self.pk])

    @property
    def active(self):
        """Queued or running, and alive: what active() counts."""
        return self.status in self.ACTIVE and self.heartbeat_at >= stale_before()

    @property
    def interrupted(self):
        """Queued or running, but its worker has not been heard of for too long."""
        return self.status in self.ACTIVE and self.heartbeat_at < stale_before()

    @property
    def percent(self):
        if not self.rows_expected:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.rows_written * 100 // self.rows_expected)

    @property
    def state(self):
        """The status as /rapports/ says it: « interrompu » for a silent build."""
        return _("interrompu") if self.interrupted else self.get_status_display()

    def is_expired(self, now=None):
        return self.expires_at <= (now or timezone.now())

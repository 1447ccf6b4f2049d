"""Evidence files (*justificatifs*) on a delivery or an expected report.

A contact attaches them while what they prove is still theirs to change: a delivery
waiting for review or returned for correction, an expected report that may be answered.
A file is accepted by its content (its first bytes: `filetype`), never by its name: PDF,
images, office documents and spreadsheets (OpenDocument, OOXML, and the older Microsoft
formats), and CSV when it is plain text. Each is at most EVIDENCE_MAX_BYTES (10 MB unless
configured), and a delivery or report holds at most EVIDENCE_MAX_FILES.

Files are stored through Django's storage API (the `evidence` storage: a private folder by
default, an S3-compatible bucket in production) under a random name; they have no public
URL. The actor area's view streams one to the actor's contacts and to the staff of its
territory, as an attachment.

Removing a file, or deleting what it is attached to, deletes its row but keeps the file:
the history still names it. The file goes when no row and no past version names it any
more, that is when the history is purged (`manage.py clean_old_history`).
"""

import re
import uuid

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.db import models, transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actors.scopes import scope_of
from commitments.campaigns import ExpectedReport
from commitments.models import Commitment, Delivery, lock_commitments

NAME_MAX_LENGTH = 150
# What the first bytes may say, and how a reader calls it. CSV has no signature: it is
# accepted by its name when its content is text (see _sniff_text).
ACCEPTED_TYPES = {
    # content type: (how a reader calls it, the endings its file name may have, usual first)
    "application/pdf": ("un fichier PDF", ("pdf",)),
    "image/jpeg": ("une image JPEG", ("jpg", "jpeg", "jfif", "jpe")),
    "image/png": ("une image PNG", ("png",)),
    "image/webp": ("une image WebP", ("webp",)),
    "image/gif": ("une image GIF", ("gif",)),
    "image/tiff": ("une image TIFF", ("tif", "tiff")),
    "application/vnd.oasis.opendocument.text": ("un texte OpenDocument", ("odt",)),
    "application/vnd.oasis.opendocument.spreadsheet": ("un tableur OpenDocument", ("ods",)),
    "application/vnd.oasis.opendocument.presentation": (
        "une présentation OpenDocument",
        ("odp",),
    ),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "un document Word",
        ("docx", "docm"),
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        "un classeur Excel",
        ("xlsx", "xlsm"),
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "une présentation PowerPoint",
        ("pptx",),
    ),
    "application/msword": ("un document Word", ("doc",)),
    "application/vnd.ms-excel": ("un classeur Excel", ("xls",)),
    "application/vnd.ms-powerpoint": ("une présentation PowerPoint", ("ppt", "pps")),
    "text/csv": ("un fichier CSV", ("csv",)),
}
SNIFFED_BYTES = 8192
ACCEPTED_LIST = (
    "PDF, images (JPEG, PNG, WebP, GIF, TIFF), documents et tableurs (OpenDocument, Word, "
    "Excel, PowerPoint) ou CSV"
)


class EvidenceStorage(LazyObject):
    """settings.STORAGES["evidence"], looked up when first used (and again after the
    setting changes, as in tests), not when the model is imported."""

    def _setup(self):
        self._wrapped = storages["evidence"]


_storage = EvidenceStorage()


@receiver(setting_changed)
def _storage_setting_changed(*, setting, **kwargs):
    if setting == "STORAGES":
        _storage._wrapped = empty


def evidence_storage():
    """The storage evidence files go to (FileField's `storage` callable)."""
    return _storage


def evidence_path(instance, filename):
    # A random name: neither the contact's file name nor anything guessable.
    return f"justificatifs/{instance.key.hex[:2]}/{instance.key.hex}"


def max_bytes():
    return settings.EVIDENCE_MAX_BYTES


def size_label(size):
    """A size as a reader says it: « 850 ko », « 2,4 Mo »."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))}\N{NO-BREAK SPACE}ko"
    megabytes = f"{size / (1024 * 1024):.1f}".replace(".", ",").removesuffix(",0")
    return f"{megabytes}\N{NO-BREAK SPACE}Mo"


def detect_type(upload) -> str:
    """The content type of an uploaded file, read from its first bytes; a French
    ValidationError if it is not one the evidence accepts or does not match its name."""
    upload.seek(0)
    head = upload.read(SNIFFED_BYTES)
    upload.seek(0)
    if not head:
        raise ValidationError(_("Ce fichier est vide."), code="empty")
    kind = filetype.guess(head)
    name = upload.name or ""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if kind is None and extension == "csv" and _sniff_text(head):
        return "text/csv"
    if kind is None or kind.mime not in ACCEPTED_TYPES:
        raise ValidationError(
            _(
                "Le contenu de « %(name)s » n'est pas d'un type accepté comme justificatif "
                "(%(accepted)s). Seul le contenu compte, pas le nom du fichier."
            )
            % {"name": upload.name, "accepted": ACCEPTED_LIST},
            code="type",
        )
    label, extensions = ACCEPTED_TYPES[kind.mime]
    if extension not in extensions:
        raise ValidationError(
            _(
                "« %(name)s » ne contient pas ce que son nom annonce : son contenu est "
                "%(label)s (.%(extension)s). Choisissez le bon fichier, ou renommez-le."
            )
            % {"name": upload.name, "label": label, "extension": extensions[0]},
            code="mismatch",
        )
    return kind.mime


def _sniff_text(head):
    """Whether these first bytes read as text (CSV has no signature to check)."""
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "cp1252"):
        for cut in (0, 1, 2, 3):  # the first bytes may end inside a UTF-8 character
            try:
                head[: len(head) - cut].decode(encoding)
            except UnicodeDecodeError:
                continue
            return True
    return False


# What no file name needs: control characters, and those Windows refuses in one.
_NOT_IN_NAMES = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def clean_name(name):
    """The file's name as shown and offered on download, as its author wrote it (spaces,
    accents, apostrophes) but without a path, control characters or those a file name
    may not hold; a name with nothing before its extension becomes « justificatif »."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(_NOT_IN_NAMES.sub(" ", name).split())
    stem, dot, extension = name.rpartition(".")
    if dot and not stem.strip(" ."):
        name = f"justificatif.{extension}"
    name = name.strip(" .")
    if len(name) > NAME_MAX_LENGTH:
        stem, dot, extension = name.rpartition(".")
        keep = NAME_MAX_LENGTH - len(extension) - 1
        name = (
            f"{stem[:keep].rstrip(' .')}.{extension}"
            if dot and keep > 0
            else name[:NAME_MAX_LENGTH]
        )
    return name or "justificatif"


def check_upload(upload) -> str:
    """Refuse, in French, an upload over the cap or of a type not accepted; return its
    detected content type. Forms call it to say so on their field, before any write."""
    if upload.size > max_bytes():
        size, cap = size_label(upload.size), size_label(max_bytes())
        if size == cap:  # just over: « pèse 10 Mo : ne dépasse pas 10 Mo » would puzzle
            size = _("plus de %(max)s") % {"max": cap}
        raise ValidationError(
            _("« %(name)s » pèse %(size)s : un justificatif ne dépasse pas %(max)s.")
            % {"name": upload.name, "size": size, "max": cap},
            code="too_big",
        )
    return detect_type(upload)


def _of_contact(user):
    """The condition on files of the deliveries and reports of this contact's actors."""
    theirs = Commitment.objects.for_user(user).values("pk")
    return Q(delivery__commitment__in=theirs) | Q(report__commitment__in=theirs)


class EvidenceQuerySet(models.QuerySet):
    def of_contact(self, user):
        """The files of the deliveries and reports of this contact's actors."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(_of_contact(user))

    def visible_to(self, user):
        """What this user may download: the files of their actors' deliveries and reports
        (contacts), and those of their territory (staff who may read deliveries or
        reports); nothing for anyone else."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        condition = _of_contact(user)
        if user.is_staff:
            in_scope = Commitment.objects.in_scope(scope_of(user)).values("pk")
            if user.has_perm("commitments.view_delivery"):
                condition |= Q(delivery__commitment__in=in_scope)
            if user.has_perm("commitments.view_expectedreport"):
                condition |= Q(report__commitment__in=in_scope)
        return self.filter(condition)


class Evidence(models.Model):
    """A *justificatif*: a file attached to a delivery or to an expected report."""

    key = models.UUIDField(_("clé"), default=uuid.uuid4, unique=True, editable=False)
    delivery = models.ForeignKey(
        Delivery,
        verbose_name=_("réalisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
    )
    report = models.ForeignKey(
        ExpectedReport,
        verbose_name=_("déclaration attendue"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
    )
    file = models.FileField(
        _("fichier"), upload_to=evidence_path, storage=evidence_storage, max_length=200
    )
    name = models.CharField(_("nom du fichier"), max_length=NAME_MAX_LENGTH)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveIntegerField(_("taille (octets)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("déposé par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("déposé le"), default=timezone.now)

    objects = EvidenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("justificatif")
        verbose_name_plural = _("justificatifs")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delivery__isnull=False, report__isnull=True)
                | Q(delivery__isnull=True, report__isnull=False),
                name="evidence_on_delivery_or_report",
                violation_error_message=_(
                    "Un justificatif accompagne une réalisation ou une déclaration."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def kind_label(self):
        """« fichier PDF », « image PNG »…"""
        if self.content_type in ACCEPTED_TYPES:
            return ACCEPTED_TYPES[self.content_type][0].split(" ", 1)[1]
        return self.content_type

    @property
    def size_label(self):
        return size_label(self.size)

    @property
    def commitment_id(self):
        return (self.delivery or self.report).commitment_id

    @classmethod
    def attach(cls, target, upload, *, by):
        """Attach `upload` to a delivery or an expected report, by one of its contacts.

        Refused in French, with nothing stored: a file over the cap or of a type not
        accepted, a target no longer open to changes (see why_not_attached), or one that
        holds EVIDENCE_MAX_FILES already."""
        check_may_attach(target)  # read without a lock: nothing is stored to be refused
        evidence = cls.stored(upload, by=by)
        try:
            with transaction.atomic():
                lock_commitments([target.commitment_id])
                locked = type(target).objects.select_for_update().get(pk=target.pk)
                evidence.save_on(locked, by=by)
        except BaseException:
            evidence.discard()
            raise
        return evidence

    @classmethod
    def stored(cls, upload, *, by):
        """`upload` checked and stored, before any lock is taken (a slow store then holds
        none): a row not saved yet, that save_on() saves or discard() drops."""
        content_type = check_upload(upload)
        evidence = cls(
            name=clean_name(upload.name),
            content_type=content_type,
            size=upload.size,
            uploaded_by=by,
            uploaded_at=timezone.now(),
        )
        evidence.file.save("", upload, save=False)
        return evidence

    def save_on(self, target, *, by):
        """Save this stored file's row on `target`, which the caller holds locked (with its
        commitment) in its transaction; refused in French if it is closed or full."""
        check_may_attach(target)
        if isinstance(target, Delivery):
            self.delivery = target
        else:
            self.report = target
        self._history_user = by
        self.save()

    def discard(self):
        """The storage is no database: a file stored for a row that was not saved goes."""
        evidence_storage().delete(self.file.name)

    def remove(self, *, by):
        """Its contact takes it back while what it proves is still theirs to change. The
        row goes (its history stays); the file stays until that history is purged."""
        with transaction.atomic():
            target = self.delivery or self.report
            lock_commitments([target.commitment_id])
            locked = type(target).objects.select_for_update().get(pk=target.pk)
            if refusal := why_not_attached(locked):
                raise ValidationError(refusal, code="closed")
            evidence = Evidence.objects.select_for_update().filter(pk=self.pk).first()
            if evidence is None:
                return
            evidence._history_user = by
            evidence.delete()


def check_may_attach(target):
    """Refuse, in French, a file on a target closed to changes or full."""
    if refusal := why_not_attached(target):
        raise ValidationError(refusal, code="closed")
    if target.evidence.count() >= settings.EVIDENCE_MAX_FILES:
        raise ValidationError(
            _("%(max)s justificatifs au plus : retirez-en un avant d'en ajouter.")
            % {"max": settings.EVIDENCE_MAX_FILES},
            code="too_many",
        )


def why_not_attached(target) -> str:
    """Why a contact may not add or remove a file on this delivery or report now, in
    French ("" if they may)."""
    if isinstance(target, Delivery):
        if target.status == Delivery.Status.REPORTED:
            return target.why_not_amended
        if target.status == Delivery.Status.RETURNED:
            if target.may_be_corrected:
                return ""
            return str(_("Cet engagement est annulé : ses réalisations ne changent plus."))
        return str(
            _("Cette réalisation est « %(status)s » : ses justificatifs ne changent plus.")
            % {"status": target.get_status_display()}
        )
    return target.why_not_answerable


def file_no_longer_named(sender, instance, **kwargs):
    """A past version of an evidence file was deleted: its file goes, after the commit,
    if nothing names it any more."""
    name = getattr(instance.file, "name", instance.file) or ""  # past versions keep a text
    transaction.on_commit(lambda: delete_unnamed_file(name))


def delete_unnamed_file(name):
    """Delete a stored file once neither a row nor a past version names it."""
    if not name:
        return
    if Evidence.objects.filter(file=name).exists():
        return
    if Evidence.history.filter(file=name).exists():
        return
    evidence_storage().delete(name)


__all__ = ["Evidence", "why_not_attached", "check_upload", "size_label"]

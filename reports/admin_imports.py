"""Import in the admin: upload, preview (created, updated, unchanged, errors), confirm."""

import datetime
import uuid
import zlib

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from actors.scopes import scope_of
from reports.imports import MAX_BYTES, ImportFileError
from reports.models import PendingImport
from strategy.units import is_plural

PREVIEW_ROWS = 200
# A previewed file waits this long for its confirmation; an agent keeps this many at most.
PENDING_LIFETIME = datetime.timedelta(hours=2)
PENDING_PER_AGENT = 3
# zlib's fastest level: a 10 MB file is kept for two hours at most, its time counts more.
FAST = 1


def records(count, participle, rest=""):
    """`3 fiches créées`, `1 fiche mise à jour`: a count of records, agreed."""
    plural = "s" if is_plural(count) else ""
    return f"{count} fiche{plural} {participle}{plural}{rest}"


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Fichier CSV ou XLSX",
        help_text="Les mêmes colonnes que l'export ; CSV « Excel » (;) ou standard (,), "
        "UTF-8 ou Windows-1252 ; 10 Mo au plus.",
    )


class ImportMixin:
    importer_class = None
    change_list_template = "admin/import_change_list.html"

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "importer/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import": self.has_import_permission(request),
            # The list's own template, which the import button's template extends.
            "import_base_template": super().change_list_template or "admin/change_list.html",
        }
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        importer = self.importer_class(scope_of(request.user))
        form = ImportForm()
        if request.method == "POST" and "token" in request.POST:
            return self._confirm(request, importer, request.POST["token"])
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                if upload.size > MAX_BYTES:
                    form.add_error("file", "Le fichier dépasse la taille maximale de 10 Mo.")
                else:
                    content = upload.read()
                    try:
                        plan = importer.plan(content)
                    except ImportFileError as error:
                        form.add_error("file", str(error))
                    else:
                        token = self._keep(request, content, upload.name, plan)
                        return self._render(request, plan=plan, token=token, name=upload.name)
        return self._render(request, form=form)

    def _keep(self, request, content, name, plan):
        """Stores the previewed file and its plan until it is confirmed; on the way,
        deletes expired pending imports (everyone's) and this agent's oldest beyond
        PENDING_PER_AGENT."""
        now = timezone.now()
        PendingImport.objects.filter(expires_at__lte=now).delete()
        kept = PendingImport.objects.filter(owner=request.user).order_by("-expires_at", "-pk")
        PendingImport.objects.filter(
            pk__in=list(kept.values_list("pk", flat=True)[PENDING_PER_AGENT - 1 :])
        ).delete()
        token = uuid.uuid4().hex
        PendingImport.objects.create(
            token=token,
            owner=request.user,
            target=self.model._meta.label_lower,
            name=name[:255],
            content=zlib.compress(content, FAST),
            plan=plan.keep() if plan.is_valid else b"",
            expires_at=now + PENDING_LIFETIME,
        )
        return token

    def _confirm(self, request, importer, token):
        # The pending import is locked, then deleted in the transaction that writes the
        # rows: of two confirmations of one preview, the second finds nothing.
        replanned = False
        with transaction.atomic():
            pending = (
                PendingImport.objects.select_for_update()
                .filter(
                    token=str(token)[:32],
                    owner=request.user,
                    target=self.model._meta.label_lower,
                    expires_at__gt=timezone.now(),
                )
                .first()
            )
            if pending is not None:
                content = zlib.decompress(pending.content)
                plan, counts = importer.confirm(pending.plan, content, by=request.user)
                replanned = counts is None
                if replanned:  # the new plan is kept in place of the stale one
                    pending.plan = plan.keep() if plan.is_valid else b""
                    pending.save(update_fields=["plan"])
                else:
                    pending.delete()
        if pending is None:
            messages.error(request, "Cet import a expiré ou a déjà été confirmé : recommencez.")
            return redirect(request.path)
        if replanned:
            messages.warning(
                request,
                "Des fiches ont changé depuis l'aperçu : rien n'a été enregistré. Voici "
                "l'aperçu refait avec les données actuelles ; vérifiez-le, puis confirmez "
                "de nouveau."
                if plan.is_valid
                else "Des fiches ont changé depuis l'aperçu : rien n'a été enregistré, et "
                "le fichier présente maintenant les erreurs ci-dessous.",
            )
            return self._render(request, plan=plan, token=token, name=pending.name)
        messages.success(
            request,
            f"Import terminé : {records(counts['create'], 'créée')}, "
            f"{records(counts['update'], 'mise', ' à jour')}, "
            f"{records(counts['unchanged'], 'inchangée')}.",
        )
        opts = self.model._meta
        return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    def _render(self, request, **context):
        plan = context.get("plan")
        if plan is not None:
            context |= {
                "counts": plan.counts(),
                "errors": plan.errors[:PREVIEW_ROWS],
                "error_count": len(plan.errors),
                "creates": plan.of("create")[:PREVIEW_ROWS],
                "updates": plan.of("update")[:PREVIEW_ROWS],
            }
        return TemplateResponse(
            request,
            "admin/import.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Importer des {self.model._meta.verbose_name_plural}",
                "columns": self.importer_class.exporter.headers,
                "required": self.importer_class.required,
                "preview_rows": PREVIEW_ROWS,
                **context,
            },
        )

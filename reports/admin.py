"""The domain's admin pages, with the reports' import and "Exporter la sélection".

The domain apps know nothing of the reports: their ModelAdmins are registered plain, and
this module registers each again with the import and export mixins in front (and a
campaign's admin with its completeness downloads).
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path, reverse

from actors.admin import ActorAdmin
from actors.models import Actor
from actors.scopes import scope_of
from commitments.admin import CommitmentAdmin, DeliveryAdmin
from commitments.admin_campaigns import CampaignAdmin
from commitments.models import Campaign, Commitment, Delivery, ExpectedReport
from reports.admin_exports import ExportSelectionMixin
from reports.admin_imports import ImportMixin
from reports.exports import PERMISSION, CompletenessExporter
from reports.imports import ActorImporter, CommitmentImporter
from reports.models import ReportBuild
from reports.responses import csv_response, xlsx_response


class ActorReportsAdmin(ImportMixin, ExportSelectionMixin, ActorAdmin):
    exporter_name = "acteurs"
    importer_class = ActorImporter


class CommitmentReportsAdmin(ImportMixin, ExportSelectionMixin, CommitmentAdmin):
    exporter_name = "engagements"
    importer_class = CommitmentImporter


class DeliveryReportsAdmin(ExportSelectionMixin, DeliveryAdmin):
    exporter_name = "realisations"


class CampaignReportsAdmin(CampaignAdmin):
    """A campaign's completeness table as CSV (French Excel) or XLSX, in the user's
    territory, for those who may download reports."""

    def get_urls(self):
        return [
            path(
                "<path:object_id>/completude.<str:extension>",
                self.admin_site.admin_view(self.completeness_view),
                name="commitments_campaign_completeness",
            ),
            *super().get_urls(),
        ]

    def completeness_downloads(self, request, campaign):
        if not request.user.has_perm(PERMISSION):
            return []
        return [
            (label, reverse("admin:commitments_campaign_completeness", args=[campaign.pk, ext]))
            for label, ext in (("CSV", "csv"), ("XLSX", "xlsx"))
        ]

    def completeness_view(self, request, object_id, extension):
        if extension not in ("csv", "xlsx"):
            raise Http404("Ce format n'existe pas : csv ou xlsx.")
        campaign = self.campaign_to_read(request, object_id)
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        reports = ExpectedReport.objects.filter(campaign=campaign).in_scope(scope_of(request.user))
        exporter = CompletenessExporter(campaign)
        if extension == "csv":
            return csv_response(request, exporter, reports, "excel")
        return xlsx_response(request, exporter, reports)


@admin.register(ReportBuild)
class ReportBuildAdmin(admin.ModelAdmin):
    """The reports built in the background, to see what runs, what failed and what was
    interrupted; read only: the application writes them (reports.builds), and the daily
    purge deletes them."""

    list_display = [
        "created_at",
        "download_name",
        "requester",
        "territory",
        "state",
        "rows_written",
        "rows_expected",
        "heartbeat_at",
        "expires_at",
    ]
    list_filter = ["status", "report"]
    list_select_related = ["requester", "territory"]
    search_fields = ["download_name", "requester__username"]
    ordering = ["-created_at", "-pk"]
    fields = [
        "requester",
        "territory",
        "report",
        "extension",
        "dialect",
        "params",
        "status",
        "rows_expected",
        "rows_written",
        "download_name",
        "file_name",
        "created_at",
        "heartbeat_at",
        "finished_at",
        "expires_at",
    ]
    readonly_fields = fields

    @admin.display(description="état", ordering="status")
    def state(self, build):
        return build.state

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model, model_admin in [
    (Actor, ActorReportsAdmin),
    (Commitment, CommitmentReportsAdmin),
    (Delivery, DeliveryReportsAdmin),
    (Campaign, CampaignReportsAdmin),
]:
    admin.site.unregister(model)
    admin.site.register(model, model_admin)

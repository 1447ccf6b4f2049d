"""The admin's "Exporter la sélection": the reports' exporters, on the selected rows."""

from django.contrib import admin

from actors.scopes import scope_of
from reports.exports import EXPORTERS, PERMISSION
from reports.responses import csv_response


class ExportSelectionMixin:
    exporter_name = None  # a key of EXPORTERS

    def get_actions(self, request):
        actions = super().get_actions(request)
        if request.user.has_perm(PERMISSION):
            actions["export_selection"] = (
                ExportSelectionMixin.export_selection,
                "export_selection",
                ExportSelectionMixin.export_selection.short_description,
            )
        return actions

    @admin.action(description="Exporter la sélection (CSV pour Excel)")
    def export_selection(self, request, queryset):
        exporter = EXPORTERS[self.exporter_name]
        selection = exporter.for_selection(queryset, scope_of(request.user))
        return csv_response(request, exporter, selection, "excel")

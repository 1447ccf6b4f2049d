"""The domain's admin pages, with the reports' import and "Exporter la sélection".

The domain apps know nothing of the reports: their ModelAdmins are registered plain, and
this module registers each again with the import and export mixins in front.
"""

from django.contrib import admin

from actors.admin import ActorAdmin
from actors.models import Actor
from commitments.admin import CommitmentAdmin, DeliveryAdmin
from commitments.models import Commitment, Delivery
from reports.admin_exports import ExportSelectionMixin
from reports.admin_imports import ImportMixin
from reports.imports import ActorImporter, CommitmentImporter


class ActorReportsAdmin(ImportMixin, ExportSelectionMixin, ActorAdmin):
    exporter_name = "acteurs"
    importer_class = ActorImporter


class CommitmentReportsAdmin(ImportMixin, ExportSelectionMixin, CommitmentAdmin):
    exporter_name = "engagements"
    importer_class = CommitmentImporter


class DeliveryReportsAdmin(ExportSelectionMixin, DeliveryAdmin):
    exporter_name = "realisations"


for model, model_admin in [
    (Actor, ActorReportsAdmin),
    (Commitment, CommitmentReportsAdmin),
    (Delivery, DeliveryReportsAdmin),
]:
    admin.site.unregister(model)
    admin.site.register(model, model_admin)

"""The evidence files of a delivery or an expected report, as its admin page and its review
desk list them: each a link to the actor area's download view, which checks the reader's
territory."""

from django.contrib import admin
from django.template.loader import render_to_string


class EvidenceLinksMixin:
    def evidence_files(self, obj):
        """The files of `obj`, read once for its page (the desk and the field share them)."""
        if obj is None or obj.pk is None:
            return []
        if "_evidence_files" not in obj.__dict__:
            obj.__dict__["_evidence_files"] = list(obj.evidence.order_by("uploaded_at", "pk"))
        return obj.__dict__["_evidence_files"]

    @admin.display(description="Justificatifs")
    def evidence_display(self, obj):
        return render_to_string(
            "admin/commitments/evidence_list.html", {"files": self.evidence_files(obj)}
        )

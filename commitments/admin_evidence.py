"""The evidence files of a delivery or an expected report, as its admin page lists them:
each a link to the actor area's download view, which checks the reader's territory."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join


class EvidenceLinksMixin:
    @admin.display(description="Justificatifs")
    def evidence_display(self, obj):
        files = list(obj.evidence.order_by("uploaded_at", "pk")) if obj and obj.pk else []
        if not files:
            return "Aucun justificatif"
        return format_html(
            "{}",
            format_html_join(
                "",
                '<p class="evidence"><a href="{}" download>{}</a> ({}, {}, déposé le {})</p>',
                (
                    (
                        reverse("space:evidence", args=[file.key]),
                        file.name,
                        file.kind_label,
                        file.size_label,
                        f"{file.uploaded_at:%d/%m/%Y}",
                    )
                    for file in files
                ),
            ),
        )

"""The review of what contacts submit, shared by the admins of deliveries (Valider) and of
campaigns' expected reports (Accepter): one row at a time from its desk, or several from
the list's actions; each through the domain's method, its contact told by mail; a return
always with a reason (ReturnForm); the outcome said in French, in one message per refusal
and one for what was done.

A model admin that reviews says how (`review_labels`, `accept_one`, `notify_reviewed`,
`queue_url`) and keeps its own views: a delivery's Valider checks the version the agent
saw, a delivery's Renvoyer has its own page, a report's returns to its desk.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from commitments.models import REASON_MAX_LENGTH
from strategy.units import is_plural


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label="Motif du renvoi",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        max_length=REASON_MAX_LENGTH,
        help_text="Il est envoyé à l'acteur pour qu'il corrige sa déclaration.",
        error_messages={
            "required": "Indiquez le motif du renvoi pour que l'acteur puisse corriger."
        },
    )


class ReviewMixin:
    """For a ModelAdmin whose rows are accepted or returned for correction."""

    # "Cette réalisation n'existe pas."
    review_missing = ""
    # {"accept": (one, several), "return": (one, several)}: "3 réalisations validées."
    review_labels = {}
    # The page that asks the reason of a return from the list: its title and first line.
    return_title = ""
    return_intro = ""

    def accept_one(self, obj, *, by):
        raise NotImplementedError

    def notify_reviewed(self, obj, request):
        raise NotImplementedError

    def queue_url(self):
        """Where a reviewer goes once done: what still waits."""
        raise NotImplementedError

    def listed_for_return(self, queryset):
        """The rows the return page lists (with what their names need)."""
        return queryset.order_by("pk")

    def object_to_review(self, request, object_id):
        """The row, for a reviewer: 404 if not theirs to see, 403 if not to change."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(self.review_missing)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def after_review(self, obj, done):
        """Done: back to the queue, for the next one. Refused: back to the row."""
        if done:
            return HttpResponseRedirect(self.queue_url())
        names = f"admin:{self.opts.app_label}_{self.opts.model_name}"
        return HttpResponseRedirect(reverse(f"{names}_change", args=[obj.pk]))

    def accept_all(self, request, objects):
        return self.review(
            request,
            objects,
            self.review_labels["accept"],
            lambda obj: self.accept_one(obj, by=request.user),
        )

    def return_all(self, request, objects, reason):
        return self.review(
            request,
            objects,
            self.review_labels["return"],
            lambda obj: obj.return_for_revision(by=request.user, reason=reason),
        )

    def review(self, request, objects, done_labels, operation):
        """Each row through the domain's method, its contact told; returns how many."""
        done = 0
        for obj in objects:
            try:
                operation(obj)
            except ValidationError as error:
                self.message_user(request, f"{obj} : {' '.join(error.messages)}", messages.ERROR)
            else:
                self.notify_reviewed(obj, request)
                done += 1
        if done:
            label = done_labels[1] if is_plural(done) else done_labels[0]
            self.message_user(request, f"{done} {label}.", messages.SUCCESS)
        return done

    def return_action(self, request, queryset, action):
        """The list's « Renvoyer pour correction »: asks the reason, then returns each."""
        form = ReturnForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self.return_all(request, queryset.order_by("pk"), form.cleaned_data["reason"])
            return None
        return TemplateResponse(
            request,
            "admin/commitments/return_for_revision.html",
            {
                **self.admin_site.each_context(request),
                "title": self.return_title,
                "intro": self.return_intro,
                "opts": self.model._meta,
                "objects": self.listed_for_return(queryset),
                "action": action,
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


__all__ = ["ReturnForm", "ReviewMixin"]

import copy
import datetime
import hashlib
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django_tasks_db.models import DBTaskResult

from actors.scopes import scope_of, territory_filter
from commitments.admin_evidence import EvidenceLinksMixin
from commitments.admin_review import ReturnForm, ReviewMixin
from commitments.admin_totals import (
    CommitmentsAwaitingReviewFilter,
    DeliveryTotalsChangeList,
    FilteredTotalsChangeList,
    WithinTerritoryFilter,
)
from commitments.models import (
    CLOSE,
    INCONSISTENCIES,
    WITHDRAW,
    Commitment,
    Delivery,
    MailFailure,
    delivery_rate,
    lock_commitments,
)
from commitments.notifications import notify_reviewed
from commitments.review import QUEUE_PARAMETER, QUEUE_WAITING, review_queue_url
from config.history import ReadOnlyHistoryAdmin, ScopedAdminMixin
from strategy.admin_lists import EstimatedCountPaginator, RelatedOnlyExistsFilter
from strategy.admin_search import FoldedSearchMixin
from strategy.forms import AMOUNT_FORMFIELD_OVERRIDES
from strategy.text import Fold
from strategy.units import format_amount, format_rate

# What a contact declared stays as declared until it is validated: while it waits, or is
# back with the contact, a correction goes through "Renvoyer pour correction". A validated
# delivery stays correctable by an agent (the delivered amount and the status follow).
DECLARED_FIELDS = ["date", "amount", "comment"]


def declared_version(delivery, files=None):
    """What the desk showed of a declaration, its evidence files included (`files`, read
    here if not given): its Valider posts it back, so that a declaration the contact
    edited meanwhile, or whose files they added or removed, is not validated unseen."""
    comment = hashlib.sha256(delivery.comment.encode()).hexdigest()[:16]
    files = delivery.evidence.all() if files is None else files
    keys = ",".join(sorted(file.key.hex for file in files))
    evidence = hashlib.sha256(keys.encode()).hexdigest()[:16]
    return f"{delivery.amount}|{delivery.date:%Y-%m-%d}|{comment}|{evidence}"


def is_declared_only(delivery):
    return bool(delivery is not None and delivery.pk) and (
        delivery.status != Delivery.Status.VALIDATED
    )


class DeliveryInlineForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if is_declared_only(self.instance):
            for name in DECLARED_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True


class DeliveryInline(admin.TabularInline):
    model = Delivery
    form = DeliveryInlineForm
    fields = ["date", "amount", "comment", "status", "reported_by", "reviewed_at", "return_reason"]
    readonly_fields = ["status", "reported_by", "reviewed_at", "return_reason"]
    extra = 0
    show_change_link = True
    formfield_overrides = AMOUNT_FORMFIELD_OVERRIDES

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("commitment__measure", "reported_by")


class InconsistencyFilter(admin.SimpleListFilter):
    """Commitments whose status or delivered amount breaks the rules (inconsistent())."""

    title = "Incohérences"
    parameter_name = "incoherence"
    ALL = "toutes"

    def lookups(self, request, model_admin):
        return [(self.ALL, "Toutes les incohérences"), *INCONSISTENCIES.items()]

    def queryset(self, request, queryset):
        if self.value() == self.ALL:
            return queryset.inconsistent()
        if self.value() in INCONSISTENCIES:
            return queryset.inconsistent().filter(inconsistency=self.value())
        return queryset


STATUS_FIELDS = {"status", "closing_note", "validated_deliveries"}


def shortened(text, length):
    """`text` cut to `length` characters in a list, whole on hover."""
    if len(text) <= length:
        return text
    return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(length))


class StatusRefused(Exception):
    """The status asked for in the change form, refused once the deliveries edited with
    it were saved: the whole form is rolled back."""


def refresh_and_tell(model_admin, request, commitment):
    """After an edit or a deletion of deliveries: the delivered amount follows, and so
    does the status where a rule would break; the agent is told when it moves."""
    before = commitment.status
    commitment.refresh_delivered_amount(by=request.user)
    if commitment.status != before:
        model_admin.message_user(
            request,
            f"L'engagement « {commitment} » passe de « {Commitment.Status(before).label} » "
            f"à « {commitment.get_status_display()} » : son réalisé validé est maintenant "
            f"de {format_amount(commitment.delivered_amount, commitment.measure.unit)} "
            f"sur {format_amount(commitment.planned_amount, commitment.measure.unit, 'prévu')}.",
            messages.WARNING,
        )


class CommitmentAdminForm(forms.ModelForm):
    """The status is checked by the domain's rule (Commitment.check_status_change) and
    saved by Commitment.change_status; cancelling a commitment that has validated
    deliveries asks what becomes of them."""

    validated_deliveries = forms.ChoiceField(
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (
                WITHDRAW,
                "Les retirer et annuler l'engagement : elles ne sont plus comptées, "
                "l'historique les garde, et leurs référents sont prévenus",
            ),
            (
                CLOSE,
                "Ne pas annuler : clore l'engagement comme « Réalisé », avec une note de "
                "clôture qui dit pourquoi s'il est sous l'objectif",
            ),
        ],
        help_text="À choisir seulement pour annuler l'engagement.",
    )

    class Meta:
        model = Commitment
        fields = [
            "actor",
            "measure",
            "territory",
            "year",
            "title",
            "description",
            "planned_amount",
            "status",
            "closing_note",
            "is_public",
        ]

    cancelling = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("validated_deliveries")
        validated = getattr(self.instance, "validated_summary", None)
        if field is not None and validated:
            total = self.instance._amount(validated["total"])
            if validated["count"] == 1:
                field.label = f"Que faire de la réalisation validée ({total}) ?"
            else:
                field.label = (
                    f"Que faire des {validated['count']} réalisations validées ({total}) ?"
                )

    def clean(self):
        cleaned = super().clean()
        commitment = self.instance
        if commitment.pk is None or "status" not in cleaned or "closing_note" not in cleaned:
            return cleaned  # a new commitment: Commitment.clean checks its status
        status, note = cleaned["status"], cleaned["closing_note"]
        if (status, note) == (commitment.status, commitment.closing_note):
            return cleaned
        candidate = copy.copy(commitment)
        for name in ("planned_amount", "measure"):
            if name in cleaned:
                setattr(candidate, name, cleaned[name])
        choice = cleaned.get("validated_deliveries") or None
        # The form asks about the validated deliveries itself: while it does, the model's
        # own rule (post_clean) judges the cancelled commitment without them, so that
        # one question is shown, not the same one twice.
        # Also with CLOSE: should closing be refused, the model must not then judge the
        # commitment as cancelled with its deliveries and ask for a choice already made.
        self.cancelling = status == Commitment.Status.CANCELLED
        outcome = candidate.check_status_change(
            status, closing_note=note, validated_deliveries=choice
        )
        cleaned["status"] = outcome  # closing instead of cancelling makes it Réalisé
        self.cancelling = outcome == Commitment.Status.CANCELLED
        return cleaned

    def _post_clean(self):
        # Commitment.clean judges the commitment as it will be once saved: cancelling
        # withdraws the validated deliveries, which then no longer count.
        delivered = self.instance.delivered_amount
        if self.cancelling:
            self.instance.delivered_amount = Decimal(0)
        try:
            super()._post_clean()
        finally:
            self.instance.delivered_amount = delivered
        # clean() and the model's clean() apply the same rule (status_errors): each
        # message once.
        for errors in self._errors.values():
            seen = set()
            errors.data[:] = [
                error
                for error in errors.data
                if not (tuple(error) in seen or seen.add(tuple(error)))
            ]


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyHistoryAdmin):
    """reports.admin adds the import and "Exporter la sélection" to it."""

    change_list_template = "admin/commitments/commitment/change_list.html"
    # Fits 1 280 px: long names are cut, with the whole text on hover.
    list_display = [
        "title_display",
        "actor_display",
        "territory",
        "year",
        "planned_display",
        "delivered_in_list",
        "rate_in_list",
        "status_display",
        "is_public",
    ]
    list_display_links = ["title_display"]

    class Media:
        css = {"all": ["css/admin_lists.css"]}

    list_filter = [
        InconsistencyFilter,
        ("measure__issue", RelatedOnlyExistsFilter),
        ("measure", RelatedOnlyExistsFilter),
        WithinTerritoryFilter,
        "year",
        "status",
        CommitmentsAwaitingReviewFilter,
        "actor__kind",
        "is_public",
    ]
    search_fields = ["title", "actor__name"]
    autocomplete_fields = ["actor", "measure", "territory"]
    readonly_fields = ["delivered_display", "rate_display", "created_at", "updated_at"]
    fields = [
        "actor",
        "measure",
        "territory",
        "year",
        "title",
        "description",
        "planned_amount",
        "delivered_display",
        "rate_display",
        "status",
        "closing_note",
        "is_public",
        "created_at",
        "updated_at",
    ]
    inlines = [DeliveryInline]
    formfield_overrides = AMOUNT_FORMFIELD_OVERRIDES
    form = CommitmentAdminForm
    paginator = EstimatedCountPaginator

    def get_queryset(self, request):
        return super().get_queryset(request).with_list_related_data()

    def in_scope(self, queryset, scope):
        return queryset.in_scope(scope)

    def history_in_scope(self, record, scope):
        return scope.covers(record.territory_id)

    def get_changelist(self, request, **kwargs):
        return FilteredTotalsChangeList

    def lookup_allowed(self, lookup, value, request=None):
        # An actor's page links to its commitments here.
        return lookup == "actor__id__exact" or super().lookup_allowed(lookup, value, request)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if (
            obj is not None
            and request.method == "POST"
            and transaction.get_connection().in_atomic_block
        ):
            # The status is checked against the deliveries as they are when it is saved:
            # hold the row from the form's validation to the end of the save.
            lock_commitments([obj.pk])
            obj.refresh_from_db(
                fields=["status", "closing_note", "planned_amount", "delivered_amount"]
            )
        return obj

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None:
            return fields
        if not hasattr(obj, "validated_summary"):
            # What cancelling would have to decide about, for the form's question.
            obj.validated_summary = obj.deliveries.validated().aggregate(
                count=Count("pk"), total=Sum("amount", default=Decimal(0))
            )
        if obj.validated_summary["count"]:
            fields.insert(fields.index("closing_note") + 1, "validated_deliveries")
        return fields

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        if request.GET.get(InconsistencyFilter.parameter_name):
            shown.append("inconsistency_display")
        return shown

    @admin.display(description="Statut", ordering="status")
    def status_display(self, obj):
        if not obj.closing_note:
            return obj.get_status_display()
        return format_html(
            '{}<br><small title="{}">Note : {}</small>',
            obj.get_status_display(),
            obj.closing_note,
            Truncator(obj.closing_note).chars(40),
        )

    @admin.display(description="Incohérence")
    def inconsistency_display(self, obj):
        code = getattr(obj, "inconsistency", "")
        if code == "sum_differs":
            total = format_amount(obj.validated_total, obj.measure.unit)
            return f"{INCONSISTENCIES[code]} ({total})"
        return INCONSISTENCIES.get(code, "—")

    @admin.display(description="Intitulé", ordering=Fold("title"))
    def title_display(self, obj):
        return shortened(obj.title, 45)

    @admin.display(description="Acteur", ordering=Fold("actor__name"))
    def actor_display(self, obj):
        return shortened(obj.actor.name, 35)

    @admin.display(description="Réalisé", ordering="delivered_amount")
    def delivered_in_list(self, obj):
        return self.delivered_display(obj)

    @admin.display(description="Taux")
    def rate_in_list(self, obj):
        return self.rate_display(obj)

    @admin.display(description="Prévu", ordering="planned_amount")
    def planned_display(self, obj):
        return format_amount(obj.planned_amount, obj.measure.unit)

    @admin.display(description="Réalisé (validé)", ordering="delivered_amount")
    def delivered_display(self, obj):
        if obj.pk is None:
            return "—"
        return format_amount(obj.delivered_amount, obj.measure.unit)

    @admin.display(description="Taux de réalisation")
    def rate_display(self, obj):
        return format_rate(obj.rate) if obj.pk else "—"

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        # The status and the delivered amount change through the domain only: the form's
        # other fields are saved here, the status in save_related, once the deliveries are.
        current = lock_commitments([obj.pk])[obj.pk]
        # Asked for only if the agent changed it: the deliveries saved with the form may
        # move it on their own (refresh_and_tell), which is not a request to undo.
        if {"status", "closing_note"} & set(form.changed_data):
            form.requested_status = (obj.status, obj.closing_note)
        obj.status, obj.closing_note = current.status, current.closing_note
        obj.delivered_amount = current.delivered_amount
        if not form.changed_data or set(form.changed_data) - STATUS_FIELDS:
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # Deliveries added here are reported by the agent who adds them.
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, Delivery) and instance.pk is None:
                instance.reported_by = request.user
            instance.save()
        for instance in formset.deleted_objects:
            instance.delete()
        formset.save_m2m()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StatusRefused as refused:
            # The view's transaction is rolled back: what it said it did did not happen.
            list(messages.get_messages(request))
            self.message_user(request, f"Rien n'a été enregistré : {refused}", messages.ERROR)
            return HttpResponseRedirect(request.path)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # An inline edit or delete of a validated delivery moves the delivered amount.
        commitment = form.instance
        refresh_and_tell(self, request, commitment)
        requested = getattr(form, "requested_status", None)
        if requested is None or requested == (commitment.status, commitment.closing_note):
            return
        status, note = requested
        try:
            touched = commitment.change_status(
                status,
                by=request.user,
                closing_note=note,
                validated_deliveries=form.cleaned_data.get("validated_deliveries") or None,
            )
        except ValidationError as error:
            # Only an inline edit made with it can get here: save nothing of the form.
            raise StatusRefused(" ".join(error.messages)) from error
        for delivery in touched:
            notify_reviewed(delivery, request)


def waiting_since(moment, now=None):
    """`il y a 3 jours`, `il y a 2 heures`, `à l'instant`: how long a delivery has waited."""
    now = now or timezone.now()
    if now - moment < datetime.timedelta(minutes=1):
        return "à l'instant"
    return f"il y a {timesince(moment, now, depth=1)}"


class AwaitingReviewFilter(admin.SimpleListFilter):
    """The review queue: the deliveries awaiting review, the longest waiting first."""

    title = "À examiner"
    parameter_name = QUEUE_PARAMETER
    WAITING = QUEUE_WAITING

    def lookups(self, request, model_admin):
        return [(self.WAITING, "En attente, les plus anciennes d'abord")]

    def queryset(self, request, queryset):
        if self.value() == self.WAITING:
            return queryset.awaiting_review()
        return queryset

    @classmethod
    def is_on(cls, request):
        return request.GET.get(cls.parameter_name) == cls.WAITING


# Deliveries of the same commitment shown beside the one under review.
OTHER_DELIVERIES_SHOWN = 20


class DeliveryAdminForm(forms.ModelForm):
    """An agent entering or correcting a delivery confirms unusual figures, as a contact
    does (Delivery.points_to_confirm: a date before the commitment's year, more than
    150 % of planned), rather than have them accepted without a word."""

    confirmed = forms.BooleanField(
        label="Je confirme ces chiffres",
        required=False,
        help_text="À cocher si la date ou le montant sont inhabituels (un message le dit).",
    )

    class Meta:
        model = Delivery
        fields = ["commitment", "date", "amount", "comment"]

    def clean(self):
        cleaned = super().clean()
        if "amount" not in self.fields or cleaned.get("amount") is None or not cleaned.get("date"):
            return cleaned
        commitment = cleaned.get("commitment") or getattr(self.instance, "commitment", None)
        if commitment is None:
            return cleaned
        candidate = Delivery(
            pk=self.instance.pk,
            commitment=commitment,
            amount=cleaned["amount"],
            date=cleaned["date"],
        )
        points = candidate.points_to_confirm()
        if points and not cleaned.get("confirmed"):
            for field, message in points.items():
                self.add_error(field, message)
        return cleaned


@admin.register(Delivery)
class DeliveryAdmin(EvidenceLinksMixin, ReviewMixin, ReadOnlyHistoryAdmin):
    """reports.admin adds "Exporter la sélection" to it.

    The change page of a delivery awaiting review is the review desk: what the commitment
    planned and has delivered, its other deliveries, and the buttons Valider and Renvoyer
    pour correction (validate_view, return_view), which go through the domain's methods
    and e-mail the contact, as the list's actions do."""

    change_list_template = "admin/commitments/delivery/change_list.html"
    # Fits 1 280 px: long names are cut, with the whole text on hover.
    form = DeliveryAdminForm
    list_display = [
        "date_display",
        "commitment_display",
        "actor",
        "amount_display",
        "status",
        "reported_by",
        "reviewed_display",
    ]
    list_display_links = ["date_display"]

    class Media:
        css = {"all": ["css/admin_lists.css"]}

    list_filter = [
        AwaitingReviewFilter,
        "status",
        ("commitment__measure__issue", RelatedOnlyExistsFilter),
        ("commitment__measure", RelatedOnlyExistsFilter),
        "commitment__actor__kind",
        "commitment__year",
    ]
    search_fields = ["commitment__title", "commitment__actor__name", "comment"]
    autocomplete_fields = ["commitment"]
    fields = [
        "commitment",
        "date",
        "amount",
        "comment",
        "status",
        "reported_by",
        "reported_at",
        "reviewed_by",
        "reviewed_at",
        "return_reason",
        "evidence_display",
    ]
    readonly_fields = [
        "status",
        "reported_by",
        "reported_at",
        "reviewed_by",
        "reviewed_at",
        "return_reason",
        "evidence_display",
    ]
    actions = ["validate_deliveries", "return_deliveries"]
    formfield_overrides = AMOUNT_FORMFIELD_OVERRIDES
    paginator = EstimatedCountPaginator
    review_missing = "Cette réalisation n'existe pas."
    review_labels = {
        "accept": ("réalisation validée", "réalisations validées"),
        "return": (
            "réalisation renvoyée pour correction",
            "réalisations renvoyées pour correction",
        ),
    }
    return_title = "Renvoyer des réalisations pour correction"
    return_intro = "Ces réalisations seront renvoyées à leur acteur avec le motif ci-dessous :"

    def get_urls(self):
        names = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/valider/",
                self.admin_site.admin_view(self.validate_view),
                name=f"{names}_validate",
            ),
            path(
                "<path:object_id>/renvoyer/",
                self.admin_site.admin_view(self.return_view),
                name=f"{names}_return",
            ),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_list_related_data()

    def in_scope(self, queryset, scope):
        return queryset.in_scope(scope)

    def related_only_rows(self, request):
        """The issue and measure filters list those of the commitments in the user's
        scope (RelatedOnlyExistsFilter), which the listed deliveries' commitments are:
        120 000 commitments walked at the demo's largest scale rather than 600 000
        deliveries (190 ms a filter). A measure whose commitments have no delivery yet
        is listed too: choosing it lists nothing."""
        return "commitment", Commitment.objects.in_scope(scope_of(request.user))

    def history_in_scope(self, record, scope):
        return Commitment.objects.in_scope(scope).filter(pk=record.commitment_id).exists()

    def get_changelist(self, request, **kwargs):
        return DeliveryTotalsChangeList

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if is_declared_only(obj):
            fields[fields.index("amount")] = "amount_display"
        else:
            fields.insert(fields.index("comment") + 1, "confirmed")
        return fields

    def get_readonly_fields(self, request, obj=None):
        # A delivery stays on its commitment: moving it would carry a validated amount
        # onto a commitment whose status did not expect it (a cancelled one, say).
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        if is_declared_only(obj):
            return [*fields, "commitment", "amount_display", *DECLARED_FIELDS]
        return [*fields, "commitment"]

    def get_ordering(self, request):
        if AwaitingReviewFilter.is_on(request):
            return Delivery.QUEUE_ORDERING
        if request.GET.get("status__exact") in Delivery.Status.values:
            return Delivery.STATUS_REVIEW_ORDERING  # the same order, within one status
        # Reported deliveries first: they are the ones waiting for an agent.
        return Delivery.REVIEW_ORDERING

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        if AwaitingReviewFilter.is_on(request):
            # All waiting, none reviewed: their age instead, beside their date.
            shown = [name for name in shown if name not in ("status", "reviewed_display")]
            shown.insert(1, "waiting_display")
        return shown

    # Dates as the French write them short (10/07/2020): the list keeps to 1 280 px.
    @admin.display(description="Date", ordering="date")
    def date_display(self, obj):
        return f"{obj.date:%d/%m/%Y}"

    @admin.display(description="Examinée le", ordering="reviewed_at")
    def reviewed_display(self, obj):
        if obj.reviewed_at is None:
            return "—"
        return f"{timezone.localtime(obj.reviewed_at):%d/%m/%Y %H:%M}"

    @admin.display(description="Engagement", ordering=Fold("commitment__title"))
    def commitment_display(self, obj):
        return shortened(obj.commitment.title, 45)

    @admin.display(description="Acteur", ordering=Fold("commitment__actor__name"))
    def actor(self, obj):
        return shortened(obj.commitment.actor.name, 35)

    @admin.display(description="Montant", ordering="amount")
    def amount_display(self, obj):
        return format_amount(obj.amount, obj.commitment.measure.unit)

    @admin.display(description="En attente depuis", ordering="reported_at")
    def waiting_display(self, obj):
        return format_html(
            '<span title="déclarée le {}">{}</span>',
            f"{timezone.localtime(obj.reported_at):%d/%m/%Y à %H:%M}",
            waiting_since(obj.reported_at),
        )

    def queue_url(self):
        return review_queue_url()

    def queue_summary(self, request):
        """For the admin index: how many deliveries wait, and since when, for those who
        may review them (None for the others)."""
        if not self.has_change_permission(request):
            return None
        summary = self.get_queryset(request).queue_summary()
        oldest = summary["oldest"]
        return {
            "count": summary["count"],
            "oldest": oldest,
            "oldest_age": waiting_since(oldest) if oldest else None,
            "url": self.queue_url(),
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if is_declared_only(obj):
            # Nothing of it is edited here: it is validated, returned, or deleted.
            context.update(
                show_save=False, show_save_and_continue=False, show_save_and_add_another=False
            )
        reported = obj is not None and obj.status == Delivery.Status.REPORTED
        if reported and self.has_change_permission(request, obj):
            context["desk"] = self.review_desk(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def review_desk(self, delivery):
        """What an agent weighs before validating: the commitment's figures now and once
        this delivery counts, its other deliveries (the latest first), and where to post."""
        commitment = delivery.commitment
        others = list(
            commitment.deliveries.exclude(pk=delivery.pk).order_by("-date", "-pk")[
                : OTHER_DELIVERIES_SHOWN + 1
            ]
        )
        for other in others:
            other.commitment = commitment  # their __str__ and amounts need no query
        after = commitment.delivered_amount + delivery.amount
        names = f"admin:{self.opts.app_label}_{self.opts.model_name}"
        return {
            "commitment": commitment,
            "unit": commitment.measure.unit,
            "rate_after": delivery_rate(commitment.planned_amount, after),
            "delivered_after": after,
            "others": others[:OTHER_DELIVERIES_SHOWN],
            "more_others": len(others) > OTHER_DELIVERIES_SHOWN,
            "others_url": f"{reverse(f'{names}_changelist')}?commitment__id__exact={commitment.pk}",
            "validate_url": reverse(f"{names}_validate", args=[delivery.pk]),
            "return_url": reverse(f"{names}_return", args=[delivery.pk]),
            "waiting": waiting_since(delivery.reported_at),
            "seen": declared_version(delivery, self.evidence_files(delivery)),
            "return_form": ReturnForm(auto_id="id_desk_%s"),
            "files": self.evidence_files(delivery),
        }

    def save_model(self, request, obj, form, change):
        if change and is_declared_only(obj):
            return  # nothing of it is editable here: no write, no empty history entry
        if not change:
            obj.reported_by = request.user
        previous = (
            Delivery.objects.filter(pk=obj.pk).values_list("commitment_id", flat=True).first()
            if change
            else None
        )
        # Admin views already run in a transaction; lock before writing.
        locked = lock_commitments([obj.commitment_id, previous])
        super().save_model(request, obj, form, change)
        for commitment in locked.values():
            refresh_and_tell(self, request, commitment)

    def delete_model(self, request, obj):
        self.delete_queryset(request, Delivery.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            locked = lock_commitments(queryset.values_list("commitment_id", flat=True))
            for delivery in queryset.order_by("pk"):
                delivery.delete()  # one by one, so that each deletion is in the history
            for commitment in locked.values():
                refresh_and_tell(self, request, commitment)

    @admin.action(description="Valider les réalisations sélectionnées", permissions=["change"])
    def validate_deliveries(self, request, queryset):
        self.accept_all(request, queryset.order_by("pk"))

    @admin.action(description="Renvoyer pour correction", permissions=["change"])
    def return_deliveries(self, request, queryset):
        return self.return_action(request, queryset, "return_deliveries")

    def listed_for_return(self, queryset):
        return queryset.with_list_related_data().order_by("pk")

    def accept_one(self, obj, *, by):
        obj.validate(by=by)

    def notify_reviewed(self, obj, request):
        notify_reviewed(obj, request)

    def validate_view(self, request, object_id):
        """The desk's Valider: a POST, by whoever may change deliveries."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        delivery = self.object_to_review(request, object_id)
        seen = request.POST.get("seen")
        with transaction.atomic():
            # Under the commitment's lock, as the contact's amend: what the agent saw is
            # what is validated, or nothing is.
            lock_commitments([delivery.commitment_id])
            current = Delivery.objects.get(pk=delivery.pk)
            if seen != declared_version(current):
                # Also without the version seen: only the desk's form posts here, with it.
                self.message_user(
                    request,
                    f"{current} : le référent a modifié sa déclaration depuis que vous "
                    "l'avez affichée. Vérifiez-la avant de la valider."
                    if seen
                    else f"{current} : validez-la depuis sa page, qui montre ce que vous validez.",
                    messages.ERROR,
                )
                return self.after_review(current, 0)
            done = self.accept_all(request, [current])
        return self.after_review(current, done)

    def return_view(self, request, object_id):
        """The desk's Renvoyer pour correction: the reason is required; a GET, or a POST
        without a reason, shows the form again, and writes nothing."""
        delivery = self.object_to_review(request, object_id)
        if delivery.status != Delivery.Status.REPORTED:
            self.message_user(
                request,
                f"{delivery} : elle n'attend plus d'examen, elle est "
                f"« {delivery.get_status_display()} ».",
                messages.ERROR,
            )
            return self.after_review(delivery, 0)
        form = ReturnForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            return self.after_review(delivery, self.return_all(request, [delivery], reason))
        return TemplateResponse(
            request,
            "admin/commitments/delivery/return_one.html",
            {
                **self.admin_site.each_context(request),
                "title": "Renvoyer la réalisation pour correction",
                "opts": self.model._meta,
                "delivery": delivery,
                "form": form,
            },
        )


# The task queue's own list (django_tasks_db) is in English, sees every territory and shows
# whole mails: the staff see the mails that failed in « Échecs d'envoi » below instead.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(MailFailure)
class MailFailureAdmin(ScopedAdminMixin, FoldedSearchMixin, admin.ModelAdmin):
    """The mails that could not leave after every attempt (commitments.mails), for the
    staff of their territory to reach the recipients otherwise; read only, deleted once
    dealt with."""

    list_display = ["failed_at", "subject", "recipients", "attempts", "territory"]
    list_filter = ["failed_at"]
    search_fields = ["subject", "recipients"]
    fields = ["failed_at", "subject", "recipients", "territory", "attempts", "error", "body"]
    readonly_fields = fields

    def in_scope(self, queryset, scope):
        return queryset.filter(territory_filter(scope, "territory"))

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# The reporting campaigns, for staff (after the ReturnForm and helpers they share).
from commitments import admin_campaigns  # noqa: E402, F401

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse

from commitments.admin_totals import FilteredTotalsChangeList, WithinTerritoryFilter
from commitments.models import REASON_MAX_LENGTH, Commitment, Delivery, lock_commitments
from commitments.notifications import notify_reviewed
from config.history import ReadOnlyHistoryAdmin
from strategy.forms import AMOUNT_FORMFIELD_OVERRIDES
from strategy.units import format_amount, format_rate


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["date", "amount", "comment", "status", "reported_by", "reviewed_at", "return_reason"]
    readonly_fields = ["status", "reported_by", "reviewed_at", "return_reason"]
    extra = 0
    show_change_link = True
    formfield_overrides = AMOUNT_FORMFIELD_OVERRIDES

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("commitment__measure", "reported_by")


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyHistoryAdmin):
    """reports.admin adds the import and "Exporter la sélection" to it."""

    change_list_template = "admin/commitments/commitment/change_list.html"
    list_display = [
        "title",
        "actor",
        "measure",
        "territory",
        "year",
        "planned_display",
        "delivered_display",
        "rate_display",
        "status",
        "is_public",
    ]
    list_filter = [
        ("measure__issue", admin.RelatedOnlyFieldListFilter),
        ("measure", admin.RelatedOnlyFieldListFilter),
        WithinTerritoryFilter,
        "year",
        "status",
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
        "is_public",
        "created_at",
        "updated_at",
    ]
    inlines = [DeliveryInline]
    formfield_overrides = AMOUNT_FORMFIELD_OVERRIDES

    def get_queryset(self, request):
        return super().get_queryset(request).with_list_related_data()

    def get_changelist(self, request, **kwargs):
        return FilteredTotalsChangeList

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
        if change:
            lock_commitments([obj.pk])
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

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # An inline edit or delete of a validated delivery moves the delivered amount.
        form.instance.refresh_delivered_amount(by=request.user)


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


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyHistoryAdmin):
    """reports.admin adds "Exporter la sélection" to it."""

    list_display = [
        "date",
        "commitment",
        "actor",
        "measure",
        "amount_display",
        "status",
        "reported_by",
        "reviewed_at",
    ]
    list_filter = [
        "status",
        ("commitment__measure__issue", admin.RelatedOnlyFieldListFilter),
        ("commitment__measure", admin.RelatedOnlyFieldListFilter),
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
    ]
    readonly_fields = [
        "status",
        "reported_by",
        "reported_at",
        "reviewed_by",
        "reviewed_at",
        "return_reason",
    ]
    actions = ["validate_deliveries", "return_deliveries"]
    formfield_overrides = AMOUNT_FORMFIELD_OVERRIDES

    def get_queryset(self, request):
        return super().get_queryset(request).with_list_related_data()

    def get_ordering(self, request):
        # Reported deliveries first: they are the ones waiting for an agent.
        return Delivery.REVIEW_ORDERING

    @admin.display(description="Acteur", ordering="commitment__actor__name")
    def actor(self, obj):
        return obj.commitment.actor

    @admin.display(description="Mesure", ordering="commitment__measure__name")
    def measure(self, obj):
        return obj.commitment.measure

    @admin.display(description="Montant", ordering="amount")
    def amount_display(self, obj):
        return format_amount(obj.amount, obj.commitment.measure.unit)

    def save_model(self, request, obj, form, change):
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
            commitment.refresh_delivered_amount(by=request.user)

    def delete_model(self, request, obj):
        self.delete_queryset(request, Delivery.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            locked = lock_commitments(queryset.values_list("commitment_id", flat=True))
            for delivery in queryset.order_by("pk"):
                delivery.delete()  # one by one, so that each deletion is in the history
            for commitment in locked.values():
                commitment.refresh_delivered_amount(by=request.user)

    @admin.action(description="Valider les réalisations sélectionnées", permissions=["change"])
    def validate_deliveries(self, request, queryset):
        self._review(request, queryset, "validée(s)", lambda d: d.validate(by=request.user))

    @admin.action(description="Renvoyer pour correction", permissions=["change"])
    def return_deliveries(self, request, queryset):
        form = ReturnForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._review(
                request,
                queryset,
                "renvoyée(s) pour correction",
                lambda d: d.return_for_revision(by=request.user, reason=reason),
            )
            return None
        return TemplateResponse(
            request,
            "admin/commitments/delivery/return_for_revision.html",
            {
                **self.admin_site.each_context(request),
                "title": "Renvoyer des réalisations pour correction",
                "opts": self.model._meta,
                "deliveries": queryset.with_list_related_data().order_by("pk"),
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _review(self, request, queryset, done_label, operation):
        done = 0
        for delivery in queryset.order_by("pk"):
            try:
                operation(delivery)
            except ValidationError as error:
                self.message_user(
                    request, f"{delivery} : {' '.join(error.messages)}", messages.ERROR
                )
            else:
                notify_reviewed(delivery, request)
                done += 1
        if done:
            self.message_user(request, f"{done} réalisation(s) {done_label}.", messages.SUCCESS)

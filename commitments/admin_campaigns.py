"""The staff side of reporting campaigns (commitments.campaigns), in the admin.

The regional team creates a campaign, opens it, closes it and reopens it for an actor
(CampaignAdmin: buttons that post to the domain's methods); the departmental teams read
it, its completeness counted on their territory's reports alone. The expected reports are
reviewed as deliveries are (ExpectedReportAdmin: a desk with Accepter and Renvoyer pour
correction, and the same as list actions); the contact gets a mail either way.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse

from actors.models import Actor, Membership
from actors.scopes import scope_of
from commitments.admin import shortened
from commitments.admin_evidence import EvidenceLinksMixin
from commitments.admin_review import ReturnForm, ReviewMixin
from commitments.campaigns import Campaign, ExpectedReport, reporting_rate, today
from commitments.notifications import notify_report_reviewed
from commitments.reminders import notify_deadline_moved, notify_reopened
from config.history import ReadOnlyHistoryAdmin, display_value
from strategy.text import Fold
from strategy.units import format_rate, is_plural

# What a campaign asks, fixed once it is opened: its expected reports were made from it.
SCOPE_FIELDS = [
    "period_start",
    "period_end",
    "opens_on",
    "issues",
    "measures",
    "territories",
    "actor_kinds",
]
COUNTS = ("expected", "submitted", "accepted", "returned", "late")


class ReminderDaysField(forms.CharField):
    """Reminder days typed as "14, 3", kept as [14, 3]."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(day) for day in value)
        return value

    def to_python(self, value):
        text = (super().to_python(value) or "").replace(";", ",")
        days = []
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or not 0 < int(part) <= 365:
                raise ValidationError(
                    "Des nombres de jours entre 1 et 365, séparés par des virgules, "
                    "comme « 14, 3 ».",
                    code="invalid",
                )
            days.append(int(part))
        return sorted(set(days), reverse=True)


class CampaignAdminForm(forms.ModelForm):
    actor_kinds = forms.MultipleChoiceField(
        label="Types d'acteurs",
        choices=Actor.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Aucun : tous les types d'acteurs.",
    )
    reminder_days = ReminderDaysField(
        label="Relances (jours avant la date limite)",
        required=False,
        help_text=(
            "Par exemple « 14, 3 » : une relance 14 jours, puis 3 jours avant. "
            "Vide : 14 puis 3 jours avant."
        ),
    )

    class Meta:
        model = Campaign
        fields = ["title", "deadline", "reminder_days", *SCOPE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.state == Campaign.State.OPEN and "deadline" in self.fields:
            self.fields["deadline"].help_text = (
                "La déplacer prévient les référents des acteurs qui doivent encore une "
                "déclaration ; les relances suivent la nouvelle date."
            )

    def clean_actor_kinds(self):
        return list(self.cleaned_data.get("actor_kinds") or [])

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        campaign = self.instance
        moved = campaign.state == Campaign.State.OPEN and deadline != campaign.deadline
        if moved and (refusal := campaign.deadline_refusal(deadline)):
            raise ValidationError(refusal, code="bad_deadline")
        return deadline


class ReopenForm(forms.Form):
    actor = forms.ModelChoiceField(
        label="Acteur",
        queryset=Actor.objects.none(),
        error_messages={
            "required": "Choisissez l'acteur pour qui rouvrir la campagne.",
            "invalid_choice": "Cet acteur n'a pas de déclaration attendue dans cette campagne.",
        },
    )
    deadline = forms.DateField(
        label="Nouvelle date limite",
        widget=AdminDateWidget,
        error_messages={
            "required": "Indiquez la nouvelle date limite.",
            "invalid": "Une date comme 31/01/2022.",
        },
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = (
            Actor.objects.filter(commitments__expected_reports__campaign=campaign)
            .distinct()
            .order_by(Fold("name"), "pk")
        )


def completeness_tables(reports):
    """The completeness of `reports` (already in the user's scope) as the campaign's page
    shows it: the total, by territory and by actor (by name), the late actors with their
    contacts' e-mails. Four queries."""
    by_territory = reports.completeness("commitment__territory", "commitment__territory__name")
    by_actor = reports.completeness("commitment__actor", "commitment__actor__name")
    by_territory.sort(key=lambda row: (row["commitment__territory__name"].casefold(), row))
    by_actor.sort(key=lambda row: (row["commitment__actor__name"].casefold(), row))
    total = {name: sum(row[name] for row in by_territory) for name in COUNTS}
    total["rate"] = reporting_rate(total)
    late_ids = [row["commitment__actor"] for row in by_actor if row["late"]]
    emails = {}
    for actor_id, email in (
        Membership.objects.filter(actor__in=late_ids, user__is_active=True)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("actor_id", "user__email")
    ):
        emails.setdefault(actor_id, []).append(email)
    for row in [*by_territory, *by_actor, total]:
        row["rate_display"] = format_rate(row["rate"])
    for row in by_actor:
        row["url"] = reverse("admin:actors_actor_change", args=[row["commitment__actor"]])
        row["emails"] = emails.get(row["commitment__actor"], [])
    return {
        "total": total,
        "by_territory": by_territory,
        "by_actor": by_actor,
        "late_actors": [row for row in by_actor if row["late"]],
    }


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyHistoryAdmin):
    """Created, opened, closed and reopened by the regional team; read by all staff."""

    form = CampaignAdminForm
    change_form_template = "admin/commitments/campaign/change_form.html"
    regional_edits_only = True
    list_display = ["title", "period_display", "opens_on_display", "deadline_display", "state"]
    list_filter = ["state"]
    search_fields = ["title"]
    autocomplete_fields = ["issues", "measures", "territories"]
    fields = [
        "title",
        "period_start",
        "period_end",
        "opens_on",
        "deadline",
        "issues",
        "measures",
        "territories",
        "actor_kinds",
        "reminder_days",
        "state",
        "opened_at",
        "closed_at",
    ]
    readonly_fields = ["state", "opened_at_display", "closed_at_display"]

    class Media:
        css = {"all": ["css/admin_lists.css"]}

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        fields[fields.index("opened_at")] = "opened_at_display"
        fields[fields.index("closed_at")] = "closed_at_display"
        if obj is not None and obj.state != Campaign.State.DRAFT:
            fields[fields.index("actor_kinds")] = "actor_kinds_display"
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.state != Campaign.State.DRAFT:
            # actor_kinds too, so that the form drops its declared field.
            fields += [*SCOPE_FIELDS, "actor_kinds_display"]
        if obj is not None and obj.state == Campaign.State.CLOSED:
            # past the closing: reopened actor by actor, reminded no more
            fields += ["deadline", "reminder_days"]
        return fields

    def save_model(self, request, obj, form, change):
        if not change or obj.state == Campaign.State.DRAFT:
            return super().save_model(request, obj, form, change)
        # Opened: its scope is read only (get_readonly_fields); its title and reminders
        # change through the domain, its deadline moves through it (the row is held since
        # get_object), and the contacts who still owe a report are told.
        if {"title", "reminder_days"} & set(form.changed_data):
            obj.edit(
                title=form.cleaned_data["title"],
                reminder_days=form.cleaned_data.get("reminder_days", obj.reminder_days),
                by=request.user,
            )
        if "deadline" in form.changed_data:
            former = obj.move_deadline(form.cleaned_data["deadline"], by=request.user)
            if former is not None:
                told = notify_deadline_moved(obj, former)
                self.message_user(
                    request,
                    f"La date limite passe du {former:%d/%m/%Y} au {obj.deadline:%d/%m/%Y} : "
                    f"{told} {'référents prévenus' if is_plural(told) else 'référent prévenu'}.",
                    messages.INFO,
                )
        return None

    def has_delete_permission(self, request, obj=None):
        # An opened campaign holds what the contacts answered: it is closed, not deleted.
        if obj is not None and obj.state != Campaign.State.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        posted = obj is not None and request.method == "POST"
        if posted and transaction.get_connection().in_atomic_block:
            # Edited as a draft, not opened meanwhile: the row is held to the save.
            obj.state = Campaign.objects.select_for_update().get(pk=obj.pk).state
        return obj

    @admin.display(description="Période")
    def period_display(self, obj):
        return f"du {obj.period_start:%d/%m/%Y} au {obj.period_end:%d/%m/%Y}"

    @admin.display(description="Ouverture", ordering="opens_on")
    def opens_on_display(self, obj):
        return f"{obj.opens_on:%d/%m/%Y}"

    @admin.display(description="Date limite", ordering="deadline")
    def deadline_display(self, obj):
        return f"{obj.deadline:%d/%m/%Y}"

    @admin.display(description="Types d'acteurs")
    def actor_kinds_display(self, obj):
        labels = dict(Actor.Kind.choices)
        return ", ".join(str(labels.get(kind, kind)) for kind in obj.actor_kinds) or "Tous"

    @admin.display(description="Ouverte le")
    def opened_at_display(self, obj):
        return display_value(Campaign._meta.get_field("opened_at"), obj.opened_at)

    @admin.display(description="Close le")
    def closed_at_display(self, obj):
        return display_value(Campaign._meta.get_field("closed_at"), obj.closed_at)

    def get_urls(self):
        names = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/ouvrir/", view(self.open_view), name=f"{names}_open"),
            path("<path:object_id>/clore/", view(self.close_view), name=f"{names}_close"),
            path("<path:object_id>/rouvrir/", view(self.reopen_view), name=f"{names}_reopen"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            reports = ExpectedReport.objects.filter(campaign=obj).in_scope(scope_of(request.user))
            context["completeness"] = completeness_tables(reports)
            context["scope_label"] = scope_of(request.user).label
            context["downloads"] = self.completeness_downloads(request, obj)
            if self.has_change_permission(request, obj):
                context["steering"] = {
                    "open": obj.state == Campaign.State.DRAFT,
                    "close": obj.state == Campaign.State.OPEN,
                    "reopen": obj.state == Campaign.State.CLOSED,
                    "reopen_form": ReopenForm(campaign=obj, auto_id="id_reopen_%s"),
                }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _campaign(self, request, object_id, *, to_change=True):
        campaign = self.get_object(request, unquote(object_id))
        if campaign is None:
            raise Http404("Cette campagne n'existe pas.")
        allowed = (
            self.has_change_permission(request, campaign)
            if to_change
            else self.has_view_or_change_permission(request, campaign)
        )
        if not allowed:
            raise PermissionDenied
        return campaign

    def campaign_to_read(self, request, object_id):
        """The campaign, for a page that reads it (404 if none, 403 without the right)."""
        return self._campaign(request, object_id, to_change=False)

    def _back(self, campaign):
        return HttpResponseRedirect(
            reverse("admin:commitments_campaign_change", args=[campaign.pk])
        )

    def _steer(self, request, object_id, operation):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        campaign = self._campaign(request, object_id)
        try:
            message = operation(campaign)
        except ValidationError as error:
            self.message_user(request, f"{campaign} : {' '.join(error.messages)}", messages.ERROR)
        else:
            self.message_user(request, message, messages.SUCCESS)
        return self._back(campaign)

    def open_view(self, request, object_id):
        def open_(campaign):
            count = campaign.open(by=request.user)
            expected = "déclarations attendues" if is_plural(count) else "déclaration attendue"
            return f"La campagne « {campaign} » est ouverte : {count} {expected}."

        return self._steer(request, object_id, open_)

    def close_view(self, request, object_id):
        def close(campaign):
            campaign.close(by=request.user)
            return (
                f"La campagne « {campaign} » est close : rien de daté de sa période ne se "
                "déclare plus sur ses engagements, sauf si vous la rouvrez pour un acteur."
            )

        return self._steer(request, object_id, close)

    def reopen_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        campaign = self._campaign(request, object_id)
        form = ReopenForm(request.POST, campaign=campaign)
        if not form.is_valid():
            errors = " ".join(
                message for messages_ in form.errors.values() for message in messages_
            )
            self.message_user(request, f"Rien n'a été rouvert : {errors}", messages.ERROR)
            return self._back(campaign)
        actor, deadline = form.cleaned_data["actor"], form.cleaned_data["deadline"]
        try:
            with transaction.atomic():  # reopened and its contacts told, or neither
                count = campaign.reopen_for(actor, deadline=deadline, by=request.user)
                told = notify_reopened(campaign, actor, deadline)
        except ValidationError as error:
            self.message_user(
                request, f"Rien n'a été rouvert : {' '.join(error.messages)}", messages.ERROR
            )
        else:
            if count:
                reports = "déclarations rouvertes" if is_plural(count) else "déclaration rouverte"
                self.message_user(
                    request,
                    f"La campagne « {campaign} » est rouverte pour « {actor} » jusqu'au "
                    f"{deadline:%d/%m/%Y} : {count} {reports}, "
                    f"{told} {'référents prévenus' if is_plural(told) else 'référent prévenu'}.",
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    f"« {actor} » n'a rien à remettre de nouveau : ses déclarations sont "
                    "toutes acceptées.",
                    messages.WARNING,
                )
        return self._back(campaign)

    def completeness_downloads(self, request, campaign):
        """[(label, address)] of the completeness table's downloads: reports.admin adds
        them, for those who may download reports."""
        return []


class LateFilter(admin.SimpleListFilter):
    title = "En retard"
    parameter_name = "retard"

    def lookups(self, request, model_admin):
        return [("oui", "En retard")]

    def queryset(self, request, queryset):
        if self.value() == "oui":
            return queryset.waiting_for_answer().filter(due_date__lt=today())
        return queryset


class ReportsAwaitingReviewFilter(admin.SimpleListFilter):
    title = "À examiner"
    parameter_name = "examen"
    WAITING = "en-attente"

    def lookups(self, request, model_admin):
        return [(self.WAITING, "Remises, à examiner")]

    def queryset(self, request, queryset):
        if self.value() == self.WAITING:
            return queryset.awaiting_review()
        return queryset


SUBMITTED_FIELDS = [
    "campaign",
    "commitment",
    "status",
    "due_display",
    "nothing_delivered",
    "narrative",
    "submitted_at",
    "submitted_by",
    "reviewed_at",
    "reviewed_by",
    "return_reason",
    "reopened_until",
    "evidence_display",
]


@admin.register(ExpectedReport)
class ExpectedReportAdmin(EvidenceLinksMixin, ReviewMixin, ReadOnlyHistoryAdmin):
    """Made by opening a campaign, never by hand; read here as the contact submitted
    them, and reviewed: the change page of a submitted one is its review desk."""

    change_form_template = "admin/commitments/expectedreport/change_form.html"
    list_display = [
        "commitment_display",
        "actor_display",
        "campaign",
        "status",
        "due_display",
        "late_display",
    ]
    list_display_links = ["commitment_display"]
    list_filter = [
        "campaign",
        ReportsAwaitingReviewFilter,
        LateFilter,
        "status",
        "commitment__actor__kind",
    ]
    list_select_related = ["campaign", "commitment__actor"]
    search_fields = ["commitment__title", "commitment__actor__name", "campaign__title"]
    fields = SUBMITTED_FIELDS
    readonly_fields = SUBMITTED_FIELDS
    actions = ["accept_reports", "return_reports"]
    review_missing = "Cette déclaration n'existe pas."
    review_labels = {
        "accept": ("déclaration acceptée", "déclarations acceptées"),
        "return": (
            "déclaration renvoyée pour correction",
            "déclarations renvoyées pour correction",
        ),
    }
    return_title = "Renvoyer des déclarations pour correction"
    return_intro = "Ces déclarations seront renvoyées à leur acteur avec le motif ci-dessous :"

    class Media:
        css = {"all": ["css/admin_lists.css"]}

    def get_urls(self):
        names = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/accepter/", view(self.accept_view), name=f"{names}_accept"),
            path("<path:object_id>/renvoyer/", view(self.return_view), name=f"{names}_return"),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("campaign", "commitment__actor", "submitted_by", "reviewed_by")
            .annotate(due_date=Coalesce("reopened_until", "campaign__deadline"))
        )

    def in_scope(self, queryset, scope):
        return queryset.in_scope(scope)

    def history_in_scope(self, record, scope):
        from commitments.models import Commitment

        return Commitment.objects.in_scope(scope).filter(pk=record.commitment_id).exists()

    def has_add_permission(self, request, *args):
        return False  # a campaign's opening makes them

    def has_delete_permission(self, request, obj=None):
        return False  # what a contact owes, or answered: kept

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(show_save=False, show_save_and_continue=False)
        submitted = obj is not None and obj.status == ExpectedReport.Status.SUBMITTED
        if submitted and self.has_change_permission(request, obj):
            names = f"admin:{self.opts.app_label}_{self.opts.model_name}"
            context["desk"] = {
                "deliveries": list(
                    obj.deliveries_of_period().select_related("commitment__measure")
                ),
                "accept_url": reverse(f"{names}_accept", args=[obj.pk]),
                "return_url": reverse(f"{names}_return", args=[obj.pk]),
                "return_form": ReturnForm(auto_id="id_desk_%s"),
                "files": self.evidence_files(obj),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        pass  # nothing of it is edited here: it is accepted or returned

    def save_related(self, request, form, formsets, change):
        pass

    def log_change(self, request, obj, message):
        pass  # nothing was changed

    @admin.display(description="Engagement", ordering=Fold("commitment__title"))
    def commitment_display(self, obj):
        return shortened(obj.commitment.title, 45)

    @admin.display(description="Acteur", ordering=Fold("commitment__actor__name"))
    def actor_display(self, obj):
        return shortened(obj.commitment.actor.name, 35)

    @admin.display(description="À remettre le", ordering="due_date")
    def due_display(self, obj):
        return f"{obj.due_on:%d/%m/%Y}"

    @admin.display(description="En retard", boolean=True)
    def late_display(self, obj):
        return obj.is_late

    # The review: the desk's buttons, and the list's actions for several at once.

    def accept_one(self, obj, *, by):
        obj.accept(by=by)

    def notify_reviewed(self, obj, request):
        notify_report_reviewed(obj, request)

    def queue_url(self):
        names = f"admin:{self.opts.app_label}_{self.opts.model_name}"
        return (
            f"{reverse(f'{names}_changelist')}?{ReportsAwaitingReviewFilter.parameter_name}="
            f"{ReportsAwaitingReviewFilter.WAITING}"
        )

    def accept_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report = self.object_to_review(request, object_id)
        return self.after_review(report, self.accept_all(request, [report]))

    def return_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report = self.object_to_review(request, object_id)
        form = ReturnForm(request.POST)
        if not form.is_valid():
            errors = " ".join(
                message for messages_ in form.errors.values() for message in messages_
            )
            self.message_user(request, f"Rien n'a été renvoyé : {errors}", messages.ERROR)
            return self.after_review(report, 0)
        return self.after_review(
            report, self.return_all(request, [report], form.cleaned_data["reason"])
        )

    @admin.action(description="Accepter les déclarations sélectionnées", permissions=["change"])
    def accept_reports(self, request, queryset):
        self.accept_all(request, queryset.order_by("pk"))

    @admin.action(description="Renvoyer pour correction", permissions=["change"])
    def return_reports(self, request, queryset):
        return self.return_action(request, queryset, "return_reports")


__all__ = ["CampaignAdmin", "ExpectedReportAdmin", "completeness_tables"]

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from actors.invitations import invite_contact, send_invitation
from actors.models import Actor, Forum, Membership
from actors.scopes import EVERYTHING, scope_of
from commitments.admin_totals import UnitTotalsMixin
from commitments.models import Commitment
from config.history import ReadOnlyHistoryAdmin, ScopedChoicesMixin
from strategy.admin_lists import EstimatedCountPaginator
from strategy.units import format_amount, is_plural

COMMITMENTS_SHOWN = 20


def may_edit_actor(actor, scope):
    """An actor is changed by the staff of its territory (a regional one by the
    regional team), whoever else sees it (actors.scopes)."""
    return scope.everything or (actor.territory_id is not None and scope.covers(actor.territory_id))


class MembershipInline(ScopedChoicesMixin, admin.TabularInline):
    model = Membership
    fields = ["user", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def _may_edit(self, request, obj):
        return obj is None or may_edit_actor(obj, scope_of(request.user))

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_edit(request, obj)


@admin.register(Actor)
class ActorAdmin(UnitTotalsMixin, ReadOnlyHistoryAdmin):
    """reports.admin adds the import and "Exporter la sélection" to it."""

    totals_grouping = "actor"
    list_display = ["name", "kind", "territory", "is_public_sector", "unit_totals_display"]
    list_filter = ["kind", "is_public_sector", "is_institutional", "territory"]
    list_select_related = ["territory"]
    search_fields = ["name", "siret"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["territory"]
    readonly_fields = ["unit_totals_display", "commitments_list", "invite_link"]
    inlines = [MembershipInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    paginator = EstimatedCountPaginator

    def in_scope(self, queryset, scope):
        return queryset.in_scope(scope)

    def may_change(self, obj, scope):
        return may_edit_actor(obj, scope)

    def history_in_scope(self, record, scope):
        return record.territory_id is not None and scope.covers(record.territory_id)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = getattr(request, "resolver_match", None)
        inviting = (request.GET.get("app_label"), request.GET.get("model_name")) == (
            "actors",
            "membership",
        )
        if match is not None and match.url_name == "autocomplete" and inviting:
            # The invitation form accepts only the actors one may change: offer no other.
            queryset = queryset.editable_in(scope_of(request.user))
        return queryset, may_have_duplicates

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not scope_of(request.user).everything:
            # It would delete regional actors seen here but not theirs to change.
            actions.pop("delete_selected", None)
        return actions

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if not scope_of(request.user).everything and "territory" in form_class.base_fields:
            # An actor without a territory would vanish from its author's view.
            form_class.base_fields["territory"].required = True
        return form_class

    def get_object(self, request, object_id, from_field=None):
        # The change page's own figures are those of the user's territory. A past version
        # (simple-history's page, which asks no get_object) shows none of today's.
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.scope = scope_of(request.user)
        return obj

    @admin.display(description="Référents")
    def invite_link(self, obj):
        scope = getattr(obj, "scope", None)
        if obj.pk is None or scope is None or not may_edit_actor(obj, scope):
            return "—"
        return _invite_link(obj)

    @admin.display(description="Engagements")
    def commitments_list(self, obj):
        """The actor's latest commitments, each a link, and the link to all of them."""
        scope = getattr(obj, "scope", None)
        if obj.pk is None:
            return "—"
        if scope is None:
            return "Non repris dans une version passée : voir la fiche de l'acteur."
        commitments = list(
            Commitment.objects.filter(actor=obj)
            .in_scope(scope)
            .select_related("measure")
            .order_by("-year", "title", "pk")[: COMMITMENTS_SHOWN + 1]
        )
        if not commitments:
            return "Aucun engagement."
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a> — {}, {} : {} sur {}, {}</li>',
            (
                (
                    reverse("admin:commitments_commitment_change", args=[c.pk]),
                    c.title,
                    c.measure.name,
                    c.year,
                    format_amount(c.delivered_amount, c.measure.unit, "réalisé"),
                    format_amount(c.planned_amount, c.measure.unit, "prévu"),
                    c.get_status_display(),
                )
                for c in commitments[:COMMITMENTS_SHOWN]
            ),
        )
        everything = reverse("admin:commitments_commitment_changelist")
        return format_html(
            '<ul class="suivi-actor-commitments">{}</ul>'
            '<p><a href="{}?actor__id__exact={}">{}</a></p>',
            rows,
            everything,
            obj.pk,
            "Tous ses engagements, avec leurs totaux"
            if len(commitments) > COMMITMENTS_SHOWN
            else "Ses engagements dans la liste, avec leurs totaux",
        )


class InvitationForm(forms.ModelForm):
    """Adding a contact is inviting one, by e-mail address."""

    email = forms.EmailField(label="Adresse électronique du référent")
    first_name = forms.CharField(label="Prénom", required=False, max_length=150)
    last_name = forms.CharField(label="Nom", required=False, max_length=150)

    class Meta:
        model = Membership
        fields = ["actor"]

    scope = EVERYTHING  # the inviting agent's (MembershipAdmin.get_form)

    def clean(self):
        cleaned = super().clean()
        actor, email = cleaned.get("actor"), cleaned.get("email")
        if actor and email and actor.memberships.filter(user__email__iexact=email).exists():
            self.add_error("email", f"{email} est déjà référent de « {actor} ».")
        elif email and not self.scope.everything and not self._may_link(email.strip()):
            self.add_error(
                "email",
                "Cette adresse est celle d'un compte que vous ne voyez pas (un autre territoire "
                "ou la préfecture) : l'équipe régionale peut l'inviter pour cet acteur.",
            )
        return cleaned

    def _may_link(self, email):
        """A departmental agent links an existing account only if it already sees it: a
        contact of one of its actors, never a member of staff."""
        existing = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
        if existing is None:
            return True
        return not existing.is_staff and (
            Membership.objects.filter(
                user=existing, actor__in=Actor.objects.in_scope(self.scope)
            ).exists()
        )


def _invite_link(actor):
    url = reverse("admin:actors_membership_add")
    return format_html(
        '<a class="button" href="{}?actor={}">Inviter un référent</a>', url, actor.pk
    )


@admin.register(Membership)
class MembershipAdmin(ReadOnlyHistoryAdmin):
    list_display = ["user", "user_email", "actor", "created_at", "last_login"]
    list_select_related = ["user", "actor"]
    search_fields = ["user__username", "user__email", "actor__name"]
    autocomplete_fields = ["user", "actor"]
    actions = ["resend_invitations"]

    def in_scope(self, queryset, scope):
        return queryset.filter(actor__in=Actor.objects.in_scope(scope))

    def may_change(self, obj, scope):
        return may_edit_actor(obj.actor, scope)

    def history_in_scope(self, record, scope):
        return Actor.objects.editable_in(scope).filter(pk=record.actor_id).exists()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "actor" and formfield is not None:
            # One invites contacts to the actors one may change.
            formfield.queryset = formfield.queryset.editable_in(scope_of(request.user))
        return formfield

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not scope_of(request.user).everything:
            actions.pop("delete_selected", None)
        return actions

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["actor", "email", "first_name", "last_name"]
        return ["user", "actor"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = type(
                "InvitationForm", (InvitationForm,), {"scope": scope_of(request.user)}
            )
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        invite_contact(
            obj,
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            by=request.user,
            build_absolute_uri=request.build_absolute_uri,
        )
        self.message_user(request, f"Invitation envoyée à {obj.user.email}.", messages.SUCCESS)

    @admin.display(description="Adresse électronique", ordering="user__email")
    def user_email(self, obj):
        return obj.user.email

    @admin.display(description="Dernière connexion", ordering="user__last_login")
    def last_login(self, obj):
        return obj.user.last_login or "jamais"

    @admin.action(description="Renvoyer l'invitation", permissions=["add"])
    def resend_invitations(self, request, queryset):
        editable = Actor.objects.editable_in(scope_of(request.user))
        memberships = list(
            queryset.filter(actor__in=editable).select_related("user", "actor").order_by("pk")
        )
        for membership in memberships:
            send_invitation(membership, build_absolute_uri=request.build_absolute_uri)
        plural = "s" if is_plural(len(memberships)) else ""
        self.message_user(
            request, f"{len(memberships)} invitation{plural} renvoyée{plural}.", messages.SUCCESS
        )


@admin.register(Forum)
class ForumAdmin(ReadOnlyHistoryAdmin):
    regional_edits_only = True
    list_display = ["title", "date", "is_online", "participant_count"]
    list_filter = ["is_online"]
    search_fields = ["title"]
    date_hierarchy = "date"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["participants"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(participant_count=Count("participants"))

    @admin.display(description="Participants", ordering="participant_count")
    def participant_count(self, obj):
        return obj.participant_count

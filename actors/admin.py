from django.contrib import admin
from django.db import models
from django.db.models import Count
from simple_history.admin import SimpleHistoryAdmin

from actors.models import Actor, Forum, Membership
from commitments.admin_totals import UnitTotalsMixin


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Actor)
class ActorAdmin(UnitTotalsMixin, SimpleHistoryAdmin):
    totals_grouping = "actor"
    list_display = ["name", "kind", "territory", "is_public_sector", "unit_totals_display"]
    list_filter = ["kind", "is_public_sector", "is_institutional", "territory"]
    list_select_related = ["territory"]
    search_fields = ["name", "siret"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["territory"]
    readonly_fields = ["unit_totals_display"]
    inlines = [MembershipInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "actor", "created_at"]
    list_select_related = ["user", "actor"]
    search_fields = ["user__username", "user__email", "actor__name"]
    autocomplete_fields = ["user", "actor"]


@admin.register(Forum)
class ForumAdmin(SimpleHistoryAdmin):
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

from django.contrib import admin
from django.db.models import Count

from commitments.admin_totals import UnitTotalsMixin
from config.history import ReadOnlyHistoryAdmin
from strategy.models import Issue, Measure, Territory


@admin.register(Territory)
class TerritoryAdmin(ReadOnlyHistoryAdmin):
    # Every territory is shown (the public pages show them all); a commitment or an actor
    # is attached only to one's own territory or those it contains.
    regional_edits_only = True
    list_display = ["name", "level", "code", "parent"]
    list_filter = ["level"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]

    def choices_in_scope(self, queryset, scope):
        return queryset.filter(pk__in=scope.territories())


class MeasureInline(admin.TabularInline):
    model = Measure
    fields = ["position", "name", "slug", "unit"]
    extra = 0
    show_change_link = True


@admin.register(Issue)
class IssueAdmin(ReadOnlyHistoryAdmin):
    regional_edits_only = True
    list_display = ["name", "position", "measure_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MeasureInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(measure_count=Count("measures"))

    @admin.display(description="Mesures", ordering="measure_count")
    def measure_count(self, obj):
        return obj.measure_count


@admin.register(Measure)
class MeasureAdmin(UnitTotalsMixin, ReadOnlyHistoryAdmin):
    regional_edits_only = True
    totals_grouping = "measure"
    list_display = ["name", "issue", "unit", "unit_totals_display"]
    list_filter = ["issue", "unit"]
    list_select_related = ["issue"]
    search_fields = ["name", "issue__name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["unit_totals_display"]
    autocomplete_fields = ["issue"]

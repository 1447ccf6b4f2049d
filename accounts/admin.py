"""The admin pages of accounts: users with their territory, and django-axes' lockouts.

Re-registered here so that what prefecture staff see of them follows their territory
(actors.scopes): a departmental agent sees the contacts of the actors it sees, and
nothing of the lockouts, which name every account's login; the regional team (and
superusers) see all. Who is attached to which territory is set by superusers, on the
user's page (or `setup_roles --rattacher`).
"""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from actors.models import Actor, StaffTerritory
from actors.scopes import scope_of
from config.history import ScopedAdminMixin

User = get_user_model()


class StaffTerritoryInline(admin.StackedInline):
    model = StaffTerritory
    fields = ["territory"]
    autocomplete_fields = ["territory"]
    can_delete = True
    extra = 0
    max_num = 1


class ScopedUserAdmin(ScopedAdminMixin, UserAdmin):
    inlines = [*UserAdmin.inlines, StaffTerritoryInline]
    list_display = [*UserAdmin.list_display, "territory_display"]
    list_select_related = ["staff_territory__territory"]

    def in_scope(self, queryset, scope):
        if scope.everything:
            return queryset
        return queryset.filter(memberships__actor__in=Actor.objects.in_scope(scope)).distinct()

    @admin.display(description="Territoire de rattachement", ordering="staff_territory__territory")
    def territory_display(self, obj):
        attachment = getattr(obj, "staff_territory", None)
        return attachment.territory if attachment else "—"


def regional_only(model_admin_class):
    """A model admin that only the regional team (and superusers) may use."""

    class RegionalOnly(model_admin_class):
        def has_module_permission(self, request):
            return super().has_module_permission(request) and scope_of(request.user).everything

        def has_view_permission(self, request, obj=None):
            return super().has_view_permission(request, obj) and scope_of(request.user).everything

        def has_change_permission(self, request, obj=None):
            return super().has_change_permission(request, obj) and scope_of(request.user).everything

        def has_delete_permission(self, request, obj=None):
            return super().has_delete_permission(request, obj) and scope_of(request.user).everything

    RegionalOnly.__name__ = f"Regional{model_admin_class.__name__}"
    return RegionalOnly


admin.site.unregister(User)
admin.site.register(User, ScopedUserAdmin)
for model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        model_admin = type(admin.site.get_model_admin(model))
        admin.site.unregister(model)
        admin.site.register(model, regional_only(model_admin))

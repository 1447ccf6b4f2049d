"""The admin's history pages, read only and in French, for every audited model.

django-simple-history's version page is also a *revert* form, which writes the old
version back with the view permission alone and around the domain methods and their
locks. Here a version is only shown: posting to it answers 405, whatever the role.
Changes are shown as an agent reads them: choices by their French label, users by
name, dates and times in local time, "—" for nothing.
"""

import datetime
from collections import Counter
from decimal import Decimal

from django.contrib.admin.utils import NestedObjects, unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, router
from django.http import Http404, HttpResponseNotAllowed
from django.utils import formats, timezone
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from actors.scopes import scope_of
from strategy.admin_search import FoldedSearchMixin

NOTHING = "—"
READ_ONLY_MESSAGE = (
    "L'historique se consulte et ne se modifie pas : corrigez la fiche elle-même, "
    "ou passez par la validation des réalisations."
)


def person(user):
    return user.get_full_name() or user.get_username()


def display_value(field, value):
    """A field's value as the admin shows it to an agent."""
    if value is None or value == "":
        return NOTHING
    if isinstance(value, DeletedObject):  # a foreign key that was empty, or is gone
        return NOTHING if value.pk is None else f"fiche {value.model._meta.verbose_name} supprimée"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return "oui" if value else "non"
    if isinstance(value, get_user_model()):
        return person(value)
    if isinstance(value, datetime.datetime):
        return f"{timezone.localtime(value):%d/%m/%Y %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, Decimal):
        return formats.number_format(value.normalize(), use_l10n=True, force_grouping=True)
    return value


class FrenchRecordContextHelper(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if isinstance(field, models.ManyToManyField):
            return super().prepare_delta_change_value(change, value)
        return display_value(field, value)


def scoped_choices(admin_site, db_field, request, formfield):
    """A form's drop-down or autocomplete offers, and accepts, only what the related
    model's admin lets this user pick (`choices_in_scope`)."""
    related_admin = admin_site._registry.get(db_field.remote_field.model)
    if formfield is not None and hasattr(related_admin, "choices_in_scope"):
        formfield.queryset = related_admin.choices_in_scope(
            formfield.queryset, scope_of(request.user)
        )
    return formfield


def protected_counts(objs, model):
    """The rows that forbid deleting `objs`, as counts by kind ("7 engagements")."""
    collector = NestedObjects(using=router.db_for_write(model))
    collector.collect(objs)
    counts = Counter(type(obj)._meta for obj in collector.protected)
    return [
        f"{count} {opts.verbose_name_plural if count > 1 else opts.verbose_name} "
        "(dont peut-être d'autres territoires que le vôtre)"
        for opts, count in sorted(counts.items(), key=lambda item: str(item[0].verbose_name))
    ]


class ScopedChoicesMixin:
    """For inlines as for model admins: foreign keys and many-to-many fields offer only
    what is in the user's scope."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return scoped_choices(self.admin_site, db_field, request, formfield)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return scoped_choices(self.admin_site, db_field, request, formfield)


class ScopedAdminMixin(ScopedChoicesMixin):
    """Staff see and change only their territory's part (actors.scopes).

    A model admin says what a scope sees (`in_scope`), may pick in a form
    (`choices_in_scope`) and may change (`may_change`); reference data
    (`regional_edits_only`) is read by everyone and changed by the regional team alone.
    Whatever is out of scope answers 404, as what does not exist: lists, change, delete
    and history pages, versions, actions, autocompletes and the admin's own views.
    """

    regional_edits_only = False

    def in_scope(self, queryset, scope):
        return queryset

    def choices_in_scope(self, queryset, scope):
        return self.in_scope(queryset, scope)

    def may_change(self, obj, scope):
        return True

    def history_in_scope(self, record, scope):
        """Whether the history of a deleted row is in scope, from its last version
        (by default, for the regional team alone)."""
        return False

    def is_scoped(self):
        return type(self).in_scope is not ScopedAdminMixin.in_scope

    def get_queryset(self, request):
        return self.in_scope(super().get_queryset(request), scope_of(request.user))

    def get_search_results(self, request, queryset, search_term):
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete":
            queryset = self.choices_in_scope(queryset, scope_of(request.user))
        return super().get_search_results(request, queryset, search_term)

    def _may_edit(self, request, obj=None):
        scope = scope_of(request.user)
        if scope.nothing or (self.regional_edits_only and not scope.everything):
            return False  # attached to no territory: nothing to add, import or change
        return obj is None or scope.everything or self.may_change(obj, scope)

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and self._may_edit(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_edit(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected and not scope_of(request.user).everything:
            # What protects a row may lie in other territories: counted, never named.
            protected = protected_counts(objs, self.model)
        return deleted, model_count, perms_needed, protected

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Out of scope or missing: the same answer, which tells nothing of the row.
        raise Http404(f"Aucun(e) {opts.verbose_name} de ce numéro dans votre territoire.")

    def check_history_scope(self, request, object_id):
        """A history page or a version: of a row in scope, or of a deleted row whose
        last version was."""
        scope = scope_of(request.user)
        if scope.everything or not self.is_scoped():
            return
        pk_name = self.model._meta.pk.attname
        if self.get_queryset(request).filter(**{pk_name: object_id}).exists():
            return
        if not self.model._default_manager.filter(**{pk_name: object_id}).exists():
            last = (
                self.model.history.filter(**{pk_name: object_id})
                .order_by("-history_date", "-history_id")
                .first()
            )
            if last is not None and self.history_in_scope(last, scope):
                return
        raise Http404


class ReadOnlyHistoryAdmin(ScopedAdminMixin, FoldedSearchMixin, SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose history can be read, never reverted; its search box
    forgives accents and case (FoldedSearchMixin); what it shows and changes is the
    user's territory's (ScopedAdminMixin)."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_view_title(self, request, obj):
        return f"Historique : {obj}"

    def history_form_view_title(self, request, obj):
        return f"Version de « {obj} »"

    def history_view(self, request, object_id, extra_context=None):
        self._check_id(self.model, object_id)
        self.check_history_scope(request, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(
                ["GET", "HEAD"], READ_ONLY_MESSAGE, content_type="text/plain; charset=utf-8"
            )
        self._check_id(self.model, object_id)
        self._check_id(self.model.history.model, version_id)
        self.check_history_scope(request, unquote(object_id))
        request.history_read_only = True
        return super().history_form_view(request, object_id, version_id, extra_context)

    @staticmethod
    def _check_id(model, value):
        """An id that is no id of this model is a 404, not a 500 in the query."""
        try:
            model._meta.pk.to_python(unquote(value))
        except ValidationError:
            raise Http404 from None

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if not getattr(request, "history_read_only", False):
            return form_class

        class VersionForm(form_class):
            """The version's values, every field disabled: shown, never submitted."""

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for field in self.fields.values():
                    field.disabled = True

        return VersionForm

    def get_historical_record_context_helper(self, request, historical_record):
        return FrenchRecordContextHelper(self.model, historical_record)

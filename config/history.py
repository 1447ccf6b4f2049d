"""The admin's history pages, read only and in French, for every audited model.

django-simple-history's version page is also a *revert* form, which writes the old
version back with the view permission alone and around the domain methods and their
locks. Here a version is only shown: posting to it answers 405, whatever the role.
Changes are shown as an agent reads them: choices by their French label, users by
name, dates and times in local time, "—" for nothing.
"""

import datetime
from decimal import Decimal

from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpResponseNotAllowed
from django.utils import formats, timezone
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

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


class ReadOnlyHistoryAdmin(FoldedSearchMixin, SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose history can be read, never reverted; its search box
    forgives accents and case (FoldedSearchMixin)."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_view_title(self, request, obj):
        return f"Historique : {obj}"

    def history_form_view_title(self, request, obj):
        return f"Version de « {obj} »"

    def history_view(self, request, object_id, extra_context=None):
        self._check_id(self.model, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(
                ["GET", "HEAD"], READ_ONLY_MESSAGE, content_type="text/plain; charset=utf-8"
            )
        self._check_id(self.model, object_id)
        self._check_id(self.model.history.model, version_id)
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

"""Admin search boxes that forgive accents and case, as the public directory does."""

from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.db import models


class FoldedSearchMixin:
    """Each text field of `search_fields` is searched folded (strategy.text.fold), both
    the field and the term: "prefecture" finds "Préfecture" and "ÉCLAIRCIE" "Éclaircie".

    Fields with a prefix (^, =, @), an explicit lookup or a type other than text are
    searched as Django would.
    """

    def get_search_fields(self, request):
        return [self._folded(name) for name in super().get_search_fields(request)]

    def _folded(self, name):
        if name[:1] in "^=@":
            return name
        try:
            field = get_fields_from_path(self.model, name)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return name  # an explicit lookup, such as name__exact
        if isinstance(field, (models.CharField, models.TextField)):
            return f"{name}__fold_contains"
        return name

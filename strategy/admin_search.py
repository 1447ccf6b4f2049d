"""Admin search boxes that forgive accents and case, as the public directory does."""

from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import smart_split, unescape_string_literal

FOLDED = "__fold_contains"


class FoldedSearchMixin:
    """Each text field of `search_fields` is searched folded (strategy.text.fold), both
    the field and the term: "prefecture" finds "Préfecture" and "ÉCLAIRCIE" "Éclaircie".

    Fields with a prefix (^, =, @), an explicit lookup or a type other than text are
    searched as Django would.

    When every field is searched folded, each term keeps the rows whose primary key is
    in the UNION of one query per field (each reads its own table, through its own
    joins), rather than an OR across the joined tables: on PostgreSQL each branch is
    then answered by the trigram index of its column (strategy.text.trigram_indexes),
    where the OR made the database fold every row of every table. Same rows either way.
    """

    def get_search_fields(self, request):
        return [self._folded(name) for name in super().get_search_fields(request)]

    def get_search_results(self, request, queryset, search_term):
        fields = self.get_search_fields(request)
        if not (search_term and fields) or not all(name.endswith(FOLDED) for name in fields):
            return super().get_search_results(request, queryset, search_term)
        for term in smart_split(search_term):
            if term.startswith(('"', "'")) and term[0] == term[-1]:
                term = unescape_string_literal(term)
            queryset = queryset.filter(self._matching(fields, term))
        return queryset, False

    def _matching(self, fields, term):
        """Rows whose own field, or whose related row's field, contains `term`: per
        relation, its key in the UNION of the related rows that match (each branch read
        through its own trigram index), rather than a join to every related row."""
        by_relation = {}
        for name in fields:
            first, _, rest = name.partition("__")
            field = self.model._meta.get_field(first)
            if field.many_to_one and rest != FOLDED.removeprefix("__"):
                by_relation.setdefault(first, []).append(rest)
            else:
                by_relation.setdefault(None, []).append(name)
        condition = models.Q()
        for relation, names in by_relation.items():
            model = self.model if relation is None else self.model._meta.get_field(relation)
            model = model if relation is None else model.related_model
            rows = model._default_manager.order_by()
            branches = [rows.filter(**{name: term}).values("pk") for name in names]
            matching = branches[0].union(*branches[1:]) if len(branches) > 1 else branches[0]
            condition |= models.Q(**{f"{relation or 'pk'}__in": matching})
        return condition

    def _folded(self, name):
        if name[:1] in "^=@":
            return name
        try:
            field = get_fields_from_path(self.model, name)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return name  # an explicit lookup, such as name__exact
        if isinstance(field, (models.CharField, models.TextField)):
            return f"{name}{FOLDED}"
        return name

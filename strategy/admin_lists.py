"""Admin lists that stay quick on large tables: counts and filter choices that read no
whole table where an estimate or an index serves."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import InvalidPage, Paginator
from django.db import connections
from django.db.models import Exists, OuterRef, Q
from django.utils.functional import cached_property

# Below this many rows an exact COUNT(*) is quick enough, and exact.
ESTIMATE_FROM_ROWS = 50_000


def estimated_count(queryset):
    """(rows, estimated) of `queryset` when it reads a whole PostgreSQL table, unfiltered,
    in one query: PostgreSQL's estimate (pg_class.reltuples, kept by ANALYZE and
    autovacuum) when the table is large, else its exact COUNT(*). None otherwise
    (SQLite, a filter): the caller counts as Django does."""
    query = queryset.query
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or query.where or query.combinator or query.distinct:
        return None
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT reltuples >= %s, CASE WHEN reltuples >= %s THEN reltuples::bigint "
            f"ELSE (SELECT COUNT(*) FROM {table}) END "
            "FROM pg_class WHERE oid = %s::regclass",
            [ESTIMATE_FROM_ROWS, ESTIMATE_FROM_ROWS, table],
        )
        estimated, rows = cursor.fetchone()
    return rows, estimated


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered list of a large table by PostgreSQL's estimate (the paginator
    then says « environ »), any other list exactly."""

    estimated = False

    @cached_property
    def count(self):
        counted = estimated_count(self.object_list)
        if counted is None:
            return super().count
        rows, self.estimated = counted
        return rows


class EstimatedCountChangeList(ChangeList):
    """Django's ChangeList, except that the total shown beside a filtered or searched
    count (« 12 résultats (600 000 au total) ») is not a second COUNT(*) of the whole
    table on every page: the list's own count when nothing filters it, else the estimate
    where one serves."""

    full_result_estimated = False

    def get_results(self, request):
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        result_count = self.listed_count(paginator)
        if not self.model_admin.show_full_result_count:
            full_result_count = None
        elif not self.is_filtered():
            full_result_count = result_count
            self.full_result_estimated = getattr(paginator, "estimated", False)
        else:
            counted = estimated_count(self.root_queryset)
            full_result_count = self.root_queryset.count() if counted is None else counted[0]
            self.full_result_estimated = counted is not None and counted[1]
        can_show_all = result_count <= self.list_max_show_all
        multi_page = result_count > self.list_per_page
        if (self.show_all and can_show_all) or not multi_page:
            result_list = self.queryset._clone()
        else:
            try:
                result_list = paginator.page(self.page_num).object_list
            except InvalidPage as invalid:
                raise IncorrectLookupParameters from invalid
        self.result_count = result_count
        self.show_full_result_count = self.model_admin.show_full_result_count
        self.show_admin_actions = not self.show_full_result_count or bool(full_result_count)
        self.full_result_count = full_result_count
        self.result_list = result_list
        self.can_show_all = can_show_all
        self.multi_page = multi_page
        self.paginator = paginator

    def is_filtered(self):
        """Whether a filter or a search narrows the list."""
        return self.queryset.query.where != self.root_queryset.query.where

    def listed_count(self, paginator):
        """How many rows are listed; a subclass may read it from a query it runs anyway
        (then it sets paginator.count, so that the paginator does not count again)."""
        return paginator.count


class LargeListAdminMixin:
    """For the ModelAdmin of a large table: the paginator and changelist above."""

    paginator = EstimatedCountPaginator

    def get_changelist(self, request, **kwargs):
        return EstimatedCountChangeList


class RelatedOnlyExistsFilter(admin.RelatedOnlyFieldListFilter):
    """RelatedOnlyFieldListFilter whose choices are the related rows that at least one
    listed row points to, found by EXISTS rather than by SELECT DISTINCT over every
    listed row: one EXISTS per hop of the path (an issue with a measure with a
    commitment with a listed delivery), each stopping at its first row, by an index."""

    def field_choices(self, field, request, model_admin):
        rows = model_admin.get_queryset(request).order_by()
        model, path = model_admin.model, self.field_path
        narrower = getattr(model_admin, "related_only_rows", None)
        if narrower is not None:
            # The ModelAdmin names a smaller table the path goes through, with the rows
            # of it that its listed rows may point to (see DeliveryAdmin).
            prefix, source = narrower(request)
            if path.startswith(f"{prefix}__"):
                rows, model, path = source.order_by(), source.model, path[len(prefix) + 2 :]
        for part in path.split("__"):
            model = model._meta.get_field(part).related_model
            rows = model._default_manager.filter(
                Exists(rows.filter(**{part: OuterRef("pk")}))
            ).order_by()
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, limit_choices_to=Q(pk__in=rows.values("pk")), ordering=ordering
        )

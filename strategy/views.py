from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from commitments.models import Commitment, Delivery, rows_by
from strategy.charts import cumulative_line, year_bars
from strategy.forms import PublicFilterForm
from strategy.models import Issue, Measure
from strategy.pagination import get_page

PAGE_SIZE = 25
CANCELLED_SHOWN = 50


def home(request):
    """The strategy at a glance: public planned versus delivered, per issue and unit."""
    public = Commitment.objects.public()
    filters = PublicFilterForm.from_request(request, years=public.years())
    commitments = public.filtered(**filters.values)
    by_issue = rows_by(commitments.totals("issue"), "issue_id")
    charts = year_bars(commitments.totals("issue", "year"), key="issue_id")
    issues = [i for i in filters.issues.values() if filters.values["issue"] in (None, i)]
    for issue in issues:
        issue.unit_totals = by_issue.get(issue.pk, [])
        issue.charts = [chart for (pk, _unit), chart in charts.items() if pk == issue.pk]
    return render(
        request,
        "strategy/home.html",
        {
            "nav": "home",
            "filters": filters,
            "issues": issues,
            "overall": commitments.totals(),
            "counts": commitments.counted().aggregate(
                commitments=Count("pk"), actors=Count("actor", distinct=True)
            ),
        },
    )


def issue_list(request):
    by_issue = rows_by(Commitment.objects.public().totals("issue"), "issue_id")
    issues = list(Issue.objects.annotate(measure_count=Count("measures")))
    for issue in issues:
        issue.unit_totals = by_issue.get(issue.pk, [])
    return render(
        request,
        "strategy/issue_list.html",
        {
            "nav": "issues",
            "issues": issues,
            "breadcrumb_data": {"current": "Enjeux"},
        },
    )


def issue_detail(request, slug):
    issue = get_object_or_404(Issue, slug=slug)
    public = Commitment.objects.public().filter(measure__issue=issue)
    filters = PublicFilterForm.from_request(request, years=public.years(), with_issue=False)
    commitments = public.filtered(**filters.values)
    by_measure = rows_by(commitments.totals("measure"), "measure_id")
    measures = list(issue.measures.all())
    for measure in measures:
        measure.unit_totals = by_measure.get(measure.pk, [])
    by_territory = commitments.totals("territory")
    for row in by_territory:
        row["territory"] = filters.territory_by_pk.get(row["territory_id"])
    return render(
        request,
        "strategy/issue_detail.html",
        {
            "nav": "issues",
            "issue": issue,
            "filters": filters,
            "measures": measures,
            "by_territory": by_territory,
            "by_year": commitments.totals("year"),
            "breadcrumb_data": {
                "links": [{"url": reverse("issue_list"), "title": "Enjeux"}],
                "current": issue.name,
            },
        },
    )


def measure_detail(request, slug):
    measure = get_object_or_404(Measure.objects.select_related("issue"), slug=slug)
    public = Commitment.objects.public().filter(measure=measure)
    listed = public.counted().with_list_related_data().order_by("-year", "title", "pk")
    page = get_page(request, listed, PAGE_SIZE)
    months = Delivery.objects.public().filter(commitment__measure=measure).cumulative_by_month()
    return render(
        request,
        "strategy/measure_detail.html",
        {
            "nav": "issues",
            "measure": measure,
            "page_obj": page,
            "cancelled": list(
                public.cancelled()
                .with_list_related_data()
                .order_by("-year", "pk")[:CANCELLED_SHOWN]
            ),
            "totals": public.totals(),
            "chart": cumulative_line(months, measure.unit),
            "breadcrumb_data": {
                "links": [
                    {"url": reverse("issue_list"), "title": "Enjeux"},
                    {"url": measure.issue.get_absolute_url(), "title": measure.issue.name},
                ],
                "current": measure.name,
            },
        },
    )

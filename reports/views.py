"""/rapports/: managers and staff choose filters and download the four reports."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_safe

from actors.scopes import scope_of
from reports.export_writers import DIALECTS
from reports.exports import EXPORTERS, PERMISSION, ReportFilters
from reports.forms import ReportFilterForm
from reports.responses import csv_response, xlsx_response


def _bad_request(message):
    # Plain text, never HTML: the message is written as is (nosniff is on everywhere).
    return HttpResponseBadRequest(
        f"Requête invalide : {message}", content_type="text/plain; charset=utf-8"
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_safe
def index(request):
    scope = scope_of(request.user)
    form = ReportFilterForm(request.GET or None, scope=scope)
    valid = form.is_valid() if form.is_bound else True
    filters = form.filters() if form.is_bound and valid else ReportFilters(scope=scope)
    reports = [
        {"exporter": exporter, "count": exporter.count(filters)} for exporter in EXPORTERS.values()
    ]
    return render(
        request,
        "reports/index.html",
        {
            "nav": "reports",
            "form": form,
            "valid": valid,
            "reports": reports,
            "scope": scope,
            "query": request.GET.urlencode(),
            "breadcrumb_data": {"current": "Rapports"},
        },
        status=200 if valid else 400,
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_safe
def download(request, name, extension):
    exporter = EXPORTERS.get(name)
    if exporter is None:
        raise Http404("Rapport inconnu")
    form = ReportFilterForm(
        {k: v for k, v in request.GET.items() if k != "dialect"}, scope=scope_of(request.user)
    )
    if not form.is_valid():
        return _bad_request(form.error_text())
    filters = form.filters()
    queryset = exporter.queryset(filters)
    if extension == "xlsx":
        return xlsx_response(request, exporter, queryset, filters)
    dialect = request.GET.get("dialect", "excel")
    if dialect not in DIALECTS:
        return _bad_request(f"dialecte « {dialect} » inconnu : excel ou csv.")
    return csv_response(request, exporter, queryset, dialect, filters)

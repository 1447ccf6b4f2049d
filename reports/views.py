"""/rapports/: managers and staff choose filters and download the four reports."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from actors.scopes import scope_of
from reports.builds import (
    BuildRefused,
    get_build_for,
    needs_background,
    start_build,
    storage,
    threshold,
)
from reports.export_writers import DIALECTS
from reports.exports import EXPORTERS, PERMISSION, ReportFilters
from reports.forms import ReportFilterForm
from reports.models import ReportBuild
from reports.responses import CONTENT_TYPES, csv_response, file_name, xlsx_response

# ?actualiser=non: /rapports/ stops refreshing itself while a build runs.
NO_REFRESH = "actualiser"
# Seconds a refused build asks the client to wait (a build of the bench's largest
# report takes about that long).
BUILD_RETRY_AFTER = 60


def _bad_request(message):
    # Plain text, never HTML: the message is written as is (nosniff is on everywhere).
    return HttpResponseBadRequest(
        f"Requête invalide : {message}", content_type="text/plain; charset=utf-8"
    )


# The formats of a report, as /rapports/ offers them: (label, extension, dialect).
FORMATS = [("Excel (CSV ;)", "csv", "excel"), ("CSV", "csv", "csv"), ("XLSX", "xlsx", "")]


def download_address(name, extension, dialect, query):
    """The address of a report's download with the filters `query` (urlencoded)."""
    address = reverse(f"reports:{extension}", args=[name])
    parts = [f"dialect={dialect}"] if dialect else []
    parts += [query] if query else []
    return f"{address}?{'&'.join(parts)}" if parts else address


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_safe
def index(request):
    scope = scope_of(request.user)
    form = ReportFilterForm(request.GET or None, scope=scope)
    valid = form.is_valid() if form.is_bound else True
    filters = form.filters() if form.is_bound and valid else ReportFilters(scope=scope)
    builds = list(ReportBuild.objects.shown_to(request.user)[:5])
    running = any(build.active for build in builds)
    refresh = running and request.GET.get(NO_REFRESH) != "non"
    query = request.GET.copy()
    query.pop(NO_REFRESH, None)
    query = query.urlencode()
    reports = []
    for exporter in EXPORTERS.values():
        count = exporter.count(filters)
        downloads = [
            {
                "label": label,
                "address": download_address(exporter.name, extension, dialect, query),
                "in_background": needs_background(extension, count),
            }
            for label, extension, dialect in FORMATS
        ]
        reports.append(
            {
                "exporter": exporter,
                "count": count,
                "downloads": downloads,
                "csv_in_background": needs_background("csv", count),
                "xlsx_in_background": needs_background("xlsx", count),
            }
        )
    return render(
        request,
        "reports/index.html",
        {
            "nav": "reports",
            "form": form,
            "valid": valid,
            "reports": reports,
            "scope": scope,
            "query": query,
            "builds": builds,
            "running": running,
            "refresh": refresh,
            "csv_threshold": settings.REPORT_BACKGROUND_ROWS_CSV,
            "xlsx_threshold": settings.REPORT_BACKGROUND_ROWS_XLSX,
            "stale_minutes": settings.REPORT_BUILD_STALE_AFTER // 60,
            "breadcrumb_data": {"current": "Rapports"},
        },
        status=200 if valid else 400,
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def download(request, name, extension):
    """GET: the file at once, or, above the background threshold, a page offering to
    prepare it (a GET never starts a build: prefetchers and crawlers follow links).
    POST (with the CSRF token): prepare it in the background. The filters are in the
    address for both."""
    exporter = EXPORTERS.get(name)
    if exporter is None:
        raise Http404("Rapport inconnu")
    form = ReportFilterForm(
        {k: v for k, v in request.GET.items() if k != "dialect"}, scope=scope_of(request.user)
    )
    if not form.is_valid():
        return _bad_request(form.error_text())
    filters = form.filters()
    dialect = request.GET.get("dialect", "excel") if extension == "csv" else ""
    if extension == "csv" and dialect not in DIALECTS:
        return _bad_request(f"dialecte « {dialect} » inconnu : excel ou csv.")
    rows = _rows(exporter, extension, filters)
    if not needs_background(extension, rows):
        if request.method == "POST":  # nothing to prepare: the file comes at once
            return redirect(request.get_full_path())
        queryset = exporter.queryset(filters)
        if extension == "xlsx":
            return xlsx_response(request, exporter, queryset, filters)
        return csv_response(request, exporter, queryset, dialect, filters)
    if request.method != "POST":
        return _offer_build(request, exporter, extension, dialect, filters, rows)
    params = {name: value for name, value in form.data.items() if name in form.fields}
    try:
        start_build(request.user, exporter, extension, dialect, params, filters, rows)
    except BuildRefused as refused:
        response = render(
            request,
            "reports/build_refused.html",
            {"reason": str(refused), "breadcrumb_data": _breadcrumb("Fichier non demandé")},
            status=429,
        )
        response["Retry-After"] = str(BUILD_RETRY_AFTER)
        return response
    return redirect(f"{reverse('reports:index')}?{urlencode(params)}".rstrip("?"))


def _rows(exporter, extension, filters):
    """The rows that decide whether the file is built in the background: the exporter's
    cheaper bound where it is under the threshold (the count cannot be above it), or
    else the count, which the offer shows and the build records."""
    bound = exporter.rows_at_most(filters)
    if bound is not None and not needs_background(extension, bound):
        return bound
    return exporter.count(filters)


def _breadcrumb(current):
    """The other report pages' breadcrumb: Accueil › Rapports › `current`."""
    return {"links": [{"url": reverse("reports:index"), "title": "Rapports"}], "current": current}


def _offer_build(request, exporter, extension, dialect, filters, rows):
    label = next(label for label, ext, dial in FORMATS if (ext, dial) == (extension, dialect))
    return render(
        request,
        "reports/build_offer.html",
        {
            "nav": "reports",
            "exporter": exporter,
            "format": label,
            "rows": rows,
            "threshold": threshold(extension),
            "download_name": file_name(exporter.name, extension, filters),
            "breadcrumb_data": _breadcrumb(f"{exporter.title} ({label})"),
        },
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_safe
def build_file(request, pk):
    """A file built in the background: its requester's, or their territory staff's."""
    build = get_build_for(request.user, pk)
    if build.is_expired():
        return _expired(request, build)
    if build.status != ReportBuild.Status.DONE:
        return redirect("reports:index")
    try:
        file = storage().open(build.file_name, "rb")
    except FileNotFoundError:  # purged meanwhile
        return _expired(request, build)
    return FileResponse(
        file,
        as_attachment=True,
        filename=build.download_name,
        content_type=CONTENT_TYPES[build.extension],
    )


def _expired(request, build):
    context = {"build": build, "breadcrumb_data": _breadcrumb("Fichier expiré")}
    return render(request, "reports/expired.html", context, status=410)

"""/rapports/: managers and staff choose filters and download the four reports."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from actors.scopes import scope_of
from reports.builds import BuildRefused, get_build_for, needs_background, start_build, storage
from reports.export_writers import DIALECTS
from reports.exports import EXPORTERS, PERMISSION, ReportFilters
from reports.forms import ReportFilterForm
from reports.models import ReportBuild
from reports.responses import CONTENT_TYPES, csv_response, xlsx_response

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


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_safe
def index(request):
    scope = scope_of(request.user)
    form = ReportFilterForm(request.GET or None, scope=scope)
    valid = form.is_valid() if form.is_bound else True
    filters = form.filters() if form.is_bound and valid else ReportFilters(scope=scope)
    reports = []
    for exporter in EXPORTERS.values():
        count = exporter.count(filters)
        reports.append(
            {
                "exporter": exporter,
                "count": count,
                "csv_in_background": needs_background("csv", count),
                "xlsx_in_background": needs_background("xlsx", count),
            }
        )
    builds = list(ReportBuild.objects.shown_to(request.user)[:5])
    running = any(build.active for build in builds)
    refresh = running and request.GET.get(NO_REFRESH) != "non"
    query = request.GET.copy()
    query.pop(NO_REFRESH, None)
    return render(
        request,
        "reports/index.html",
        {
            "nav": "reports",
            "form": form,
            "valid": valid,
            "reports": reports,
            "scope": scope,
            "query": query.urlencode(),
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
    dialect = request.GET.get("dialect", "excel") if extension == "csv" else ""
    if extension == "csv" and dialect not in DIALECTS:
        return _bad_request(f"dialecte « {dialect} » inconnu : excel ou csv.")
    rows = exporter.count(filters)
    if needs_background(extension, rows):
        params = {name: value for name, value in form.data.items() if name in form.fields}
        try:
            start_build(request.user, exporter, extension, dialect, params, filters, rows)
        except BuildRefused as refused:
            response = render(
                request, "reports/build_refused.html", {"reason": str(refused)}, status=429
            )
            response["Retry-After"] = str(BUILD_RETRY_AFTER)
            return response
        return redirect(f"{reverse('reports:index')}?{urlencode(params)}".rstrip("?"))
    queryset = exporter.queryset(filters)
    if extension == "xlsx":
        return xlsx_response(request, exporter, queryset, filters)
    return csv_response(request, exporter, queryset, dialect, filters)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_safe
def build_file(request, pk):
    """A file built in the background: its requester's, or their territory staff's."""
    build = get_build_for(request.user, pk)
    if build.is_expired():
        return render(request, "reports/expired.html", {"build": build}, status=410)
    if build.status != ReportBuild.Status.DONE:
        return redirect("reports:index")
    try:
        file = storage().open(build.file_name, "rb")
    except FileNotFoundError:  # purged meanwhile
        return render(request, "reports/expired.html", {"build": build}, status=410)
    return FileResponse(
        file,
        as_attachment=True,
        filename=build.download_name,
        content_type=CONTENT_TYPES[build.extension],
    )

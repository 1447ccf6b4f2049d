"""The reports as downloads: a streamed CSV, or an XLSX file; named after the report, its
filters and the day; each holds one of the limited download slots (reports/limits.py)."""

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from reports.limits import RETRY_AFTER, Busy, ReleasedWhenDone, acquire

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_name(name, extension, filters=None):
    """What the file holds: `engagements_nord_2021_2026-11-30.xlsx` (the report, its
    filters' slugs in a fixed order, the day in Paris)."""
    words = [name, *(filters.slugs() if filters else []), f"{timezone.localdate():%Y-%m-%d}"]
    return f"{'_'.join(words)}.{extension}"


def busy_response(request):
    """429, in French, with Retry-After: too many downloads are running."""
    response = HttpResponse(
        render_to_string("reports/busy.html", {"retry_after": RETRY_AFTER}, request=request),
        status=429,
    )
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def csv_response(request, exporter, queryset, dialect, filters=None):
    try:
        release = acquire(request.user)
    except Busy:
        return busy_response(request)
    try:
        chunks = exporter.csv_bytes(queryset, dialect)
    except BaseException:
        release()
        raise
    response = StreamingHttpResponse(
        ReleasedWhenDone(chunks, release),
        content_type=CONTENT_TYPES["csv"],
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{file_name(exporter.name, "csv", filters)}"'
    )
    return response


def xlsx_response(request, exporter, queryset, filters=None):
    """filters: the report's, None for rows chosen otherwise (the admin's)."""
    # The workbook is finished before the first byte is sent: the slot is held meanwhile.
    try:
        release = acquire(request.user)
    except Busy:
        return busy_response(request)
    try:
        workbook = exporter.xlsx(queryset, filters)
    finally:
        release()
    return FileResponse(
        workbook,
        as_attachment=True,
        filename=file_name(exporter.name, "xlsx", filters),
        content_type=CONTENT_TYPES["xlsx"],
    )

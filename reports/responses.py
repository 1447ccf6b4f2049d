"""The reports as downloads: a streamed CSV, or an XLSX file; named after the report and
the day; each holds one of the limited download slots (reports/limits.py)."""

from datetime import date

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string

from reports.limits import RETRY_AFTER, Busy, ReleasedWhenDone, acquire


def file_name(name, extension):
    return f"{name}_{date.today():%Y-%m-%d}.{extension}"


def busy_response(request):
    """429, in French, with Retry-After: too many downloads are running."""
    response = HttpResponse(
        render_to_string("reports/busy.html", {"retry_after": RETRY_AFTER}, request=request),
        status=429,
    )
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def csv_response(request, exporter, queryset, dialect):
    try:
        release = acquire(request.user)
    except Busy:
        return busy_response(request)
    try:
        chunks = exporter.csv_chunks(queryset, dialect)
    except BaseException:
        release()
        raise
    response = StreamingHttpResponse(
        ReleasedWhenDone((chunk.encode("utf-8") for chunk in chunks), release),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{file_name(exporter.name, "csv")}"'
    return response


def xlsx_response(request, exporter, queryset):
    # The workbook is finished before the first byte is sent: the slot is held meanwhile.
    try:
        release = acquire(request.user)
    except Busy:
        return busy_response(request)
    try:
        workbook = exporter.xlsx(queryset)
    finally:
        release()
    return FileResponse(
        workbook,
        as_attachment=True,
        filename=file_name(exporter.name, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

"""The reports as downloads: a streamed CSV, or an XLSX file; named after the report and the day."""

from datetime import date

from django.http import FileResponse, StreamingHttpResponse


def file_name(name, extension):
    return f"{name}_{date.today():%Y-%m-%d}.{extension}"


def csv_response(exporter, queryset, dialect):
    chunks = exporter.csv_chunks(queryset, dialect)
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in chunks), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{file_name(exporter.name, "csv")}"'
    return response


def xlsx_response(exporter, queryset):
    return FileResponse(
        exporter.xlsx(queryset),
        as_attachment=True,
        filename=file_name(exporter.name, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

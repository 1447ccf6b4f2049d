"""/rapports/: managers and staff choose filters and download the four reports."""

from datetime import date

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.html import escape
from django.views.decorators.http import require_safe
from dsfr.forms import DsfrBaseForm

from actors.models import Actor
from commitments.export_writers import DIALECTS
from commitments.exports import EXPORTERS, ReportFilters
from commitments.models import Commitment
from strategy.models import Issue, Measure, Territory

app_name = "reports"

PERMISSION = "commitments.export_reports"


class ReportFilterForm(DsfrBaseForm):
    """The dashboard's filters plus actor kind and status; values are slugs and codes."""

    issue = forms.ModelChoiceField(
        label="Enjeu",
        required=False,
        queryset=Issue.objects.all(),
        to_field_name="slug",
        empty_label="Tous les enjeux",
    )
    measure = forms.ModelChoiceField(
        label="Mesure",
        required=False,
        queryset=Measure.objects.all(),
        to_field_name="slug",
        empty_label="Toutes les mesures",
    )
    territory = forms.ModelChoiceField(
        label="Territoire",
        required=False,
        to_field_name="slug",
        queryset=Territory.objects.order_by("parent_id", "name", "pk"),
        empty_label="Tous les territoires",
    )
    year = forms.IntegerField(label="Année", required=False, min_value=2000, max_value=2100)
    actor_kind = forms.ChoiceField(
        label="Type d'acteur", required=False, choices=[("", "Tous les types"), *Actor.Kind.choices]
    )
    status = forms.ChoiceField(
        label="Statut de l'engagement",
        required=False,
        choices=[("", "Tous les statuts"), *Commitment.Status.choices],
    )

    def filters(self):
        data = self.cleaned_data
        return ReportFilters(
            issue=data.get("issue"),
            measure=data.get("measure"),
            territory=data.get("territory"),
            year=data.get("year"),
            actor_kind=data.get("actor_kind") or None,
            status=data.get("status") or None,
        )

    def error_text(self):
        return " ".join(
            f"{self.fields[name].label} : {' '.join(errors)}"
            for name, errors in self.errors.items()
        )


def _bad_request(message):
    return HttpResponseBadRequest(
        f"Requête invalide : {escape(message)}", content_type="text/plain; charset=utf-8"
    )


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


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_safe
def index(request):
    form = ReportFilterForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    filters = form.filters() if form.is_bound and valid else ReportFilters()
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
    form = ReportFilterForm({k: v for k, v in request.GET.items() if k != "dialect"})
    if not form.is_valid():
        return _bad_request(form.error_text())
    queryset = exporter.queryset(form.filters())
    if extension == "xlsx":
        return xlsx_response(exporter, queryset)
    dialect = request.GET.get("dialect", "excel")
    if dialect not in DIALECTS:
        return _bad_request(f"dialecte « {dialect} » inconnu : excel ou csv.")
    return csv_response(exporter, queryset, dialect)


urlpatterns = [
    path("", index, name="index"),
    path("<slug:name>.csv", download, {"extension": "csv"}, name="csv"),
    path("<slug:name>.xlsx", download, {"extension": "xlsx"}, name="xlsx"),
]

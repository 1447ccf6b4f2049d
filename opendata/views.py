"""/donnees/: the open data page, and its files at stable addresses. Anyone may read
them; query parameters are ignored; an unknown name is a 404."""

import hashlib
from datetime import UTC, datetime

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import http_date
from django.views.decorators.http import condition, require_safe

from commitments.models import Delivery
from opendata import files
from opendata.datasets import DATASETS, FORMATS, LICENCE, LICENCE_URL
from public.cache import cached, cached_public_page, canonical

# Files change only when figures do; clients revalidate (ETag) after this many seconds.
MAX_AGE = 5 * 60
BUSY_RETRY = 30


@require_safe
@cached_public_page()
def index(request):
    figures = cached(
        "opendata",
        lambda: {
            "validated_on": Delivery.objects.public().validated_on(),
            "counts": {name: dataset.count() for name, dataset in DATASETS.items()},
        },
    )
    datasets = [
        {
            "dataset": dataset,
            "count": figures["counts"][name],
            "fields": dataset.schema()["fields"],
        }
        for name, dataset in DATASETS.items()
    ]
    response = render(
        request,
        "opendata/index.html",
        {
            "nav": "opendata",
            "datasets": datasets,
            "formats": FORMATS,
            "validated_on": figures["validated_on"],
            "licence": LICENCE,
            "licence_url": LICENCE_URL,
            "page_url": request.build_absolute_uri(request.path),
            "breadcrumb_data": {"current": "Données ouvertes"},
        },
    )
    return canonical(response)


def _dataset_or_404(name, extension):
    if name not in DATASETS or extension not in FORMATS:
        raise Http404("Fichier inconnu")


def _file_etag(request, name, extension):
    _dataset_or_404(name, extension)
    return f"{files.figures_version()}-{extension}"


def _file_modified(request, name, extension):
    """When the current version's file was written; None before it is."""
    _dataset_or_404(name, extension)
    path = files.path_of(files.figures_version(), name, extension)
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except FileNotFoundError:
        return None


def _cached_publicly(response):
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


@require_safe
@condition(etag_func=_file_etag, last_modified_func=_file_modified)
def data_file(request, name, extension):
    """The file for the current figures version, built once, then read from disk."""
    try:
        version, path = files.current(name, extension)
        handle = path.open("rb")
    except FileNotFoundError:  # a newer version's build removed it meanwhile: again
        version, path = files.current(name, extension)
        handle = path.open("rb")
    except files.Busy:
        response = HttpResponse(
            "Le fichier est en cours de préparation : réessayez dans un instant.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(BUSY_RETRY)
        return response
    response = FileResponse(
        handle, content_type=files.CONTENT_TYPES[extension], filename=f"{name}.{extension}"
    )
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    response["Last-Modified"] = http_date(modified.timestamp())
    response["ETag"] = f'"{version}-{extension}"'
    return _cached_publicly(response)


def _schema_etag(request, name):
    if name not in DATASETS:
        raise Http404("Schéma inconnu")
    return hashlib.sha256(files.schema_bytes(name)).hexdigest()[:32]


@require_safe
@condition(etag_func=_schema_etag)
def schema(request, name):
    """The dataset's Table Schema: made from its columns, it changes only with the code."""
    response = HttpResponse(files.schema_bytes(name), content_type="application/json")
    return _cached_publicly(response)


def _package_etag(request):
    return hashlib.sha256(files.package_bytes()).hexdigest()[:32]


@require_safe
@condition(etag_func=_package_etag)
def datapackage(request):
    """The four CSV files as one Data Package, with their schemas: a validator checks the
    keys between them (a file's own schema names the others it refers to)."""
    response = HttpResponse(files.package_bytes(), content_type="application/json")
    return _cached_publicly(response)

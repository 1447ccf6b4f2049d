"""The read-only JSON API at /api/v1/: measures, actors, public commitments and totals.

django-ninja: the answers are typed schemas (api/schemas.py) from which the OpenAPI
description is generated; it is small and plain Django underneath. Its documentation UI
is off: /api/ is a page of the site (DSFR, checked by axe) that points to
/api/v1/openapi.json.

What the public pages show and nothing more: public commitments
(`Commitment.objects.public()`), validated deliveries (`Delivery.objects.public()`), no
contact data. The figures are the pages' (`totals()`, `delivery_rate`). The filters are
the pages' forms (public.forms): a value they would not accept is a 400 with a French
message. Every answer is cached under the figures version (public.cache.cached), keyed by
the validated parameters only, so an unknown parameter adds no entry; a name search is
never cached, as on the directory. Each client address is throttled (API_RATE).
"""

import functools
import json
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from ninja import NinjaAPI, Query
from ninja.errors import HttpError, Throttled, ValidationError
from ninja.renderers import JSONRenderer
from ninja.throttling import BaseThrottle

from accounts.throttle import client_address, over_rate
from actors.models import Actor
from api import rows, schemas
from commitments.models import Commitment, Delivery
from public.cache import cached, filter_keys
from public.forms import ActorFilterForm, PublicFilterForm
from strategy.models import Issue, Measure, Territory


class AddressThrottle(BaseThrottle):
    """THROTTLE_RATES["api"] per client address, as the project determines it
    (accounts.throttle.client_address: X-Forwarded-For only from TRUSTED_PROXIES), in the
    same cache counters as the login throttle."""

    def allow_request(self, request):
        # Kept on the request, not on this instance that every request shares.
        request.api_retry_after = over_rate("api", client_address(request))
        return request.api_retry_after is None


class FrenchJSONRenderer(JSONRenderer):
    """UTF-8 as it is: « Hébergement », not « H\\u00e9bergement »."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="Suivi de la stratégie pauvreté — API publique",
    version="1",
    description="Les mesures, les acteurs, les engagements publics et leurs totaux, en "
    "lecture seule : ce que montrent les pages publiques, rien de plus. Montants et taux "
    "en chaînes décimales.",
    urls_namespace="api-v1",
    docs_url=None,
    openapi_url=None,  # served by openapi_json() below: GET only, like every endpoint
    throttle=[AddressThrottle()],
    renderer=FrenchJSONRenderer(),
)

BAD_REQUEST = {400: schemas.Error, 429: schemas.Error}
NOT_FOUND = {404: schemas.Error, 429: schemas.Error}

# pydantic's error types, in French, for the typed parameters (limit, offset, year).
MESSAGES = {
    "int_parsing": "un nombre entier est attendu",
    "int_from_float": "un nombre entier est attendu",
    "greater_than_equal": "la valeur doit être au moins {ge}",
    "less_than_equal": "la valeur doit être au plus {le}",
    "string_too_long": "au plus {max_length} caractères",
}


def bad_request(message):
    return HttpError(400, message)


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    messages = []
    for error in exc.errors:
        name = error["loc"][-1]
        text = MESSAGES.get(error["type"], "valeur invalide").format(**error.get("ctx", {}))
        messages.append(f"Paramètre « {name} » : {text}.")
    return api.create_response(request, {"detail": " ".join(messages)}, status=400)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "Ressource introuvable."}, status=404)


@api.exception_handler(Throttled)
def _throttled(request, exc):
    seconds = request.api_retry_after
    response = api.create_response(
        request,
        {"detail": f"Trop de requêtes depuis cette adresse : réessayez dans {seconds} s."},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def _form_errors(form, fields):
    """The form's errors as one French sentence: `Année : Sélectionnez un choix valide…`."""
    return " ".join(
        f"{form.fields[name].label} : {' '.join(form.errors[name])}"
        for name in fields
        if name in form.errors
    )


def _public_filters(params, *, with_issue=True, years=None):
    data = {name: value for name, value in params.dict().items() if value not in (None, "")}
    if years is None:
        years = cached("years", Commitment.objects.public().years)
    form = PublicFilterForm(
        data,
        years=years,
        territories=Territory.objects.for_choices() if "territory" in data else [],
        issues=Issue.objects.all() if "issue" in data else [],
        with_issue=with_issue,
    )
    if form.errors:
        raise bad_request(_form_errors(form, data))
    return form


# The page sizes whose pages are cached: the default and the largest. Any other size,
# an offset that is not a multiple of it, or a page past the last one is computed each
# time: a visitor cannot fill the cache by walking sizes and offsets.
CACHED_LIMITS = (50, 100)


def _page(name, queryset, to_row, page, *parts):
    """One page of `queryset`'s rows, through the cache when it is a page the links walk."""

    def compute():
        return rows.page(queryset, to_row, page.limit, page.offset)

    if page.limit not in CACHED_LIMITS or page.offset % page.limit:
        return compute()
    return cached(
        name,
        compute,
        *parts,
        page.limit,
        page.offset,
        keep=lambda data: page.offset == 0 or page.offset < data["count"],
    )


def _paged(request, data, page, canonical):
    """The page with its `next` and `previous` links, which keep the filters."""

    def link(offset):
        query = {k: v for k, v in canonical.items() if v is not None}
        query.update(limit=page.limit, offset=offset)
        return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")

    after = page.offset + page.limit
    return {
        **data,
        "next": link(after) if after < data["count"] else None,
        "previous": link(max(page.offset - page.limit, 0)) if page.offset > 0 else None,
    }


@api.get("/mesures/", response={200: schemas.MeasurePage, **BAD_REQUEST}, summary="Mesures")
def measure_list(request, filters: Query[schemas.IssueFilter], page: Query[schemas.PageParams]):
    """Les mesures de la stratégie, par ordre d'identifiant ; filtre : `issue`."""
    form = _public_filters(filters, years=[])
    issue = form.values["issue"]
    measures = Measure.objects.select_related("issue")
    if issue is not None:
        measures = measures.filter(issue=issue)
    data = _page("api-measures", measures, rows.measure, page, getattr(issue, "pk", None))
    return _paged(request, data, page, {"issue": getattr(issue, "slug", None)})


@api.get(
    "/mesures/{slug:slug}/",
    response={200: schemas.MeasureDetail, **NOT_FOUND},
    summary="Une mesure",
)
def measure_detail(request, slug: str):
    """Une mesure et ses totaux publics par unité (ceux de sa page)."""
    measure = get_object_or_404(Measure.objects.select_related("issue"), slug=slug)

    def compute():
        totals = Commitment.objects.public().filter(measure=measure).totals()
        return {**rows.measure(measure), "totals": [rows.totals_row(row) for row in totals]}

    return cached("api-measure", compute, measure.pk)


@api.get("/acteurs/", response={200: schemas.ActorPage, **BAD_REQUEST}, summary="Acteurs")
def actor_list(request, filters: Query[schemas.ActorFilters], page: Query[schemas.PageParams]):
    """Les acteurs, par ordre d'identifiant ; filtres de l'annuaire : `q`, `kind`,
    `territory`, `sector`."""
    data = {name: value for name, value in filters.dict().items() if value not in (None, "")}
    territories = Territory.objects.for_choices() if "territory" in data else []
    form = ActorFilterForm(data, territories=territories)
    if form.errors:
        raise bad_request(_form_errors(form, data))
    actors = (
        Actor.objects.filtered(**form.values)
        .with_public_commitment_count()
        .select_related("territory")
    )

    canonical = {**form.canonical, "q": form.values["search"]}
    if form.values["search"]:  # each text typed would be an entry of its own
        data = rows.page(actors, rows.actor, page.limit, page.offset)
    else:
        data = _page("api-actors", actors, rows.actor, page, *filter_keys(form.values))
    return _paged(request, data, page, canonical)


@api.get(
    "/acteurs/{slug:slug}/", response={200: schemas.ActorDetail, **NOT_FOUND}, summary="Un acteur"
)
def actor_detail(request, slug: str):
    """Un acteur, ses totaux publics par unité, la date de la dernière validation et ses
    forums : ce que montre sa page."""
    actor = get_object_or_404(
        Actor.objects.with_public_commitment_count().select_related("territory"), slug=slug
    )

    def compute():
        public = Commitment.objects.public().filter(actor=actor)
        return {
            **rows.actor(actor),
            "totals": [rows.totals_row(row) for row in public.totals()],
            "validated_on": Delivery.objects.public()
            .filter(commitment__actor=actor)
            .validated_on(),
            "forums": [rows.forum(f) for f in actor.forums.order_by("-date", "pk")],
        }

    return cached("api-actor", compute, actor.pk)


@api.get(
    "/engagements/",
    response={200: schemas.CommitmentPage, **BAD_REQUEST},
    summary="Engagements publics",
)
def commitment_list(
    request, filters: Query[schemas.PublicFilters], page: Query[schemas.PageParams]
):
    """Les engagements publics, annulés compris (statut `cancelled`, jamais comptés dans
    les totaux), par ordre d'identifiant ; filtres des pages : `year`, `territory`, `issue`."""
    form = _public_filters(filters)
    commitments = Commitment.objects.public().filtered(**form.values).with_list_related_data()
    data = _page("api-commitments", commitments, rows.commitment, page, *filter_keys(form.values))
    return _paged(request, data, page, form.canonical)


@api.get(
    "/engagements/{int:pk}/",
    response={200: schemas.CommitmentDetail, **NOT_FOUND},
    summary="Un engagement public",
)
def commitment_detail(request, pk: int):
    """Un engagement public et ses réalisations validées (date et montant)."""

    def compute():
        commitment = get_object_or_404(Commitment.objects.public().with_list_related_data(), pk=pk)
        deliveries = Delivery.objects.public().filter(commitment=commitment).order_by("date", "pk")
        return {**rows.commitment(commitment), "deliveries": [rows.delivery(d) for d in deliveries]}

    if not 0 < pk < 2**31:
        raise Http404
    return cached("api-commitment", compute, pk)


# `par`: the groupings of totals() the API offers, by their French name, and how a row's
# key is written (a slug, or the year itself).
GROUPINGS = {
    "enjeu": "issue",
    "mesure": "measure",
    "territoire": "territory",
    "acteur": "actor",
    "annee": "year",
}


@api.get("/totaux/", response={200: schemas.Totals, **BAD_REQUEST}, summary="Totaux")
def totals(request, filters: Query[schemas.PublicFilters], par: str | None = None):
    """Prévu, réalisé et taux par unité des engagements publics non annulés, avec les
    filtres des pages (`year`, `territory`, `issue`) ; `par` les détaille par `enjeu`,
    `mesure`, `territoire`, `acteur` ou `annee`. Les chiffres du tableau de bord."""
    form = _public_filters(filters)
    if par not in (None, "", *GROUPINGS):
        raise bad_request(f"Paramètre « par » : choisissez parmi {', '.join(GROUPINGS)}.")
    by = GROUPINGS.get(par or "")
    commitments = Commitment.objects.public().filtered(**form.values)

    def compute():
        grouped = commitments.totals(*([by] if by else []))
        names = _slugs(by, grouped)
        return {
            "filters": {k: v for k, v in form.canonical.items() if v is not None},
            "by": par or None,
            "validated_on": Delivery.objects.public()
            .filter(commitment__in=commitments)
            .validated_on(),
            "rows": [rows.totals_row(row, names(row)) for row in grouped],
        }

    return cached("api-totals", compute, *filter_keys(form.values), by)


def _slugs(by, grouped):
    """How a totals row's key is written: the slug of what it is grouped by (one query
    for them all), or the year."""
    if by is None:
        return lambda row: None
    if by == "year":
        return lambda row: row["year"]
    model = {"issue": Issue, "measure": Measure, "territory": Territory, "actor": Actor}[by]
    ids = {row[f"{by}_id"] for row in grouped}
    slugs = dict(model.objects.filter(pk__in=ids).values_list("pk", "slug"))
    return lambda row: slugs[row[f"{by}_id"]]


@functools.cache
def _openapi_bytes():
    """The OpenAPI 3 description, generated once per process from the schemas (about
    0.1 s each time otherwise): it changes only with the code."""
    return json.dumps(api.get_openapi_schema(), ensure_ascii=False).encode()


@require_safe
def openapi_json(request):
    """The OpenAPI 3 description; the same for everyone, so kept by clients for an hour."""
    response = HttpResponse(_openapi_bytes(), content_type="application/json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def index(request):
    """The API's page of the site: what it offers, how to read it, where its description is."""
    return render(
        request,
        "api/index.html",
        {"breadcrumb_data": {"current": "API"}, "rate": _rate_text(), "groupings": GROUPINGS},
    )


def _rate_text():
    count, seconds = settings.THROTTLE_RATES["api"]
    period = {1: "seconde", 60: "minute", 3600: "heure", 86400: "jour"}.get(seconds)
    return f"{count} requêtes par {period}" if period else f"{count} requêtes en {seconds} s"

"""The public pages: dashboard, issues, measures, the actor directory, the legal pages
(accessibility statement, legal notice, personal data, cookies, site map), robots.txt and
favicon.ico."""

from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.staticfiles import finders
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from actors.invitations import INVITATION_DAYS
from actors.models import Actor
from commitments.models import Commitment, Delivery, area_tables, rows_by
from public import audit, maps
from public.cache import cached, cached_public_page, canonical, filter_keys
from public.charts import cumulative_line, year_bars
from public.forms import ActorFilterForm, PublicFilterForm
from public.pagination import get_page
from strategy.models import Issue, Measure, Territory
from strategy.units import is_plural

PAGE_SIZE = 25
ACTORS_PAGE_SIZE = 30
CANCELLED_SHOWN = 50


def _page_number(page):
    """The page as its canonical parameter: none for the first."""
    return page.number if page.number > 1 else None


def _departement_map(request, tables, filters, address):
    """The map of the départements for the page at `address` and its filters, in the unit
    asked for; (None, None) when the page is filtered below the region. Each département
    leads to `address` filtered on it, the other filters kept. Also returns the `unit`
    parameter as understood, for canonical()."""
    unit, unit_param = maps.choose_unit(request.GET.get("unit"), tables)
    kept = {name: value for name, value in filters.canonical.items() if value is not None}
    drawn = unit and maps.departement_map(
        tables,
        unit,
        territories=filters.territory_by_pk.values(),
        link=lambda territory: f"{address}?{urlencode({**kept, 'territory': territory.slug})}",
    )
    if not drawn:
        return None, None
    drawn["kept"] = kept
    return drawn, unit_param


@require_safe
@cached_public_page("year", "territory", "issue", "unit")
def home(request):
    """The strategy at a glance: public planned versus delivered, per issue and unit."""
    public = Commitment.objects.public()
    filters = PublicFilterForm.from_request(request, years=cached("years", public.years))
    commitments = public.filtered(**filters.values)
    figures = cached(
        "dashboard",  # not "home": entries stored before the map lack "by_territory"
        lambda: {
            "by_issue": commitments.totals("issue"),
            "by_year": commitments.totals("issue", "year"),
            "by_territory": commitments.totals("territory"),
            "overall": commitments.totals(),
            "counts": commitments.counted().aggregate(
                commitments=Count("pk"), actors=Count("actor", distinct=True)
            ),
        },
        *filter_keys(filters.values),
    )
    by_issue = rows_by(figures["by_issue"], "issue_id")
    charts = year_bars(figures["by_year"], key="issue_id")
    issues = [i for i in filters.issues.values() if filters.values["issue"] in (None, i)]
    for issue in issues:
        issue.unit_totals = by_issue.get(issue.pk, [])
        issue.charts = [chart for (pk, _unit), chart in charts.items() if pk == issue.pk]
    by_area = area_tables(
        figures["by_territory"],
        scope=filters.values["territory"],
        territories=filters.territory_by_pk.values(),
    )
    departements, unit = _departement_map(request, by_area, filters, reverse("home"))
    response = render(
        request,
        "public/home.html",
        {
            "nav": "home",
            "filters": filters,
            "issues": issues,
            "overall": figures["overall"],
            "counts": figures["counts"],
            "departements": departements,
        },
    )
    return canonical(response, **filters.canonical, unit=unit)


@require_safe
@cached_public_page()
def issue_list(request):
    by_issue = rows_by(
        cached("issues", lambda: Commitment.objects.public().totals("issue")), "issue_id"
    )
    # An aggregate query ignores Meta.ordering: the position is asked for here.
    issues = list(
        Issue.objects.annotate(measure_count=Count("measures")).order_by("position", "pk")
    )
    for issue in issues:
        issue.unit_totals = by_issue.get(issue.pk, [])
    response = render(
        request,
        "public/issue_list.html",
        {
            "nav": "issues",
            "issues": issues,
            "breadcrumb_data": {"current": "Enjeux"},
        },
    )
    return canonical(response)


@require_safe
@cached_public_page("year", "territory", "unit")
def issue_detail(request, slug):
    issue = get_object_or_404(Issue, slug=slug)
    public = Commitment.objects.public().filter(measure__issue=issue)
    years = cached("issue-years", public.years, issue.pk)
    filters = PublicFilterForm.from_request(request, years=years, with_issue=False)
    commitments = public.filtered(**filters.values)
    figures = cached(
        "issue",
        lambda: {
            "by_measure": commitments.totals("measure"),
            "by_territory": commitments.totals("territory"),
            "by_year": commitments.totals("year"),
            "validated_on": Delivery.objects.public()
            .filter(commitment__in=commitments)
            .validated_on(),
        },
        issue.pk,
        *filter_keys(filters.values),
    )
    by_measure = rows_by(figures["by_measure"], "measure_id")
    measures = list(issue.measures.all())
    for measure in measures:
        measure.unit_totals = by_measure.get(measure.pk, [])
    by_area = area_tables(
        figures["by_territory"],
        scope=filters.values["territory"],
        territories=filters.territory_by_pk.values(),
    )
    departements, unit = _departement_map(request, by_area, filters, issue.get_absolute_url())
    response = render(
        request,
        "public/issue_detail.html",
        {
            "nav": "issues",
            "issue": issue,
            "filters": filters,
            "measures": measures,
            "by_area": by_area,
            "departements": departements,
            "by_year": figures["by_year"],
            "validated_on": figures["validated_on"],
            "breadcrumb_data": {
                "links": [{"url": reverse("issue_list"), "title": "Enjeux"}],
                "current": issue.name,
            },
        },
    )
    return canonical(response, **filters.canonical, unit=unit)


@require_safe
@cached_public_page("page")
def measure_detail(request, slug):
    measure = get_object_or_404(Measure.objects.select_related("issue"), slug=slug)
    public = Commitment.objects.public().filter(measure=measure)
    listed = public.counted().with_list_related_data().order_by("-year", "title", "pk")
    page = get_page(request, listed, PAGE_SIZE)
    figures = cached(
        "measure",
        lambda: {
            "totals": public.totals(),
            "months": (
                Delivery.objects.public().filter(commitment__measure=measure).cumulative_by_month()
            ),
        },
        measure.pk,
    )
    response = render(
        request,
        "public/measure_detail.html",
        {
            "nav": "issues",
            "measure": measure,
            "page_obj": page,
            "cancelled": list(
                public.cancelled()
                .with_list_related_data()
                .order_by("-year", "pk")[:CANCELLED_SHOWN]
            ),
            "totals": figures["totals"],
            "chart": cumulative_line(figures["months"], measure.unit),
            "breadcrumb_data": {
                "links": [
                    {"url": reverse("issue_list"), "title": "Enjeux"},
                    {"url": measure.issue.get_absolute_url(), "title": measure.issue.name},
                ],
                "current": measure.name,
            },
        },
    )
    return canonical(response, page=_page_number(page))


@require_safe
@cached_public_page("q", "kind", "territory", "sector", "page")
def actor_list(request):
    filters = ActorFilterForm(request.GET, territories=Territory.objects.for_choices())
    actors = (
        Actor.objects.filtered(**filters.values)
        .with_public_commitment_count()
        .select_related("territory")
        .by_name()
    )
    page = get_page(request, actors, ACTORS_PAGE_SIZE)
    response = render(
        request,
        "public/actor_list.html",
        {
            "nav": "actors",
            "filters": filters,
            "page_obj": page,
            "breadcrumb_data": {"current": "Acteurs"},
        },
    )
    return canonical(response, **filters.canonical, page=_page_number(page))


@require_safe
@cached_public_page("page")
def actor_detail(request, slug):
    actor = get_object_or_404(Actor.objects.select_related("territory"), slug=slug)
    public = Commitment.objects.public().filter(actor=actor)
    listed = public.counted().with_list_related_data().order_by("-year", "title", "pk")
    page = get_page(request, listed, ACTORS_PAGE_SIZE)
    figures = cached(
        "actor",
        lambda: {
            "totals": public.totals(),
            "validated_on": Delivery.objects.public()
            .filter(commitment__actor=actor)
            .validated_on(),
        },
        actor.pk,
    )
    response = render(
        request,
        "public/actor_detail.html",
        {
            "nav": "actors",
            "actor": actor,
            "page_obj": page,
            "cancelled": list(
                public.cancelled()
                .with_list_related_data()
                .order_by("-year", "pk")[:CANCELLED_SHOWN]
            ),
            "totals": figures["totals"],
            "validated_on": figures["validated_on"],
            "forums": list(actor.forums.order_by("-date", "pk")),
            "breadcrumb_data": {
                "links": [{"url": reverse("actor_list"), "title": "Acteurs"}],
                "current": actor.name,
            },
        },
    )
    return canonical(response, page=_page_number(page))


def _legal_page(request, template, title, **context):
    """A page of text; its durations, names and addresses come from the settings."""
    return render(
        request,
        f"public/legal/{template}.html",
        {"breadcrumb_data": {"current": title}, **context},
    )


def duration(seconds):
    """A duration as the legal pages write it: « 2 heures », « 30 minutes », « 1 jour »."""
    parts = []
    for size, one in ((86400, "jour"), (3600, "heure"), (60, "minute")):
        count, seconds = divmod(int(seconds), size)
        if count:
            parts.append(f"{count} {one}{'s' if is_plural(count) else ''}")
    return " ".join(parts) or "moins d'une minute"


@require_safe
def accessibility(request):
    return _legal_page(
        request,
        "accessibility",
        "Déclaration d'accessibilité",
        pages=audit.PAGES,
        widths=audit.WIDTHS,
        audit_date=settings.ACCESSIBILITY_AUDIT_DATE,
        contact_email=settings.CONTACT_EMAIL,
    )


@require_safe
def legal_notice(request):
    return _legal_page(
        request,
        "legal_notice",
        "Mentions légales",
        director=settings.PUBLICATION_DIRECTOR,
        host=settings.HOSTING_PROVIDER,
        contact_email=settings.CONTACT_EMAIL,
        map_credit=maps.CREDIT,
    )


@require_safe
def personal_data(request):
    return _legal_page(
        request,
        "personal_data",
        "Données personnelles",
        session_age=duration(settings.SESSION_COOKIE_AGE),
        lockout=duration(settings.AXES_COOLOFF_TIME.total_seconds()),
        lockout_failures=settings.AXES_FAILURE_LIMIT,
        reset_link_age=duration(settings.PASSWORD_RESET_TIMEOUT),
        invitation_age=duration(INVITATION_DAYS * 86400),
        dpo=settings.DPO_CONTACT,
    )


@require_safe
def cookies(request):
    return _legal_page(
        request,
        "cookies",
        "Gestion des cookies",
        session_cookie=settings.SESSION_COOKIE_NAME,
        session_age=duration(settings.SESSION_COOKIE_AGE),
        csrf_cookie=settings.CSRF_COOKIE_NAME,
        csrf_age=duration(settings.CSRF_COOKIE_AGE),
        messages_cookie=CookieStorage.cookie_name,
    )


@require_safe
@cached_public_page()
def site_map(request):
    issues = Issue.objects.prefetch_related(
        Prefetch("measures", queryset=Measure.objects.order_by("position", "pk"))
    ).order_by("position", "pk")
    response = _legal_page(
        request,
        "site_map",
        "Plan du site",
        issues=issues,
        actors=Actor.objects.by_name().only("name", "slug"),
    )
    return canonical(response)


ROBOTS = "\n".join(
    [
        "User-agent: *",
        "Disallow: /espace/",
        "Disallow: /comptes/",
        "Disallow: /rapports/",
        # The API's JSON is for programs, and each request uses up an address's rate;
        # its page, /api/, may be indexed.
        "Disallow: /api/v1/",
        "",
    ]
)


@require_safe
def robots_txt(request):
    """Public pages may be indexed; the private areas may not. The admin is not named
    here, where anyone reads it: its pages answer `X-Robots-Tag: noindex` instead.
    (Also the benchmark's trivial view: no query, no template.)"""
    return HttpResponse(ROBOTS, content_type="text/plain; charset=utf-8")


FAVICON = "dsfr/dist/favicon/favicon.ico"  # the Marianne, as django-dsfr ships it


@cache
def _favicon_bytes():
    with open(finders.find(FAVICON), "rb") as file:
        return file.read()


@require_safe
def favicon_ico(request):
    """Browsers ask for /favicon.ico on every page, the admin's included, whatever the
    page's <link rel="icon">: the design system's icon, from the installed package."""
    response = HttpResponse(_favicon_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response

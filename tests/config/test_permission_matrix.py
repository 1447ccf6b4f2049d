"""Every URL of the project, for every role, GET and POST: the expected answer, never a 500.

The URLs come from the resolver, so a new page that is not listed here fails
test_every_url_pattern_is_in_the_matrix.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from actors.models import Actor
from actors.roles import AGENTS, MANAGERS, attach_to_territory, setup_roles
from commitments.models import Campaign, Commitment, Evidence, ExpectedReport
from datasets.forum_2020 import load_forum
from reports.builds import finish_build, mark_running, start_build, storage
from reports.exports import EXPORTERS, ReportFilters
from tests.factories import ActorFactory, CommitmentFactory, MembershipFactory, UserFactory, region
from tests.helpers import upload

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "contact_a", "contact_b", "manager", "agent", "superuser"]
DOMAIN_APPS = {"strategy", "actors", "commitments"}
LOGIN = "/comptes/connexion/"
ADMIN_LOGIN = "/admin/login/"
# Rows the application writes alone, that staff read (and delete once dealt with).
READ_ONLY = {"commitments.MailFailure", "reports.ReportBuild"}


def walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            space = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), space)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), f"{namespace}{pattern.name}"


@pytest.fixture
def world():
    setup_roles()
    load_forum()
    actor_a, actor_b = ActorFactory(name="Acteur A"), ActorFactory(name="Acteur B")
    users = {
        "contact_a": MembershipFactory(actor=actor_a, user=UserFactory(username="ca")).user,
        "contact_b": MembershipFactory(actor=actor_b, user=UserFactory(username="cb")).user,
        "manager": UserFactory(username="gest", is_staff=True),
        "agent": UserFactory(username="agent", is_staff=True),
        "superuser": UserFactory(username="root", is_staff=True, is_superuser=True),
    }
    users["manager"].groups.add(Group.objects.get(name=MANAGERS))
    attach_to_territory(users["manager"], region())
    users["agent"].groups.add(Group.objects.get(name=AGENTS))
    attach_to_territory(users["agent"], region())
    commitment = CommitmentFactory(actor=actor_a, year=2021, is_public=False)
    delivery = commitment.report_delivery(
        amount=Decimal(1), date=datetime.date(2021, 2, 1), by=users["contact_a"]
    )
    delivery.return_for_revision(by=users["agent"], reason="À revoir")
    waiting = commitment.report_delivery(
        amount=Decimal(2), date=datetime.date(2021, 3, 1), by=users["contact_a"]
    )
    # An open reporting campaign, whose one expected report contact_a submitted.
    campaign = Campaign.objects.create(
        title="Bilan 2021",
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        opens_on=timezone.localdate(),
        deadline=timezone.localdate() + datetime.timedelta(days=30),
    )
    campaign.open(by=users["agent"])
    report = ExpectedReport.objects.get(campaign=campaign, commitment=commitment)
    report.submit(by=users["contact_a"], narrative="Rien", nothing_delivered=True)
    evidence = Evidence.attach(waiting, upload(), by=users["contact_a"])
    # A report the manager had built in the background (reports/builds.py), ready.
    build = start_build(
        users["manager"], EXPORTERS["engagements"], "csv", "csv", {}, ReportFilters(), 1
    )
    mark_running(build)
    finish_build(build, storage().save(f"{build.pk}/f.csv", io.BytesIO(b"id\r\n")), 0)
    return {
        "build": build,
        "evidence": evidence,
        "users": users,
        "commitment": commitment,
        "delivery": delivery,
        "waiting": waiting,
        "campaign": campaign,
        "report": report,
    }


def project_urls(world):
    """name -> (address, {role: (GET status, POST status)}); redirects as 302."""
    commitment, delivery, waiting = world["commitment"], world["delivery"], world["waiting"]
    everyone = dict.fromkeys(ROLES, (200, 405))
    signed_in = {"anonymous": (302, 302)} | dict.fromkeys(ROLES[1:], (200, 200))
    owner_only = {
        "anonymous": (302, 302),
        "contact_a": (200, 200),
        "contact_b": (404, 404),
        "manager": (404, 404),
        "agent": (404, 404),
        "superuser": (404, 404),
    }
    reports = {
        "anonymous": (302, 302),
        "contact_a": (403, 403),
        "contact_b": (403, 403),
        "manager": (200, 405),
        "agent": (200, 405),
        "superuser": (200, 405),
    }
    prepare = dict.fromkeys(["manager", "agent", "superuser"], (200, 302))
    public_form = dict.fromkeys(ROLES, (200, 200))
    token_page = dict.fromkeys(ROLES, (200, 200))  # an invalid link says so, to anyone
    return {
        "home": ("/", everyone),
        "issue_list": ("/enjeux/", everyone),
        "issue_detail": ("/enjeux/urgence-sociale/", everyone),
        "measure_detail": ("/mesures/places-hebergement-urgence/", everyone),
        "actor_list": ("/acteurs/", everyone),
        "actor_detail": ("/acteurs/diplp/", everyone),
        "accessibility": ("/accessibilite/", everyone),
        "legal_notice": ("/mentions-legales/", everyone),
        "personal_data": ("/donnees-personnelles/", everyone),
        "cookies": ("/cookies/", everyone),
        "site_map": ("/plan-du-site/", everyone),
        "healthz": ("/healthz", everyone),
        "robots_txt": ("/robots.txt", everyone),
        "favicon_ico": ("/favicon.ico", everyone),
        # Open data: public files, the same for everyone.
        "opendata:index": ("/donnees/", everyone),
        "opendata:datapackage": ("/donnees/datapackage.json", everyone),
        "opendata:schema": ("/donnees/engagements.schema.json", everyone),
        "opendata:file": ("/donnees/realisations.csv", everyone),
        # The read-only API answers everyone alike, signed in or not: what the public sees.
        "api_index": ("/api/", everyone),
        "api_openapi": ("/api/v1/openapi.json", everyone),
        # django-ninja's root, which it needs to place its paths: nothing there.
        "api-v1:api-root": ("/api/v1/", dict.fromkeys(ROLES, (404, 404))),
        "api-v1:measure_list": ("/api/v1/mesures/", everyone),
        "api-v1:measure_detail": ("/api/v1/mesures/places-hebergement-urgence/", everyone),
        "api-v1:actor_list": ("/api/v1/acteurs/", everyone),
        "api-v1:actor_detail": ("/api/v1/acteurs/diplp/", everyone),
        "api-v1:commitment_list": ("/api/v1/engagements/", everyone),
        "api-v1:commitment_detail": (
            f"/api/v1/engagements/{Commitment.objects.public().order_by('pk')[0].pk}/",
            everyone,
        ),
        "api-v1:totals": ("/api/v1/totaux/", everyone),
        "space:home": ("/espace/", signed_in | dict.fromkeys(ROLES[1:], (200, 405))),
        "space:commitment": (f"/espace/engagements/{commitment.pk}/", owner_only),
        "space:correct_delivery": (f"/espace/realisations/{delivery.pk}/corriger/", owner_only),
        "space:amend_delivery": (f"/espace/realisations/{waiting.pk}/modifier/", owner_only),
        # Submitted already: its contact's post is refused back to the page (302).
        "space:expected_report": (
            f"/espace/declarations/{world['report'].pk}/",
            owner_only | {"contact_a": (200, 302)},
        ),
        # POST only; the owner's post retracts it (then a redirect to the commitment).
        "space:retract_delivery": (
            f"/espace/realisations/{waiting.pk}/retirer/",
            dict.fromkeys(ROLES, (405, 404)) | {"anonymous": (302, 302), "contact_a": (405, 302)},
        ),
        # A file of contact_a's waiting delivery: its contacts and the staff of its
        # territory (here the region's) download it.
        "space:evidence": (
            f"/espace/justificatifs/{world['evidence'].key}/",
            {"anonymous": (302, 302), "contact_a": (200, 405), "contact_b": (404, 405)}
            | dict.fromkeys(["manager", "agent", "superuser"], (200, 405)),
        ),
        # POST only; the owner's post without a file is refused back to the page.
        "space:delivery_evidence": (
            f"/espace/realisations/{waiting.pk}/justificatifs/",
            dict.fromkeys(ROLES, (405, 404)) | {"anonymous": (302, 302), "contact_a": (405, 302)},
        ),
        "space:report_evidence": (
            f"/espace/declarations/{world['report'].pk}/justificatifs/",
            dict.fromkeys(ROLES, (405, 404)) | {"anonymous": (302, 302), "contact_a": (405, 302)},
        ),
        # Last of the files: the owner's post removes it.
        "space:remove_evidence": (
            f"/espace/justificatifs/{world['evidence'].key}/retirer/",
            dict.fromkeys(ROLES, (405, 404)) | {"anonymous": (302, 302), "contact_a": (405, 302)},
        ),
        "accounts:login": (LOGIN, {"anonymous": (200, 200)} | dict.fromkeys(ROLES[1:], (302, 302))),
        "accounts:logout": ("/comptes/deconnexion/", dict.fromkeys(ROLES, (405, 302))),
        "accounts:home": ("/comptes/accueil/", signed_in | dict.fromkeys(ROLES[1:], (200, 405))),
        "accounts:password_change": ("/comptes/mot-de-passe/", signed_in),
        "accounts:password_change_done": (
            "/comptes/mot-de-passe/change/",
            signed_in | dict.fromkeys(ROLES[1:], (200, 405)),
        ),
        "accounts:password_reset": ("/comptes/mot-de-passe/oubli/", public_form),
        "accounts:password_reset_done": ("/comptes/mot-de-passe/oubli/envoye/", everyone),
        "accounts:password_reset_confirm": ("/comptes/reinitialisation/MQ/faux-jeton/", token_page),
        "accounts:password_reset_complete": ("/comptes/reinitialisation/terminee/", everyone),
        "accounts:invitation": ("/comptes/invitation/MQ/faux-jeton/", token_page),
        "reports:index": ("/rapports/", reports),
        # POST asks for the file to be prepared in the background; under the threshold
        # (here) it sends back to the immediate download.
        "reports:csv": ("/rapports/engagements.csv", reports | prepare),
        "reports:xlsx": ("/rapports/engagements.xlsx", reports | prepare),
        # The manager's file: theirs, and the regional staff's (agent, superuser).
        "reports:build_file": (world["build"].get_absolute_url(), reports),
    }


def client_for(client, world, role):
    client.logout()
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def test_every_url_pattern_is_in_the_matrix(world):
    known = set(project_urls(world))
    for route, name in walk(get_resolver().url_patterns):
        if route.startswith("admin/"):
            continue
        assert name in known, f"{route} ({name}) is not in the permission matrix"


def test_every_project_url_answers_each_role_as_expected(world):
    # One client per role, logged in once, and again after the logout page.
    sessions = {role: client_for(Client(), world, role) for role in ROLES}
    checked = 0
    for name, (address, expected) in project_urls(world).items():
        for role in ROLES:
            for method, status in zip(("get", "post"), expected[role], strict=True):
                response = getattr(sessions[role], method)(address)
                if name == "accounts:logout":
                    client_for(sessions[role], world, role)
                assert response.status_code == status, (name, role, method, response.status_code)
                if status == 302 and role == "anonymous" and name != "accounts:logout":
                    assert response["Location"].startswith(LOGIN), (name, role)
                checked += 1
    assert checked == len(project_urls(world)) * len(ROLES) * 2


@pytest.mark.parametrize(
    "address",
    [
        "/espace/engagements/999999/",
        "/espace/realisations/999999/corriger/",
        "/espace/realisations/999999/modifier/",
        "/espace/declarations/999999/",
        "/espace/justificatifs/00000000-0000-4000-8000-000000000000/",
        "/enjeux/999999/",
        "/mesures/inconnue/",
        "/acteurs/personne/",
        "/rapports/inconnu.csv",
        "/rapports/fichiers/00000000-0000-4000-8000-000000000000/",
    ],
)
def test_unknown_ids_give_404_never_500(client, world, address):
    for role in ROLES:
        response = client_for(client, world, role).get(address)
        assert response.status_code in (302, 403, 404), (address, role, response.status_code)
        if role in ("contact_a", "superuser") and "rapports" not in address:
            assert response.status_code == 404


def admin_expectation(model, page, role):
    """What each role gets on an admin page: the login page, 403, or the page."""
    if role in ("anonymous", "contact_a", "contact_b"):
        return 302
    if (model._meta.label, page) in NEVER_BY_HAND:
        return 403
    if model._meta.label in READ_ONLY and page == "add":
        return 403  # written by the application alone, for anyone
    if role == "superuser":
        return 200
    app = model._meta.app_label
    if role == "manager":
        if app in DOMAIN_APPS and page in ("changelist", "change", "history", "version"):
            return 200
        return 403
    # the prefecture's agents
    if app in DOMAIN_APPS:
        return 200
    unlocking = ("axes.AccessAttempt", "axes.AccessFailureLog")
    if model._meta.label in unlocking and page in ("changelist", "change", "history"):
        return 200
    if model._meta.label == "axes.AccessAttempt" and page == "delete":
        return 200  # unlocking an account is deleting its attempts; the log is kept
    if model._meta.label == "auth.User" and page in ("changelist", "change", "history"):
        return 200
    return 403


# Expected reports are made by opening a campaign, and kept; an opened campaign is
# closed, never deleted (the matrices' campaign is open).
NEVER_BY_HAND = {
    ("commitments.ExpectedReport", "add"),
    ("commitments.ExpectedReport", "delete"),
    ("commitments.Campaign", "delete"),
    # Built by the task, deleted by the daily purge (with its file), never by hand.
    ("reports.ReportBuild", "delete"),
}


def admin_pages(world):
    objects = {
        Commitment: world["commitment"],
        type(world["delivery"]): world["delivery"],
    }
    for model in admin.site._registry:
        obj = objects.get(model) or model._default_manager.order_by("pk").first()
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        yield model, "changelist", reverse(f"{prefix}_changelist")
        yield model, "add", reverse(f"{prefix}_add")
        if hasattr(admin.site._registry[model], "import_view"):
            yield model, "import", reverse(f"{prefix}_import")
        if obj is not None:
            for page in ("change", "history", "delete"):
                yield model, page, reverse(f"{prefix}_{page}", args=[obj.pk])
            if hasattr(model, "history"):  # a real version of the row, its first
                version = obj.history.order_by("history_id").first()
                args = [obj.pk, version.history_id]
                yield model, "version", reverse(f"{prefix}_simple_history", args=args)


def test_every_audited_model_has_its_version_page_in_the_matrix(world):
    versioned = {model for model, page, _address in admin_pages(world) if page == "version"}
    audited = {model for model in admin.site._registry if hasattr(model, "history")}
    assert versioned == audited and len(audited) >= 8


def test_the_import_pages_of_actors_and_commitments_are_in_the_matrix(world):
    imported = {model for model, page, _address in admin_pages(world) if page == "import"}
    assert imported == {Actor, Commitment}


def test_every_admin_page_answers_each_role_as_expected(world):
    # One client per role, logged in once: no admin page here logs its visitor out.
    sessions = {role: client_for(Client(), world, role) for role in ROLES}
    checked = 0
    for model, page, address in admin_pages(world):
        for role in ROLES:
            expected = admin_expectation(model, page, role)
            session = sessions[role]
            response = session.get(address)
            status = response.status_code
            if page == "add" and expected == 200 and model._meta.app_label == "axes":
                expected = 403  # access attempts are written by django-axes alone
            assert status == expected, (model._meta.label, page, role, status)
            if expected == 302:
                assert response["Location"].startswith(ADMIN_LOGIN)
            # A version is read only: posting it (a revert) is refused, the row unchanged.
            if page == "version":
                before = model_to_dict(model._default_manager.get(pk=address.split("/")[-4]))
                response = session.post(address, {})
                assert response.status_code == (302 if expected == 302 else 405), (
                    model._meta.label,
                    role,
                )
                after = model_to_dict(model._default_manager.get(pk=address.split("/")[-4]))
                assert after == before
            # POST without confirmation or data: a form with errors, never a write or a 500
            if page in ("add", "change", "delete", "import"):
                response = session.post(address, {})
                assert response.status_code in (200, 302, 403), (model._meta.label, page, role)
                assert response.status_code != 302 or expected == 302 or page == "change"
            checked += 1
    assert checked > 200
    assert Commitment.objects.filter(pk=world["commitment"].pk).exists()

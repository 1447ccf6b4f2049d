"""The permission matrix, territory by territory: the agents of the Nord and of the Somme,
a manager of the Nord, the regional team and a member of staff attached to nothing, on
every admin page, action, autocomplete, review-desk URL and report.

Each département's agent sees its own rows and none of the other's (404, as what does
not exist); reference data is read by all and changed by the regional team alone; a
regional actor is seen by every département and changed by the regional team alone.
The admin pages come from admin.site._registry, as in test_permission_matrix: a model
registered later is in this matrix too.
"""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from actors.models import Actor, Membership
from actors.roles import AGENTS, MANAGERS, setup_roles
from commitments.admin import declared_version
from commitments.models import Campaign, Commitment, Delivery, ExpectedReport, MailFailure
from config.history import ScopedAdminMixin
from datasets.forum_2020 import load_forum
from reports.exports import EXPORTERS
from strategy.models import Measure, Territory
from tests.config.test_permission_matrix import admin_expectation
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    MembershipFactory,
    UserFactory,
    region,
    staff_member,
)
from tests.helpers import form_values, text_of

pytestmark = pytest.mark.django_db

User = get_user_model()
SIDES = ("nord", "somme")
OTHER = {"nord": "somme", "somme": "nord"}
# role -> (username, the département it is attached to: None for the regional team,
# "rien" for a member of staff attached to nothing)
ROLES = {
    "nord_agent": ("agent.nord", "nord"),
    "somme_agent": ("agent.somme", "somme"),
    "nord_manager": ("gestionnaire.nord", "nord"),
    "regional_agent": ("agent.region", None),
    "unattached": ("agent.sans.territoire", "rien"),
}
PLANNED = {"nord": Decimal(1111), "somme": Decimal(7777)}
REGIONAL_PLANNED = {"nord": Decimal(2222), "somme": Decimal(8888)}
AXES = {AccessAttempt, AccessLog, AccessFailureLog}
# Models whose rows are seen according to the territory (the others: by everyone).
SCOPED = {Actor, Membership, Commitment, Delivery, ExpectedReport, User, MailFailure}
# Seen by a département's staff when they belong to the region: regional actors and
# their contacts; a regional commitment (and its deliveries) is the regional team's.
REGIONAL_ROWS_SEEN = {Actor, Membership, User, Territory}
INVALID_CHOICE = "Sélectionnez un choix valide"


def the_date(month, day):
    return datetime.date(2021, month, day)


@pytest.fixture
def world():
    setup_roles()
    load_forum()
    territories = {
        "nord": Territory.objects.get(slug="nord"),
        "somme": Territory.objects.get(slug="somme"),
        "region": region(),
    }
    users = {
        role: staff_member(
            username,
            MANAGERS if role.endswith("manager") else AGENTS,
            territory=territories.get(home),
        )
        for role, (username, home) in ROLES.items()
        if home != "rien"
    }
    users["unattached"] = UserFactory(username="agent.sans.territoire", is_staff=True)
    users["unattached"].groups.add(Group.objects.get(name=AGENTS))
    measure = Measure.objects.get(slug="places-hebergement-urgence")
    regional_actor = ActorFactory(
        name="Témoin Fédération régionale", territory=territories["region"]
    )
    regional_contact = UserFactory(username="referent.region")
    sides = {}
    for side in SIDES:
        territory = territories[side]
        actor = ActorFactory(name=f"Témoin Association {territory.name}", territory=territory)
        contact = UserFactory(username=f"referent.{side}")
        membership = MembershipFactory(actor=actor, user=contact)
        commitment = CommitmentFactory(
            actor=actor,
            measure=measure,
            territory=territory,
            title=f"Témoin Engagement {territory.name}",
            planned_amount=PLANNED[side],
        )
        validated = commitment.report_delivery(
            amount=Decimal(10), date=the_date(2, 1), by=contact, comment=f"Témoin {side}"
        )
        validated.validate(by=users["regional_agent"])
        returned = commitment.report_delivery(amount=Decimal(20), date=the_date(3, 1), by=contact)
        returned.return_for_revision(by=users["regional_agent"], reason="À revoir")
        waiting = commitment.report_delivery(amount=Decimal(30), date=the_date(4, 1), by=contact)
        regional_commitment = CommitmentFactory(
            actor=regional_actor,
            measure=measure,
            territory=territory,
            title=f"Témoin Engagement régional {territory.name}",
            planned_amount=REGIONAL_PLANNED[side],
        )
        sides[side] = {
            "territory": territory,
            "actor": actor,
            "contact": contact,
            "membership": membership,
            "commitment": commitment,
            "regional_commitment": regional_commitment,
            "validated": validated,
            "returned": returned,
            "waiting": waiting,
        }
    region_commitment = Commitment.objects.filter(territory=territories["region"]).first()
    region_delivery = Delivery.objects.filter(commitment__territory=territories["region"]).first()
    # A campaign open on every commitment of 2020 and 2021: a report per commitment.
    campaign = Campaign.objects.create(
        title="Bilan des années 2020 et 2021",
        period_start=datetime.date(2020, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        opens_on=timezone.localdate(),
        deadline=timezone.localdate() + datetime.timedelta(days=30),
    )
    campaign.open(by=users["regional_agent"])
    reports = {r.commitment_id: r for r in ExpectedReport.objects.filter(campaign=campaign)}
    attempt = {"ip_address": "192.0.2.1", "user_agent": "test", "path_info": "/admin/login/"}
    AccessAttempt.objects.create(username="referent.somme", failures_since_start=1, **attempt)
    AccessLog.objects.create(username="referent.somme", **attempt)
    AccessFailureLog.objects.create(username="referent.somme", **attempt)
    failures = {
        place: MailFailure.objects.create(
            subject=f"Relance {place}",
            recipients=f"referent.{place}@exemple.invalid",
            error="SMTPServerDisconnected",
            attempts=4,
            territory=territories[place],
        )
        for place in ("nord", "somme", "region")
    }
    # Each model's rows, by where they lie: "nord", "somme", "region" (a regional row),
    # "staff" (a member of staff's account) or "any" (a row of no territory).
    places = {
        Territory: {place: territories[place] for place in ("nord", "somme", "region")},
        Actor: {side: sides[side]["actor"] for side in SIDES} | {"region": regional_actor},
        Membership: {side: sides[side]["membership"] for side in SIDES}
        | {"region": MembershipFactory(actor=regional_actor, user=regional_contact)},
        Commitment: {side: sides[side]["commitment"] for side in SIDES}
        | {f"{side}.regional": sides[side]["regional_commitment"] for side in SIDES}
        | {"region": region_commitment},
        Delivery: {
            f"{side}.{status}": sides[side][status]
            for side in SIDES
            for status in ("validated", "returned", "waiting")
        }
        | {"region": region_delivery},
        ExpectedReport: {side: reports[sides[side]["commitment"].pk] for side in SIDES}
        | {f"{side}.regional": reports[sides[side]["regional_commitment"].pk] for side in SIDES}
        | {"region": reports[region_commitment.pk]},
        User: {side: sides[side]["contact"] for side in SIDES}
        | {"region": regional_contact, "staff": users["somme_agent"]},
        MailFailure: failures,
    }
    for model in admin.site._registry:
        if model not in places:
            first = model._default_manager.order_by("pk").first()
            places[model] = {"any": first} if first is not None else {}
    return {"users": users, "sides": sides, "territories": territories, "places": places}


def home_of(role):
    return ROLES[role][1]


def is_regional(role):
    return home_of(role) is None


def visible(role, model, place):
    """Whether the role sees a row of `model` lying in `place`."""
    home, where = home_of(role), place.split(".")[0]
    if home is None or model not in SCOPED | {Territory} or where == "any":
        return True
    if home == "rien":
        return model not in SCOPED
    if where == "region":
        return model in REGIONAL_ROWS_SEEN
    if where == "staff":
        return False
    return where == home or model is Territory


def editable(role, model, place):
    """Whether the role's scope lets it change that row (its permissions aside)."""
    model_admin = admin.site._registry[model]
    if is_regional(role):
        return True
    if getattr(model_admin, "regional_edits_only", False):
        return False
    if model in (Actor, Membership):  # a regional actor is the regional team's
        return place.split(".")[0] == home_of(role)
    return visible(role, model, place)


def base_role(role):
    """The role of test_permission_matrix with the same permissions."""
    return "manager" if role.endswith("manager") else "agent"


def expected_status(model, page, role, place=None):
    base = admin_expectation(model, page, base_role(role))
    if page == "add" and model in AXES:
        base = 403  # access attempts are written by django-axes alone
    if is_regional(role):
        return base
    if model in AXES:
        return 403  # the lockouts name every account: the regional team's
    if getattr(admin.site._registry[model], "regional_edits_only", False):
        return 403 if page in ("add", "delete") else base
    scoped = isinstance(admin.site._registry[model], ScopedAdminMixin)
    if role == "unattached" and page in ("add", "import", "delete") and scoped:
        # Attached to nothing: nothing to add, import or delete, whatever the row.
        return 403
    if place is None:  # changelist, add, import
        return base
    if not visible(role, model, place):
        if page in ("history", "version"):
            return 404
        # The admin asks for the permission before it looks for the row.
        return 404 if base == 200 else 403
    if page == "delete" and not editable(role, model, place):
        return 403
    return base


def may_change(model, role, place):
    """On a change page answered 200: whether it is a form (or read only)."""
    if model is MailFailure:
        return False  # read only: the application writes it
    has_permission = base_role(role) == "agent" and model._meta.app_label in {
        "strategy",
        "actors",
        "commitments",
    }
    return has_permission and editable(role, model, place)


def admin_pages(world):
    """(model, page, place, address): every admin page of every registered model, for
    every row of the world."""
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        yield model, "changelist", None, reverse(f"{prefix}_changelist")
        yield model, "add", None, reverse(f"{prefix}_add")
        if hasattr(model_admin, "import_view"):
            yield model, "import", None, reverse(f"{prefix}_import")
        for place, obj in world["places"][model].items():
            for page in ("change", "history", "delete"):
                yield model, page, place, reverse(f"{prefix}_{page}", args=[obj.pk])
            if hasattr(model, "history"):
                version = obj.history.order_by("history_id").first()
                args = [obj.pk, version.history_id]
                yield model, "version", place, reverse(f"{prefix}_simple_history", args=args)


def witnesses(side):
    """What names a side's rows on a page."""
    name = Territory.objects.get(slug=side).name
    return [
        f"Témoin Association {name}",
        f"Témoin Engagement {name}",
        f"Témoin Engagement régional {name}",
        f"referent.{side}",
        f"agent.{side}",
    ]


def listed(response):
    return {obj.pk for obj in response.context["cl"].result_list}


def test_the_world_has_rows_in_each_territory_for_every_scoped_model(world):
    for model in SCOPED:
        assert {"nord", "somme", "region"} <= {p.split(".")[0] for p in world["places"][model]}
    assert {model for model in admin.site._registry if world["places"][model]} >= SCOPED | AXES


@pytest.mark.parametrize("role", list(ROLES))
def test_every_admin_page_answers_each_territorys_staff_as_expected(client, world, role):
    client.force_login(world["users"][role])
    checked = 0
    for model, page, place, address in admin_pages(world):
        expected = expected_status(model, page, role, place)
        response = client.get(address)
        label = (model._meta.label, page, place, role)
        assert response.status_code == expected, (*label, response.status_code)
        if expected == 200 and home_of(role) in SIDES:
            # Nothing of the other département on any page: not a name, not a filter.
            content = response.content.decode()
            for witness in witnesses(OTHER[home_of(role)]):
                assert witness not in content, (*label, witness)
        if page == "change" and expected == 200:
            editable_now = response.context["has_change_permission"]
            assert editable_now == may_change(model, role, place), label
        if page == "changelist" and expected == 200 and model in SCOPED | {Territory}:
            shown = listed(response)
            for where, obj in world["places"][model].items():
                assert (obj.pk in shown) == visible(role, model, where), (*label, where)
            if home_of(role) == "rien" and model in SCOPED:
                assert shown == set(), label
        checked += 1
    assert checked == len(list(admin_pages(world))) >= 150


@pytest.mark.parametrize(("role", "other"), [("nord_agent", "somme"), ("somme_agent", "nord")])
def test_a_departments_admin_lists_hold_nothing_of_the_other_department(client, world, role, other):
    client.force_login(world["users"][role])
    theirs = world["sides"][other]
    checks = {
        Commitment: [theirs["commitment"], theirs["regional_commitment"]],
        Delivery: [theirs["validated"], theirs["returned"], theirs["waiting"]],
        Actor: [theirs["actor"]],
        Membership: [theirs["membership"]],
        User: [theirs["contact"], world["users"][f"{other}_agent"]],
    }
    for model, rows in checks.items():
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        shown = listed(client.get(changelist))
        assert shown, model
        assert not shown & {row.pk for row in rows}, model
        # Nor once searched for by name.
        assert not listed(client.get(changelist, {"q": "Témoin " + other})) & {
            row.pk for row in rows
        }
    # The review queue counts only its own waiting deliveries.
    queue = client.get(reverse("admin:commitments_delivery_changelist"), {"examen": "en-attente"})
    mine = world["sides"][OTHER[other]]["waiting"]
    assert listed(queue) == {mine.pk}
    assert "1 réalisation à examiner" in text_of(client.get(reverse("admin:index")))


def test_the_totals_of_measures_and_actors_count_only_the_departments_commitments(client, world):
    measure = Measure.objects.get(slug="places-hebergement-urgence")
    regional_actor = world["places"][Actor]["region"]
    client.force_login(world["users"]["nord_agent"])
    for model, obj in ((Measure, measure), (Actor, regional_actor)):
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        text = text_of(client.get(reverse(f"{prefix}_change", args=[obj.pk])))
        planned = PLANNED["nord"] + REGIONAL_PLANNED["nord"] if model is Measure else Decimal(2222)
        assert f"{planned:,}".replace(",", " ") in text, model
        assert "8 888" not in text and "Témoin Engagement régional Somme" not in text, model


# Actions of the changelists, posted with the other territory's rows.


def snapshot(world, side):
    """Every row of a side, as the database holds it."""
    rows = world["sides"][side]
    return {
        key: model_to_dict(type(obj)._default_manager.get(pk=obj.pk))
        for key, obj in rows.items()
        if key != "territory"
    }


def post_action(client, model, action, selected, **extra):
    changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return client.post(
        changelist,
        {"action": action, "_selected_action": [obj.pk for obj in selected], **extra},
    )


def csv_text(response):
    return b"".join(response.streaming_content).decode("utf-8-sig")


@pytest.mark.parametrize(("role", "other"), [("nord_agent", "somme"), ("somme_agent", "nord")])
def test_changelist_actions_on_the_other_departments_rows_change_nothing(
    client, world, on_commit, role, other
):
    client.force_login(world["users"][role])
    mine, theirs = world["sides"][OTHER[other]], world["sides"][other]
    before = snapshot(world, other)
    extra_waiting = mine["commitment"].report_delivery(
        amount=Decimal(5), date=the_date(5, 1), by=mine["contact"]
    )
    with on_commit():
        # Each selection holds one row of one's own: it is acted on, the other not.
        post_action(client, Delivery, "validate_deliveries", [mine["waiting"], theirs["waiting"]])
        post_action(
            client,
            Delivery,
            "return_deliveries",
            [extra_waiting, theirs["waiting"]],
            apply="1",
            reason="Pièce justificative manquante",
        )
        post_action(
            client, Delivery, "delete_selected", [mine["returned"], theirs["returned"]], post="yes"
        )
        post_action(client, Commitment, "delete_selected", [theirs["commitment"]], post="yes")
        post_action(client, Actor, "delete_selected", [theirs["actor"]], post="yes")
        post_action(client, Membership, "delete_selected", [theirs["membership"]], post="yes")
        post_action(
            client,
            Membership,
            "resend_invitations",
            [mine["membership"], theirs["membership"]],
        )
    mine["waiting"].refresh_from_db()
    extra_waiting.refresh_from_db()
    assert mine["waiting"].status == Delivery.Status.VALIDATED
    assert extra_waiting.status == Delivery.Status.RETURNED
    assert not Delivery.objects.filter(pk=mine["returned"].pk).exists()
    assert snapshot(world, other) == before
    recipients = [address for message in mail.outbox for address in message.to]
    assert mine["contact"].email in recipients
    assert theirs["contact"].email not in recipients


@pytest.mark.parametrize(("role", "other"), [("nord_agent", "somme"), ("somme_agent", "nord")])
def test_exporting_a_selection_leaves_out_the_other_departments_rows(client, world, role, other):
    client.force_login(world["users"][role])
    mine, theirs = world["sides"][OTHER[other]], world["sides"][other]
    selections = {
        Commitment: ([mine["commitment"], theirs["commitment"]], "commitment"),
        Delivery: ([mine["validated"], theirs["validated"], theirs["waiting"]], "commitment"),
        Actor: ([mine["actor"], theirs["actor"]], "actor"),
    }
    for model, (selected, named) in selections.items():
        response = post_action(client, model, "export_selection", selected)
        assert response.status_code == 200, model
        text = csv_text(response)
        assert str(mine[named]) in text, model
        assert str(theirs[named]) not in text, model
        assert theirs["territory"].name not in text, model


@pytest.mark.parametrize(("role", "other"), [("nord_agent", "somme"), ("somme_agent", "nord")])
def test_the_review_desk_of_the_other_departments_delivery_is_not_found(
    client, world, on_commit, role, other
):
    client.force_login(world["users"][role])
    mine, theirs = world["sides"][OTHER[other]], world["sides"][other]
    before = snapshot(world, other)
    with on_commit():
        for name in ("validate", "return"):
            address = reverse(f"admin:commitments_delivery_{name}", args=[theirs["waiting"].pk])
            assert client.get(address).status_code == (405 if name == "validate" else 404)
            # With what the desk would post (the version shown): refused all the same.
            seen = {"seen": declared_version(Delivery.objects.get(pk=theirs["waiting"].pk))}
            posted = client.post(address, {"reason": "Hors de mon territoire"} | seen)
            assert posted.status_code == 404, name
        # Its own, the same way: validated.
        own = reverse("admin:commitments_delivery_validate", args=[mine["waiting"].pk])
        seen = {"seen": declared_version(Delivery.objects.get(pk=mine["waiting"].pk))}
        assert client.post(own, seen).status_code == 302
    assert snapshot(world, other) == before
    mine["waiting"].refresh_from_db()
    assert mine["waiting"].status == Delivery.Status.VALIDATED
    assert not any(theirs["contact"].email in message.to for message in mail.outbox)


AUTOCOMPLETES = [
    ("commitments", "commitment", "territory"),
    ("commitments", "commitment", "actor"),
    ("commitments", "delivery", "commitment"),
    ("actors", "membership", "user"),
    ("actors", "actor", "territory"),
]


def autocomplete(client, app_label, model_name, field_name, status=200):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": app_label, "model_name": model_name, "field_name": field_name},
    )
    assert response.status_code == status, (model_name, field_name)
    if status != 200:
        return set()
    return {int(result["id"]) for result in json.loads(response.content)["results"]}


@pytest.mark.parametrize("role", ["nord_agent", "nord_manager", "somme_agent", "regional_agent"])
def test_autocompletes_offer_nothing_of_the_other_department(client, world, role):
    client.force_login(world["users"][role])
    home = home_of(role)
    sides = world["sides"]

    def rows(side):
        return {
            "territory": {sides[side]["territory"].pk},
            "actor": {sides[side]["actor"].pk},
            "commitment": {sides[side]["commitment"].pk, sides[side]["regional_commitment"].pk},
            "user": {sides[side]["contact"].pk},
        }

    for app_label, model_name, field_name in AUTOCOMPLETES:
        if field_name == "user" and role == "nord_manager":
            # Managers read no accounts: they are offered none, of any territory.
            autocomplete(client, app_label, model_name, field_name, status=403)
            continue
        offered = autocomplete(client, app_label, model_name, field_name)
        for side in SIDES:
            expected = home is None or side == home
            assert (rows(side)[field_name] <= offered) == expected, (field_name, side)
            assert not (not expected and rows(side)[field_name] & offered), (field_name, side)
        region = world["territories"]["region"].pk
        if field_name == "territory":
            assert (region in offered) == (home is None)
        if field_name == "user" and home is not None:
            # Nor the accounts of staff, its colleagues of the other département included.
            assert world["users"][f"{OTHER[home]}_agent"].pk not in offered


def test_the_invitation_form_offers_only_the_actors_the_agent_may_change(client, world):
    client.force_login(world["users"]["nord_agent"])
    offered = autocomplete(client, "actors", "membership", "actor")
    assert world["sides"]["nord"]["actor"].pk in offered
    assert world["places"][Actor]["region"].pk not in offered  # the regional team's
    assert world["sides"]["somme"]["actor"].pk not in offered
    # Where a commitment is made, a regional actor is still offered.
    assert world["places"][Actor]["region"].pk in autocomplete(
        client, "commitments", "commitment", "actor"
    )


def test_an_unattached_member_of_staff_is_offered_nothing(client, world):
    client.force_login(world["users"]["unattached"])
    for app_label, model_name, field_name in AUTOCOMPLETES:
        assert autocomplete(client, app_label, model_name, field_name) == set()


# Reports


def report_text(response):
    if response["Content-Type"].startswith("text/csv"):
        return csv_text(response)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        "\t".join("" if cell is None else str(cell) for cell in row)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


def report_addresses():
    for name in EXPORTERS:
        for extension in ("csv", "xlsx"):
            yield name, extension, reverse(f"reports:{extension}", args=[name])


@pytest.mark.parametrize("role", ["nord_agent", "nord_manager"])
def test_a_departments_reports_hold_nothing_of_the_other_department(client, world, role):
    client.force_login(world["users"][role])
    page = client.get(reverse("reports:index"))
    assert page.status_code == 200
    assert "Somme" not in text_of(page)
    for name, extension, address in report_addresses():
        response = client.get(address)
        assert response.status_code == 200, (name, extension)
        text = report_text(response)
        assert "Somme" not in text, (name, extension)
        assert "7777" not in text.replace(" ", "") and "8888" not in text, (name, extension)
        if name == "synthese":
            assert "3333" in text.replace(" ", "").replace("\u202f", ""), extension
        else:
            assert "Témoin" in text and "Nord" in text, (name, extension)


@pytest.mark.parametrize("role", ["nord_agent", "nord_manager"])
def test_asking_a_report_of_another_department_is_refused_in_french(client, world, role):
    client.force_login(world["users"][role])
    page = client.get(reverse("reports:index"), {"territory": "somme"})
    assert page.status_code == 400
    assert INVALID_CHOICE in text_of(page)
    for name, extension, address in report_addresses():
        response = client.get(address, {"territory": "somme"})
        assert response.status_code == 400, (name, extension)
        message = response.content.decode()
        assert message.startswith("Requête invalide : Territoire"), message
        assert INVALID_CHOICE in message
    # Its own territory, and what it contains, are accepted.
    for slug in ("nord", "metropole-europeenne-de-lille"):
        own = client.get(reverse("reports:csv", args=["engagements"]), {"territory": slug})
        assert own.status_code == 200, slug


def test_the_regional_team_sees_both_departments_in_every_report(client, world):
    client.force_login(world["users"]["regional_agent"])
    for name, extension, address in report_addresses():
        text = report_text(client.get(address))
        assert "Nord" in text and "Somme" in text, (name, extension)
    somme = client.get(reverse("reports:csv", args=["engagements"]), {"territory": "somme"})
    assert somme.status_code == 200
    text = csv_text(somme)
    assert "Témoin Engagement Somme" in text and "Témoin Engagement Nord" not in text


def test_an_unattached_member_of_staff_gets_empty_reports(client, world):
    client.force_login(world["users"]["unattached"])
    assert client.get(reverse("reports:index")).status_code == 200
    for name, extension, address in report_addresses():
        response = client.get(address)
        assert response.status_code == 200, (name, extension)
        text = report_text(response)
        assert "Témoin" not in text and "Hauts-de-France" not in text, (name, extension)
        if extension == "csv" and name != "synthese":
            assert len(list(csv.reader(io.StringIO(text), delimiter=";"))) == 1, name


# A change form that moves a row to the other département, an add form that puts one there


def moves(world):
    nord, somme = world["sides"]["nord"], world["sides"]["somme"]
    return {
        "commitment": (nord["commitment"], "territory", somme["territory"]),
        "actor": (nord["actor"], "territory", somme["territory"]),
    }


@pytest.mark.parametrize("what", ["commitment", "actor"])
def test_moving_a_row_to_the_other_department_is_refused_in_french(client, world, what):
    obj, field, elsewhere = moves(world)[what]
    model = type(obj)
    client.force_login(world["users"]["nord_agent"])
    names = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    address = reverse(f"{names}_change", args=[obj.pk])
    values = form_values(client.get(address), field)
    before = model_to_dict(model._default_manager.get(pk=obj.pk))
    response = client.post(address, values | {field: str(elsewhere.pk)})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert INVALID_CHOICE in " ".join(errors.get(field, [])), errors
    assert model_to_dict(model._default_manager.get(pk=obj.pk)) == before
    # The same form, untouched, is saved: the other département was its only fault.
    assert client.post(address, values).status_code == 302


def test_adding_a_delivery_to_the_other_departments_commitment_is_refused_in_french(client, world):
    nord, somme = world["sides"]["nord"], world["sides"]["somme"]
    client.force_login(world["users"]["nord_agent"])
    address = reverse("admin:commitments_delivery_add")
    values = form_values(client.get(address), "date") | {
        "date": "01/06/2021",
        "amount": "5",
    }
    count = somme["commitment"].deliveries.count()
    response = client.post(address, values | {"commitment": str(somme["commitment"].pk)})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert INVALID_CHOICE in " ".join(errors.get("commitment", [])), errors
    assert somme["commitment"].deliveries.count() == count
    # On its own commitment, the same form is saved.
    before = nord["commitment"].deliveries.count()
    response = client.post(address, values | {"commitment": str(nord["commitment"].pk)})
    assert response.status_code == 302
    assert nord["commitment"].deliveries.count() == before + 1

"""The staff side of reporting campaigns, in the admin: the regional team creates, opens,
closes and reopens a campaign; every team reads its completeness on its own territory
and reviews its own expected reports; bad input gets French messages and writes nothing."""

import csv
import datetime
import io

import pytest
from django.core import mail
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from actors.models import Actor
from actors.roles import AGENTS, MANAGERS
from commitments.models import Campaign, ExpectedReport
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    MembershipFactory,
    TerritoryFactory,
    UserFactory,
    region,
    staff_member,
)
from tests.helpers import count_queries, text_of

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def changelist():
    return reverse("admin:commitments_expectedreport_changelist")


def page(campaign):
    return reverse("admin:commitments_campaign_change", args=[campaign.pk])


def steer(campaign, name):
    return reverse(f"admin:commitments_campaign_{name}", args=[campaign.pk])


def report_url(report, name):
    return reverse(f"admin:commitments_expectedreport_{name}", args=[report.pk])


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def world(roles):
    home = region()
    nord = TerritoryFactory(name="Nord", slug="nord-t", parent=home)
    somme = TerritoryFactory(name="Somme", slug="somme-t", parent=home)
    sides = {}
    for territory in (nord, somme):
        actor = ActorFactory(
            name=f"Association {territory.name}", territory=territory, kind=Actor.Kind.ASSOCIATION
        )
        contact = MembershipFactory(
            actor=actor,
            user=UserFactory(username=f"ref.{territory.name}", email=f"ref@{territory.slug}.fr"),
        ).user
        sides[territory.name] = {
            "territory": territory,
            "actor": actor,
            "contact": contact,
            "commitments": [
                CommitmentFactory(actor=actor, title=f"Engagement {territory.name} {n}")
                for n in range(2)
            ],
        }
    return {
        "sides": sides,
        "regional": staff_member("agent.region", AGENTS),
        "nord_agent": staff_member("agent.nord", AGENTS, territory=nord),
        "manager": staff_member("gestionnaire", MANAGERS),
    }


def new_campaign(**kwargs):
    values = {
        "title": "Bilan 2021",
        "period_start": datetime.date(2021, 1, 1),
        "period_end": datetime.date(2021, 12, 31),
        "opens_on": TODAY,
        "deadline": TODAY + 10 * DAY,
    } | kwargs
    return Campaign.objects.create(**values)


def form_data(**kwargs):
    return {
        "title": "Bilan 2021",
        "period_start": "01/01/2021",
        "period_end": "31/12/2021",
        "opens_on": f"{TODAY:%d/%m/%Y}",
        "deadline": f"{TODAY + 10 * DAY:%d/%m/%Y}",
        "actor_kinds": ["association"],
        "reminder_days": "14, 3",
    } | kwargs


def figures(client, campaign):
    """The completeness page's total line, as text."""
    response = client.get(page(campaign))
    assert response.status_code == 200
    return response.context["completeness"]


def counts(row):
    return tuple(row[name] for name in ("expected", "submitted", "accepted", "returned", "late"))


# Creating and steering: the regional team


def test_the_regional_team_creates_a_campaign_with_its_scope(client, world):
    client.force_login(world["regional"])
    response = client.post(reverse("admin:commitments_campaign_add"), form_data())
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign = Campaign.objects.get()
    assert campaign.actor_kinds == ["association"] and campaign.reminder_days == [14, 3]
    assert campaign.state == Campaign.State.DRAFT


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"deadline": f"{TODAY - DAY:%d/%m/%Y}"}, "La date limite précède la date d'ouverture."),
        ({"period_end": "01/01/2020"}, "La période se termine avant de commencer."),
        ({"actor_kinds": ["martiens"]}, "Sélectionnez un choix valide"),
        ({"reminder_days": "14, demain"}, "Des nombres de jours entre 1 et 365"),
    ],
)
def test_bad_input_is_refused_in_french_and_nothing_saved(client, world, data, message):
    client.force_login(world["regional"])
    response = client.post(reverse("admin:commitments_campaign_add"), form_data(**data))
    assert response.status_code == 200
    assert message in text_of(response)
    assert not Campaign.objects.exists()


def test_open_close_and_reopen_with_the_figures_at_each_step(client, world, on_commit):
    client.force_login(world["regional"])
    nord, somme = world["sides"]["Nord"], world["sides"]["Somme"]
    campaign = new_campaign()
    assert counts(figures(client, campaign)["total"]) == (0, 0, 0, 0, 0)
    # Only a POST opens.
    assert client.get(steer(campaign, "open")).status_code == 405
    response = client.post(steer(campaign, "open"), follow=True)
    assert "La campagne « Bilan 2021 » est ouverte : 4 déclarations attendues." in messages_of(
        response
    )
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.OPEN
    table = figures(client, campaign)
    assert counts(table["total"]) == (4, 0, 0, 0, 0)
    assert [row["commitment__territory__name"] for row in table["by_territory"]] == [
        "Nord",
        "Somme",
    ]
    # Opening twice: refused, nothing more expected.
    response = client.post(steer(campaign, "open"), follow=True)
    assert any("Seule une campagne en brouillon s'ouvre" in m for m in messages_of(response))
    assert ExpectedReport.objects.count() == 4
    # The scope is read only once opened: a post of other kinds changes nothing.
    client.post(page(campaign), form_data(actor_kinds=["commune"], title="Bilan 2021 bis"))
    campaign.refresh_from_db()
    assert campaign.actor_kinds == [] and campaign.title == "Bilan 2021 bis"

    # Submit, accept, return.
    first, second = (
        ExpectedReport.objects.get(commitment=commitment) for commitment in nord["commitments"]
    )
    for report in (first, second):
        report.submit(by=nord["contact"], narrative="Rien cette année", nothing_delivered=True)
    nord_row = figures(client, campaign)["by_territory"][0]
    assert counts(nord_row) == (2, 2, 0, 0, 0) and nord_row["rate_display"] == "100\xa0%"
    with on_commit():
        client.post(report_url(first, "accept"))
        client.post(report_url(second, "return"), {"reason": "Précisez le public accueilli"})
    table = figures(client, campaign)
    assert counts(table["by_territory"][0]) == (2, 0, 1, 1, 0)
    assert table["by_territory"][0]["rate_display"] == "50\xa0%"
    assert counts(table["total"]) == (4, 0, 1, 1, 0) and table["total"]["rate_display"] == "25\xa0%"
    assert sorted(m.subject for m in mail.outbox) == [
        f"Déclaration acceptée : Bilan 2021 bis — {first.commitment}",
        f"Déclaration à corriger : Bilan 2021 bis — {second.commitment}",
    ]
    assert all(m.to == [nord["contact"].email] for m in mail.outbox)

    # Past the deadline: the returned and the expected ones are late.
    Campaign.objects.filter(pk=campaign.pk).update(deadline=TODAY - DAY, opens_on=TODAY - 5 * DAY)
    table = figures(client, campaign)
    assert counts(table["total"]) == (4, 0, 1, 1, 3)
    late = {row["commitment__actor__name"]: row for row in table["late_actors"]}
    assert late["Association Somme"]["emails"] == ["ref@somme-t.fr"]
    text = text_of(client.get(page(campaign)))
    assert "Association Somme : 2 déclarations en retard — ref@somme-t.fr" in text
    assert reverse("admin:actors_actor_change", args=[somme["actor"].pk]) in (
        client.get(page(campaign)).content.decode()
    )

    # Close, then reopen for the Somme's actor.
    response = client.post(steer(campaign, "close"), follow=True)
    assert any("est close" in m for m in messages_of(response))
    reopen = {"actor": somme["actor"].pk, "deadline": f"{TODAY - DAY:%d/%m/%Y}"}
    response = client.post(steer(campaign, "reopen"), reopen, follow=True)
    assert "Rien n'a été rouvert : La nouvelle date limite est déjà passée." in messages_of(
        response
    )
    assert not ExpectedReport.objects.filter(reopened_until__isnull=False).exists()
    response = client.post(
        steer(campaign, "reopen"), {"actor": 999999, "deadline": ""}, follow=True
    )
    assert any("Rien n'a été rouvert" in m for m in messages_of(response))
    reopen["deadline"] = f"{TODAY + 7 * DAY:%d/%m/%Y}"
    response = client.post(steer(campaign, "reopen"), reopen, follow=True)
    assert (
        "La campagne « Bilan 2021 bis » est rouverte pour « Association Somme » jusqu'au "
        f"{TODAY + 7 * DAY:%d/%m/%Y} : 2 déclarations rouvertes, 1 référent prévenu."
        in messages_of(response)
    )
    assert set(
        ExpectedReport.objects.filter(reopened_until=TODAY + 7 * DAY).values_list(
            "commitment__actor", flat=True
        )
    ) == {somme["actor"].pk}
    # Reopened: no longer late; the Nord's returned one still is.
    assert counts(figures(client, campaign)["total"]) == (4, 0, 1, 1, 1)


def test_an_opened_campaign_is_not_deleted_a_draft_is(client, world):
    client.force_login(world["regional"])
    opened, draft = new_campaign(), new_campaign(title="Brouillon")
    opened.open(by=world["regional"])
    assert (
        client.get(reverse("admin:commitments_campaign_delete", args=[opened.pk])).status_code
        == 403
    )
    assert (
        client.get(reverse("admin:commitments_campaign_delete", args=[draft.pk])).status_code == 200
    )


# Who may do what


def test_departmental_staff_and_managers_read_campaigns_and_steer_none(client, world):
    campaign = new_campaign()
    for role in ("nord_agent", "manager"):
        client.force_login(world[role])
        response = client.get(page(campaign))
        assert response.status_code == 200
        assert not response.context["has_change_permission"]
        assert "Ouvrir la campagne" not in response.content.decode()
        for name in ("open", "close", "reopen"):
            assert client.post(steer(campaign, name)).status_code == 403, (role, name)
        assert client.get(reverse("admin:commitments_campaign_add")).status_code == 403
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


def test_contacts_and_strangers_get_the_login_page(client, world):
    campaign = new_campaign()
    campaign.open(by=world["regional"])
    report = ExpectedReport.objects.first()
    addresses = [
        page(campaign),
        reverse("admin:commitments_campaign_completeness", args=[campaign.pk, "csv"]),
        report_url(report, "change"),
        changelist(),
    ]
    for user in (world["sides"]["Nord"]["contact"], None):
        client.logout()
        if user:
            client.force_login(user)
        for address in addresses:
            response = client.get(address)
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
        response = client.post(steer(campaign, "close"))
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.OPEN


def test_a_nord_agent_sees_only_the_nords_reports_and_figures(client, world, on_commit):
    campaign = new_campaign()
    campaign.open(by=world["regional"])
    nord, somme = world["sides"]["Nord"], world["sides"]["Somme"]
    theirs = ExpectedReport.objects.filter(commitment__actor=somme["actor"]).first()
    theirs.submit(by=somme["contact"], narrative="Rien", nothing_delivered=True)
    client.force_login(world["nord_agent"])
    listed = client.get(changelist()).context["cl"].result_list
    assert {r.commitment.actor_id for r in listed} == {nord["actor"].pk}
    table = figures(client, campaign)
    assert [row["commitment__territory__name"] for row in table["by_territory"]] == ["Nord"]
    assert counts(table["total"]) == (2, 0, 0, 0, 0)
    assert "Somme" not in text_of(client.get(page(campaign))).replace("Complétude", "")
    # Another territory's report: not found, and not reviewed.
    assert client.get(report_url(theirs, "change")).status_code == 404
    with on_commit():
        assert client.post(report_url(theirs, "accept")).status_code == 404
        response = client.post(
            changelist(), {"action": "accept_reports", "_selected_action": [theirs.pk]}
        )
    theirs.refresh_from_db()
    assert theirs.status == ExpectedReport.Status.SUBMITTED and not mail.outbox
    # Its own are reviewed by it.
    mine = ExpectedReport.objects.filter(commitment__actor=nord["actor"]).first()
    mine.submit(by=nord["contact"], narrative="Rien", nothing_delivered=True)
    desk = client.get(report_url(mine, "change"))
    assert "Accepter" in desk.content.decode() and "Rien cette" not in desk.content.decode()
    with on_commit():
        response = client.post(
            changelist(),
            {"action": "return_reports", "_selected_action": [mine.pk], "apply": "1", "reason": ""},
        )
        assert response.status_code == 200  # the reason is asked for
        mine.refresh_from_db()
        assert mine.status == ExpectedReport.Status.SUBMITTED
        client.post(
            changelist(),
            {
                "action": "return_reports",
                "_selected_action": [mine.pk],
                "apply": "1",
                "reason": "Chiffres manquants",
            },
        )
    mine.refresh_from_db()
    assert mine.status == ExpectedReport.Status.RETURNED
    assert mine.return_reason == "Chiffres manquants"
    assert [m.to for m in mail.outbox] == [[nord["contact"].email]]


def test_a_manager_reads_reports_and_reviews_none(client, world):
    campaign = new_campaign()
    campaign.open(by=world["regional"])
    nord = world["sides"]["Nord"]
    report = ExpectedReport.objects.filter(commitment__actor=nord["actor"]).first()
    report.submit(by=nord["contact"], narrative="Rien", nothing_delivered=True)
    client.force_login(world["manager"])
    response = client.get(report_url(report, "change"))
    assert response.status_code == 200 and "desk" not in response.context
    assert client.post(report_url(report, "accept")).status_code == 403
    assert client.post(report_url(report, "return"), {"reason": "Non"}).status_code == 403
    report.refresh_from_db()
    assert report.status == ExpectedReport.Status.SUBMITTED


def test_review_refusals_are_french_and_write_nothing(client, world):
    campaign = new_campaign()
    campaign.open(by=world["regional"])
    report = ExpectedReport.objects.first()
    client.force_login(world["regional"])
    before = model_to_dict(report)
    assert client.get(report_url(report, "accept")).status_code == 405
    response = client.post(report_url(report, "accept"), follow=True)
    assert any(
        "Seule une déclaration remise s'examine : celle-ci est « Attendue »." in m
        for m in messages_of(response)
    )
    report.submit(by=world["sides"]["Nord"]["contact"], narrative="x", nothing_delivered=True)
    response = client.post(report_url(report, "return"), {"reason": "  "}, follow=True)
    assert any("Rien n'a été renvoyé : Indiquez le motif" in m for m in messages_of(response))
    report.refresh_from_db()
    assert report.status == ExpectedReport.Status.SUBMITTED
    assert before["campaign"] == report.campaign_id
    # The change page edits nothing of it.
    assert client.post(report_url(report, "change"), {"narrative": "autre"}).status_code == 302
    report.refresh_from_db()
    assert report.narrative == "x"
    assert client.get(reverse("admin:commitments_expectedreport_add")).status_code == 403


def test_list_filters_late_and_awaiting_review(client, world):
    campaign = new_campaign(opens_on=TODAY - 5 * DAY, deadline=TODAY - DAY)
    campaign.open(by=world["regional"])
    nord = world["sides"]["Nord"]
    report = ExpectedReport.objects.filter(commitment__actor=nord["actor"]).first()
    Campaign.objects.filter(pk=campaign.pk).update(deadline=TODAY + DAY)
    report.submit(by=nord["contact"], narrative="x", nothing_delivered=True)
    Campaign.objects.filter(pk=campaign.pk).update(deadline=TODAY - DAY)
    client.force_login(world["regional"])
    late = client.get(changelist(), {"retard": "oui"}).context["cl"].result_list
    assert len(late) == 3 and report not in late
    waiting = client.get(changelist(), {"examen": "en-attente"}).context["cl"].result_list
    assert list(waiting) == [report]


# Downloads


def test_the_completeness_downloads_in_csv_and_xlsx_scoped(client, world):
    campaign = new_campaign()
    campaign.open(by=world["regional"])
    nord = world["sides"]["Nord"]
    report = ExpectedReport.objects.filter(commitment__actor=nord["actor"]).first()
    report.submit(by=nord["contact"], narrative="x", nothing_delivered=True)
    address = reverse("admin:commitments_campaign_completeness", args=[campaign.pk, "csv"])
    client.force_login(world["regional"])
    response = client.get(address)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows == [
        [
            "territoire",
            "acteur",
            "attendues",
            "remises_a_examiner",
            "acceptees",
            "renvoyees",
            "en_retard",
            "taux_remontee",
        ],
        # The Excel CSV writes rates as the page does: whole percentages.
        ["Nord", "Association Nord", "2", "1", "0", "0", "0", "50\xa0%"],
        ["Somme", "Association Somme", "2", "0", "0", "0", "0", "0\xa0%"],
    ]
    client.force_login(world["nord_agent"])
    response = client.get(address.replace(".csv", ".xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1:] == [["Nord", "Association Nord", 2, 1, 0, 0, 0, 0.5]]
    assert len(values) == 2
    assert client.get(address.replace(".csv", ".pdf")).status_code == 404


# Query counts


def grow(world, extra):
    """`extra` more actors, each with a commitment, in the Nord."""
    nord = world["sides"]["Nord"]["territory"]
    for n in range(extra):
        actor = ActorFactory(name=f"Acteur en plus {n}", territory=nord)
        MembershipFactory(actor=actor, user=UserFactory(username=f"plus{n}"))
        CommitmentFactory(actor=actor)


@pytest.mark.parametrize("role", ["regional", "nord_agent"])
def test_query_counts_of_the_campaign_page_and_the_report_list_do_not_grow(client, world, role):
    measured = []
    for extra in (0, 12):
        grow(world, extra)
        campaign = new_campaign(
            title=f"Bilan {extra}", opens_on=TODAY - 5 * DAY, deadline=TODAY - DAY
        )
        campaign.open(by=world["regional"])
        client.force_login(world[role])
        measured.append(
            (
                count_queries(client, page(campaign)),
                count_queries(client, changelist() + f"?campaign__id__exact={campaign.pk}"),
            )
        )
    assert measured[0] == measured[1], measured
    assert measured[0] == (12, 9), measured


def test_a_closed_campaign_is_said_close_not_fermer(client, world):
    campaign = new_campaign()
    campaign.open(by=world["regional"])
    campaign.close(by=world["regional"])
    client.force_login(world["regional"])
    listed = text_of(client.get(reverse("admin:commitments_campaign_changelist")))
    assert "Bilan 2021 " in listed and " Close " in listed
    assert "Fermer" not in listed and "Fermer" not in text_of(client.get(page(campaign)))

"""Reporting campaigns in the actor area: /espace/ shows first what is due, and each
expected report has its page, where the actor's contacts (and nobody else) submit it."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from commitments.models import Campaign, Evidence, ExpectedReport
from tests.factories import CommitmentFactory, UserFactory
from tests.helpers import count_queries, form_values, text_of, upload

pytestmark = pytest.mark.django_db

SPACE = reverse("space:home")
TODAY = timezone.localdate()
IN_PERIOD = datetime.date(2021, 6, 1)


def days(count):
    return TODAY + datetime.timedelta(days=count)


def open_campaign(agent, *, deadline=None, title="Bilan 2021", opens_on=None):
    campaign = Campaign.objects.create(
        title=title,
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        opens_on=opens_on or days(-30),
        deadline=deadline or days(3),
    )
    campaign.open(by=agent)
    return campaign


@pytest.fixture
def agent(db):
    return UserFactory(username="agent-campagne", is_staff=True)


@pytest.fixture
def commitment_a(actor_a):
    return CommitmentFactory(actor=actor_a, title="Places de A", year=2021)


@pytest.fixture
def report_a(commitment_a, agent):
    campaign = open_campaign(agent)
    return ExpectedReport.objects.get(campaign=campaign, commitment=commitment_a)


def address(report):
    return reverse("space:expected_report", args=[report.pk])


def fresh(report):
    return ExpectedReport.objects.get(pk=report.pk)


# Who reaches the page


def test_the_actor_s_contact_sees_the_report_and_others_get_404(
    client, report_a, contact_a, contact_b, staff_agent, manager
):
    client.force_login(contact_a)
    page = text_of(client.get(address(report_a)))
    assert "Déclaration attendue par la campagne « Bilan 2021 »" in page
    assert "Période couverte : du 01/01/2021 au 31/12/2021" in page
    assert f"Date limite de remise : {days(3):%d/%m/%Y} — J-3" in page
    assert "Remettre la déclaration" in page
    for other in (contact_b, staff_agent, manager):
        client.force_login(other)
        assert client.get(address(report_a)).status_code == 404, other
        assert client.post(address(report_a), {"narrative": "x"}).status_code == 404, other
    assert fresh(report_a).status == ExpectedReport.Status.EXPECTED
    assert client.get(reverse("space:expected_report", args=[999999])).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, report_a):
    for method in ("get", "post"):
        response = getattr(client, method)(address(report_a))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert fresh(report_a).status == ExpectedReport.Status.EXPECTED


# /espace/ shows first what is due


def test_the_area_shows_first_what_is_due_with_the_days_left(
    client, actor_a, actor_b, contact_both, contact_b, agent
):
    CommitmentFactory(actor=actor_a, title="Places de A", year=2021)
    CommitmentFactory(actor=actor_b, title="Repas de B", year=2021)
    CommitmentFactory(actor=actor_b, title="Hors campagne", year=2019)
    late = open_campaign(agent, title="Bilan tardif", deadline=days(-2), opens_on=days(-30))
    today = open_campaign(agent, title="Bilan du jour", deadline=TODAY)
    soon = open_campaign(agent, title="Bilan prochain", deadline=days(3))
    # A draft campaign asks nothing yet.
    Campaign.objects.create(
        title="Brouillon",
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        opens_on=TODAY,
        deadline=days(5),
    )
    assert (late.expected_reports.count(), today.expected_reports.count()) == (2, 2)
    soon.expected_reports.filter(commitment__title="Repas de B").get().submit(
        by=contact_b, nothing_delivered=True, narrative="Cuisine fermée"
    )
    client.force_login(contact_both)
    page = text_of(client.get(SPACE))
    assert page.index("Déclarations attendues") < page.index("Engagements de Association A")
    assert "2 déclarations en retard" in page
    assert "Brouillon" not in page and "Hors campagne J-" not in page
    rows = [
        "Places de A — Bilan tardif Association A Bilan tardif",
        f"{days(-2):%d/%m/%Y} en retard de 2 jours À remettre",
        f"{TODAY:%d/%m/%Y} dernier jour À remettre",
        f"{days(3):%d/%m/%Y} J-3 À remettre",
        f"Repas de B — Bilan prochain Association B Bilan prochain du 01/01/2021 au "
        f"31/12/2021 {days(3):%d/%m/%Y} — Remise, à examiner",
    ]
    positions = [page.index(row) for row in rows]
    assert positions == sorted(positions)


def test_a_contact_without_campaign_sees_the_area_as_before(client, contact_a, commitment_a):
    client.force_login(contact_a)
    page = text_of(client.get(SPACE))
    assert "Déclarations attendues" not in page
    assert "Places de A" in page


def test_a_closed_campaign_leaves_the_area_unless_reopened_for_the_actor(
    client, report_a, contact_a, agent, actor_a
):
    report_a.campaign.close(by=agent)
    client.force_login(contact_a)
    assert "Déclarations attendues" not in text_of(client.get(SPACE))
    report_a.campaign.reopen_for(actor_a, deadline=days(7), by=agent)
    assert "J-7" in text_of(client.get(SPACE))


# Submitting


def test_a_contact_submits_with_the_period_s_deliveries(client, report_a, contact_a, agent):
    client.force_login(contact_a)
    response = client.post(address(report_a), {"narrative": "Rien à signaler"}, follow=True)
    page = text_of(response)
    assert "Aucune réalisation n'est déclarée sur la période du 01/01/2021 au 31/12/2021" in page
    assert fresh(report_a).status == ExpectedReport.Status.EXPECTED
    report_a.commitment.report_delivery(amount=Decimal(12), date=IN_PERIOD, by=contact_a)
    report_a.commitment.report_delivery(
        amount=Decimal(3), date=datetime.date(2020, 6, 1), by=contact_a, confirmed=True
    )
    page = text_of(client.get(address(report_a)))
    assert "01/06/2021 12 € En attente de validation referent-a — Modifier ou retirer" in page
    assert "01/06/2020" not in page  # outside the period
    response = client.post(address(report_a), {"narrative": "Douze places ouvertes"}, follow=True)
    assert response.redirect_chain == [(address(report_a), 302)]
    page = text_of(response)
    assert "Déclaration remise : elle attend l'examen de la préfecture." in page
    assert "Remettre la déclaration" not in page
    report = fresh(report_a)
    assert (report.status, report.narrative, report.nothing_delivered, report.submitted_by) == (
        "submitted",
        "Douze places ouvertes",
        False,
        contact_a,
    )


def test_nothing_delivered_needs_a_comment(client, report_a, contact_a):
    client.force_login(contact_a)
    response = client.post(address(report_a), {"nothing_delivered": "on", "narrative": "  "})
    assert response.status_code == 200
    assert "Dites en quelques mots pourquoi rien n'a été réalisé." in text_of(response)
    assert fresh(report_a).status == ExpectedReport.Status.EXPECTED
    data = form_values(response, "narrative") | {"narrative": "Local indisponible"}
    response = client.post(address(report_a), data, follow=True)
    page = text_of(response)
    assert "Rien de réalisé sur la période. Local indisponible" in page
    report = fresh(report_a)
    assert (report.status, report.nothing_delivered) == ("submitted", True)


def test_a_narrative_too_long_is_refused_in_french(client, report_a, contact_a):
    client.force_login(contact_a)
    data = {"nothing_delivered": "on", "narrative": "x" * 4001}
    page = text_of(client.post(address(report_a), data)).replace("\N{NO-BREAK SPACE}", " ")
    assert "comporte au plus 4000 caractères (actuellement 4001)" in page
    assert fresh(report_a).status == ExpectedReport.Status.EXPECTED


def test_a_second_submission_says_so_and_changes_nothing(client, report_a, contact_a):
    client.force_login(contact_a)
    first = {"nothing_delivered": "on", "narrative": "Premier envoi"}
    client.post(address(report_a), first)
    submitted_at = fresh(report_a).submitted_at
    response = client.post(
        address(report_a), {"nothing_delivered": "on", "narrative": "Second envoi"}, follow=True
    )
    page = text_of(response)
    assert "Cette déclaration est remise : elle attend l'examen de la préfecture." in page
    assert "Rien n'a été modifié." in page
    report = fresh(report_a)
    assert (report.narrative, report.submitted_at) == ("Premier envoi", submitted_at)
    assert report.history.count() == 2  # created on opening, submitted once


def test_a_returned_report_shows_the_reason_and_is_submitted_again(
    client, report_a, contact_a, agent
):
    report_a.submit(by=contact_a, nothing_delivered=True, narrative="Local fermé")
    report_a.return_for_revision(by=agent, reason="Précisez la date de reprise")
    client.force_login(contact_a)
    response = client.get(address(report_a))
    page = text_of(response)
    assert "Motif : Précisez la date de reprise" in page
    assert "Remettre la déclaration" in page
    data = form_values(response, "narrative")
    assert data["narrative"] == "Local fermé" and data["nothing_delivered"] == "on"
    client.post(address(report_a), data | {"narrative": "Reprise en mars"})
    assert (fresh(report_a).status, fresh(report_a).narrative) == ("submitted", "Reprise en mars")


def test_an_accepted_report_shows_its_state_and_offers_nothing(client, report_a, contact_a, agent):
    report_a.submit(by=contact_a, nothing_delivered=True, narrative="Local fermé")
    report_a.accept(by=agent)
    client.force_login(contact_a)
    page = text_of(client.get(address(report_a)))
    assert "Déclaration acceptée" in page and "Remettre la déclaration" not in page
    response = client.post(
        address(report_a), {"nothing_delivered": "on", "narrative": "Autre"}, follow=True
    )
    assert "elle ne se modifie plus. Rien n'a été modifié." in text_of(response)
    assert fresh(report_a).narrative == "Local fermé"


def test_after_closure_the_page_says_so_and_offers_nothing(client, report_a, contact_a, agent):
    report_a.commitment.report_delivery(amount=Decimal(2), date=IN_PERIOD, by=contact_a)
    report_a.campaign.close(by=agent)
    client.force_login(contact_a)
    page = text_of(client.get(address(report_a)))
    assert "Campagne close" in page
    assert "demandez à la préfecture de la rouvrir pour votre structure" in page
    assert "Remettre la déclaration" not in page
    assert "Déclarer une réalisation" not in page
    assert "Modifier ou retirer" not in page
    response = client.post(
        address(report_a), {"nothing_delivered": "on", "narrative": "Trop tard"}, follow=True
    )
    assert "Cette campagne est close" in text_of(response)
    assert fresh(report_a).status == ExpectedReport.Status.EXPECTED


def test_reopened_for_the_actor_the_contact_submits_again(
    client, report_a, contact_a, agent, actor_a
):
    report_a.campaign.close(by=agent)
    report_a.campaign.reopen_for(actor_a, deadline=days(5), by=agent)
    client.force_login(contact_a)
    page = text_of(client.get(address(report_a)))
    assert "(campagne rouverte pour votre structure) — J-5" in page
    assert "Campagne close" not in page
    client.post(address(report_a), {"nothing_delivered": "on", "narrative": "Rattrapage"})
    assert fresh(report_a).status == ExpectedReport.Status.SUBMITTED


def test_a_late_report_is_refused_without_a_new_deadline_and_accepted_with_one(
    client, commitment_a, contact_a, agent
):
    campaign = open_campaign(agent, deadline=days(-1), opens_on=days(-20))
    report = campaign.expected_reports.get()
    client.force_login(contact_a)
    page = text_of(client.get(address(report)))
    assert "Déclaration en retard d'un jour" in page
    assert f"La date limite du {days(-1):%d/%m/%Y} est passée" in page
    assert "Remettre la déclaration" not in page
    client.post(address(report), {"nothing_delivered": "on", "narrative": "En retard"})
    assert fresh(report).status == ExpectedReport.Status.EXPECTED
    # Closed, then reopened for its actor: it may be submitted again.
    campaign.close(by=agent)
    campaign.reopen_for(commitment_a.actor, deadline=days(3), by=agent)
    client.post(address(report), {"nothing_delivered": "on", "narrative": "Avec un délai"})
    assert fresh(report).status == ExpectedReport.Status.SUBMITTED


# Query counts


def grow(actors, contact, agent, count):
    """`count` commitments per actor, each with a delivery of the period; a campaign
    expecting a report of each, some submitted."""
    for actor in actors:
        for index in range(count):
            commitment = CommitmentFactory(actor=actor, year=2021)
            delivery = commitment.report_delivery(
                amount=Decimal(1), date=IN_PERIOD, by=UserFactory()
            )
            if index % 2:
                delivery.validate(by=agent)
    campaign = open_campaign(agent, title=f"Bilan {count}")
    for index, report in enumerate(campaign.expected_reports.all()):
        if index % 3 == 1:
            report.submit(by=contact, nothing_delivered=True, narrative="Fait")
        elif index % 3 == 2:
            report.submit(by=contact, nothing_delivered=True, narrative="Fait")
            report.return_for_revision(by=agent, reason="À préciser")


# The area's home: session, user, the menu's three, its actors, commitments, totals, and
# the expected reports (with their campaign, commitment, actor and measure): 9.
# The report page: session, user, the menu's three, the report (with its campaign,
# commitment, actor, measure and who submitted it), its deliveries with who reported
# them, their evidence files, the report's own: 9.
@pytest.mark.parametrize(("page", "pinned"), [("home", 9), ("report", 9)])
def test_query_counts_are_pinned_and_do_not_grow(
    client, contact_both, actor_a, actor_b, agent, report_a, page, pinned
):
    client.force_login(contact_both)
    target = SPACE if page == "home" else address(report_a)
    grow([actor_a, actor_b], contact_both, agent, 2)
    for index in range(2):
        report_a.commitment.report_delivery(
            amount=Decimal(1), date=IN_PERIOD, by=UserFactory(), comment=f"n° {index}"
        )
    small = count_queries(client, target)
    grow([actor_a, actor_b], contact_both, agent, 15)
    for index in range(20):
        delivery = report_a.commitment.report_delivery(
            amount=Decimal(1), date=IN_PERIOD, by=UserFactory()
        )
        Evidence.attach(delivery, upload(f"piece-{index}.pdf"), by=contact_both)
        if index % 2:
            delivery.return_for_revision(by=agent, reason="?")
    for index in range(5):
        Evidence.attach(report_a, upload(f"bilan-{index}.pdf"), by=contact_both)
    assert ExpectedReport.objects.for_area(contact_both).count() == 41
    assert (small, count_queries(client, target)) == (pinned, pinned)

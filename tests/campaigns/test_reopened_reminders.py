"""A closed campaign reopened for one actor: its contacts are told until when (through
the mail queue, once per deadline), then reminded before and after that actor's own
deadline by `send_reminders`, once, as the other reminders; the other actors hear
nothing more of the closed campaign."""

import pytest
from django.core import mail
from django.urls import reverse

from actors.roles import AGENTS, MANAGERS
from commitments.models import ExpectedReport
from commitments.reminders import ReminderSent, send_reminders
from tests.campaigns.test_reminders import build_world, day, run, sent_to
from tests.factories import staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(roles):
    world = build_world()
    world["regional"] = staff_member("agent-region", AGENTS)
    world["nord_agent"] = staff_member("agent-nord", AGENTS, world["nord"])
    world["manager"] = staff_member("gestionnaire", MANAGERS)
    world["campaign"].open(by=world["regional"])
    world["campaign"].close(by=world["regional"])
    return world


def reopen(client, world, actor, deadline):
    return client.post(
        reverse("admin:commitments_campaign_reopen", args=[world["campaign"].pk]),
        {"actor": world["actors"][actor].pk, "deadline": f"{deadline:%d/%m/%Y}"},
        follow=True,
    )


def to_contacts():
    """The mails to contacts (not the agents' weekly digests)."""
    return [m for m in mail.outbox if not m.subject.startswith("Retards")]


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def test_reopening_tells_the_actor_s_contacts_once_per_deadline(client, world, on_commit):
    client.force_login(world["regional"])
    with on_commit():
        response = reopen(client, world, "a", day(10))
    assert (
        f"La campagne « Bilan 2021 » est rouverte pour « Association A » jusqu'au "
        f"{day(10):%d/%m/%Y} : 2 déclarations rouvertes, 2 référents prévenus."
        in messages_of(response)
    )
    assert sent_to() == ["a1", "a2"]  # the active contacts with an address, of A alone
    notice = mail.outbox[0]
    assert notice.subject == (
        f"Campagne de remontée rouverte : Bilan 2021 — à remettre d'ici le {day(10):%d/%m/%Y}"
    )
    assert (
        "La campagne de remontée « Bilan 2021 » était close ; la préfecture la rouvre pour "
        f"Association A jusqu'au {day(10):%d/%m/%Y} : vous pouvez d'ici là remettre les "
        "déclarations de votre structure sur la période du 01/01/2021 au 31/12/2021." in notice.body
    )
    assert "Accueil de jour" in notice.body and "Maraudes" in notice.body
    # The same reopening posted again is told once; another deadline is told.
    with on_commit():
        reopen(client, world, "a", day(10))
    assert len(mail.outbox) == 2
    with on_commit():
        reopen(client, world, "a", day(12))
    assert len(mail.outbox) == 4
    assert f"jusqu'au {day(12):%d/%m/%Y}" in mail.outbox[-1].body


def test_a_refused_reopening_tells_no_one(client, world, on_commit):
    client.force_login(world["regional"])
    with on_commit():
        response = reopen(client, world, "a", day(-1))
    assert "Rien n'a été rouvert : La nouvelle date limite est déjà passée." in messages_of(
        response
    )
    assert mail.outbox == [] and not ReminderSent.objects.filter(kind="reopened").exists()
    assert not ExpectedReport.objects.filter(reopened_until__isnull=False).exists()


@pytest.mark.parametrize("role", ["nord_agent", "manager"])
def test_other_staff_reopen_nothing_and_tell_no_one(client, world, on_commit, role):
    client.force_login(world[role])
    with on_commit():
        response = client.post(
            reverse("admin:commitments_campaign_reopen", args=[world["campaign"].pk]),
            {"actor": world["actors"]["a"].pk, "deadline": f"{day(10):%d/%m/%Y}"},
        )
    assert response.status_code == 403
    assert mail.outbox == []
    assert not ExpectedReport.objects.filter(reopened_until__isnull=False).exists()


def test_a_contact_reopens_nothing(client, world, on_commit):
    client.force_login(world["contacts"]["a1"])
    with on_commit():
        response = client.post(
            reverse("admin:commitments_campaign_reopen", args=[world["campaign"].pk]),
            {"actor": world["actors"]["a"].pk, "deadline": f"{day(10):%d/%m/%Y}"},
        )
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert mail.outbox == []


def test_the_reminders_follow_the_actor_s_new_deadline_once(world, on_commit):
    campaign = world["campaign"]
    campaign.reopen_for(world["actors"]["a"], deadline=day(10), by=world["regional"])
    ExpectedReport.objects.get(commitment=world["commitments"]["a_first"]).submit(
        by=world["contacts"]["a1"], nothing_delivered=True, narrative="Rien cette année"
    )
    # Reopened today until day 10, reminders [14, 3]: J-14 is before the reopening (its
    # notice told the date), J-3 on day 7, the day after on day 11.
    for offset in range(0, 7):
        run(on_commit, day(offset))
    assert to_contacts() == []
    output = run(on_commit, day(7))
    assert "2 rappel(s) avant la date limite" in output
    assert sent_to("Rappel") == ["a1", "a2"]  # A's contacts; B and C's campaign is closed
    reminder = to_contacts()[0]
    assert reminder.subject == (
        f"Rappel : 1 déclaration à remettre d'ici le {day(10):%d/%m/%Y} — Bilan 2021"
    )
    assert (
        "la campagne de remontée « Bilan 2021 », rouverte pour Association A, se termine "
        f"le {day(10):%d/%m/%Y}, et Association A a encore 1 déclaration à remettre."
        in reminder.body
    )
    assert "Maraudes" in reminder.body and "Accueil de jour" not in reminder.body
    for offset in (7, 8, 10):
        run(on_commit, day(offset))
    assert len(to_contacts()) == 2
    output = run(on_commit, day(11))
    assert "2 relance(s) après la date limite" in output
    late = to_contacts()[-1]
    assert late.subject == "Date limite dépassée : 1 déclaration en retard — Bilan 2021"
    assert f"a pris fin le {day(10):%d/%m/%Y}" in late.body
    for offset in (11, 12, 30):
        run(on_commit, day(offset))
    assert len(to_contacts()) == 4
    assert ReminderSent.objects.filter(kind__in=["before", "after"]).count() == 2


def test_a_missed_day_after_is_caught_up_for_a_week_only(world, on_commit):
    campaign = world["campaign"]
    campaign.reopen_for(world["actors"]["c"], deadline=day(5), by=world["regional"])
    # Due on day 6, tried on days 6 to 12; not on day 13.
    run(on_commit, day(13))
    assert to_contacts() == []
    run(on_commit, day(12))
    assert sent_to("Date limite dépassée") == ["c1"]


def test_actors_reopened_until_different_days_are_each_reminded_of_theirs(world, on_commit):
    campaign = world["campaign"]
    campaign.reopen_for(world["actors"]["b"], deadline=day(10), by=world["regional"])
    campaign.reopen_for(world["actors"]["c"], deadline=day(13), by=world["regional"])
    with on_commit():
        send_reminders(day(7))  # B's J-3
        send_reminders(day(10))  # C's J-3
    subjects = sorted((m.to[0].split("@")[0], m.subject) for m in mail.outbox)
    assert subjects == [
        ("b1", f"Rappel : 1 déclaration à remettre d'ici le {day(10):%d/%m/%Y} — Bilan 2021"),
        ("c1", f"Rappel : 1 déclaration à remettre d'ici le {day(13):%d/%m/%Y} — Bilan 2021"),
    ]


def test_a_report_reopened_before_its_told_day_was_recorded_is_reminded_from_the_closing(
    world, on_commit
):
    # Reopened before `reopened_on` existed: counted from the campaign's closing.
    campaign = world["campaign"]
    campaign.reopen_for(world["actors"]["b"], deadline=day(10), by=world["regional"])
    ExpectedReport.objects.update(reopened_on=None)
    run(on_commit, day(7))
    assert sent_to("Rappel") == ["b1"]

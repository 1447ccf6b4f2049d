"""Reminders that go once (`manage.py send_reminders`), and mails that leave through the
task queue (commitments.mails): the right contacts on the right days, one mail per
contact listing all its actor's missing reports, the weekly digest to each territory's
agents, nothing sent twice (twice in a row, or at once on PostgreSQL), a refused mail
tried again then shown to its territory's staff, and a request that never waits on the
mail server."""

import datetime
import smtplib
import uuid
from io import StringIO

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from actors.roles import AGENTS, MANAGERS, setup_roles
from commitments.mails import MailFailure, deliver_mail, queue_mails
from commitments.models import Campaign, ExpectedReport
from commitments.reminders import ReminderSent, due_reminder, milestones, send_reminders
from tests.commitments.test_concurrency import run_in_threads
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    MembershipFactory,
    TerritoryFactory,
    UserFactory,
    region,
    staff_member,
)
from tests.helpers import postgresql_only

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def day(offset):
    """Today in Paris, moved by `offset` days (a campaign opens on the real today)."""
    return timezone.localdate() + datetime.timedelta(days=offset)


def build_world():
    hdf = region()
    nord = TerritoryFactory(name="Nord", parent=hdf)
    somme = TerritoryFactory(name="Somme", parent=hdf)
    a = ActorFactory(name="Association A", territory=nord)
    b = ActorFactory(name="Association B", territory=nord)
    c = ActorFactory(name="Association C", territory=somme)
    contacts = {
        "a1": MembershipFactory(actor=a, user=UserFactory(username="a1")).user,
        "a2": MembershipFactory(actor=a, user=UserFactory(username="a2")).user,
        "b1": MembershipFactory(actor=b, user=UserFactory(username="b1")).user,
        "c1": MembershipFactory(actor=c, user=UserFactory(username="c1")).user,
    }
    MembershipFactory(actor=a, user=UserFactory(username="parti", is_active=False))
    MembershipFactory(actor=a, user=UserFactory(username="sans-adresse", email=""))
    commitments = {
        "a_first": CommitmentFactory(actor=a, territory=nord, year=2021, title="Accueil de jour"),
        "a_second": CommitmentFactory(actor=a, territory=nord, year=2021, title="Maraudes"),
        "b": CommitmentFactory(actor=b, territory=nord, year=2021, title="Épicerie"),
        "c": CommitmentFactory(actor=c, territory=somme, year=2021, title="Logement"),
    }
    campaign = Campaign.objects.create(
        title="Bilan 2021",
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        opens_on=day(0),
        deadline=day(20),
    )
    return {
        "nord": nord,
        "somme": somme,
        "actors": {"a": a, "b": b, "c": c},
        "contacts": contacts,
        "commitments": commitments,
        "campaign": campaign,
    }


@pytest.fixture
def world(roles):
    return build_world()


@pytest.fixture
def agents(roles, world):
    return {
        "regional": staff_member("agent-region", AGENTS),
        "nord": staff_member("agent-nord", AGENTS, world["nord"]),
        "somme": staff_member("agent-somme", AGENTS, world["somme"]),
        "manager": staff_member("gestionnaire-nord", MANAGERS, world["nord"]),
    }


def run(on_commit, when):
    out = StringIO()
    with on_commit():
        call_command("send_reminders", f"--day={when:%Y-%m-%d}", stdout=out)
    return out.getvalue()


def sent_to(kind_subject=""):
    return sorted(m.to[0].split("@")[0] for m in mail.outbox if kind_subject in m.subject)


def submit_nothing(world, key, contact):
    ExpectedReport.objects.get(commitment=world["commitments"][key]).submit(
        by=world["contacts"][contact], nothing_delivered=True, narrative="Rien cette année"
    )


pytestmark = pytest.mark.django_db


# When a reminder is due


def test_the_milestones_are_the_opening_the_days_before_and_the_day_after(world):
    campaign = world["campaign"]
    campaign.open(by=None)
    kinds = ReminderSent.Kind
    assert milestones(campaign) == [
        (day(0), kinds.OPENING),
        (day(6), kinds.BEFORE),
        (day(17), kinds.BEFORE),
        (day(21), kinds.AFTER),
    ]
    campaign.reminder_days = [7]
    assert [when for when, _kind in milestones(campaign)] == [day(0), day(13), day(21)]
    # a missed day is caught up by the latest milestone only
    assert due_reminder(campaign, day(19)) == (kinds.BEFORE, day(13))
    assert due_reminder(campaign, day(-1)) is None


def test_a_reminder_before_the_opening_is_not_sent(world):
    campaign = world["campaign"]
    campaign.deadline = day(10)
    campaign.save()
    campaign.open(by=None)
    # 14 days before the deadline is before the opening: only 3 days before remains
    assert [when for when, _kind in milestones(campaign)] == [day(0), day(7), day(11)]


# The contacts' reminders


def test_opening_day_opens_the_campaign_and_mails_each_contact_once(on_commit, world):
    output = run(on_commit, day(0))
    world["campaign"].refresh_from_db()
    assert world["campaign"].state == Campaign.State.OPEN
    assert "1 campagne(s) ouverte(s)" in output and "4 courriel(s) d'ouverture" in output
    # the active contacts with an address; one mail each, whatever the number of reports
    assert sent_to() == ["a1", "a2", "b1", "c1"]
    first = next(m for m in mail.outbox if m.to == ["a1@exemple.invalid"])
    assert first.subject == (
        f"Campagne de remontée ouverte : Bilan 2021 — à remettre d'ici le {day(20):%d/%m/%Y}"
    )
    assert "Les 2 déclarations attendues :" in first.body
    assert "Accueil de jour" in first.body and "Maraudes" in first.body
    assert "Épicerie" not in first.body  # another actor's
    assert "http://127.0.0.1:8000/espace/" in first.body
    assert "<" not in first.body and "&#" not in first.body  # plain text, not escaped
    assert ReminderSent.objects.filter(kind="opening").count() == 3  # one per actor


def test_running_twice_sends_nothing_again(on_commit, world):
    run(on_commit, day(0))
    counts = len(mail.outbox), ReminderSent.objects.count()
    output = run(on_commit, day(0))
    assert (len(mail.outbox), ReminderSent.objects.count()) == counts
    assert "0 courriel(s) d'ouverture" in output
    # and the next days, until the next milestone, nothing either
    for offset in (1, 2, 5):
        run(on_commit, day(offset))
    assert (len(mail.outbox), ReminderSent.objects.count()) == counts


def test_a_reminder_goes_to_those_still_owing_not_to_those_who_submitted(on_commit, world):
    run(on_commit, day(0))
    mail.outbox.clear()
    submit_nothing(world, "b", "b1")
    submit_nothing(world, "a_first", "a1")
    output = run(on_commit, day(6))
    assert "3 rappel(s) avant la date limite" in output
    assert sent_to() == ["a1", "a2", "c1"]
    reminder = next(m for m in mail.outbox if m.to == ["a2@exemple.invalid"])
    assert reminder.subject == (
        f"Rappel : 1 déclaration à remettre d'ici le {day(20):%d/%m/%Y} — Bilan 2021"
    )
    assert "La déclaration attendue :" in reminder.body
    assert "Maraudes" in reminder.body and "Accueil de jour" not in reminder.body


def test_a_returned_report_is_missing_again(on_commit, world, agents):
    world["campaign"].open(by=None)
    submit_nothing(world, "c", "c1")
    ExpectedReport.objects.get(commitment=world["commitments"]["c"]).return_for_revision(
        by=agents["somme"], reason="Précisez"
    )
    run(on_commit, day(17))
    assert "c1" in sent_to("Rappel")
    assert "renvoyée pour correction" in next(m for m in mail.outbox if m.to[0][:2] == "c1").body


def test_the_day_after_the_deadline_the_late_are_reminded_once(on_commit, world):
    run(on_commit, day(0))
    submit_nothing(world, "c", "c1")
    mail.outbox.clear()
    output = run(on_commit, day(21))
    assert "3 relance(s) après la date limite" in output
    assert sent_to("Date limite dépassée") == ["a1", "a2", "b1"]
    late = next(m for m in mail.outbox if m.to == ["b1@exemple.invalid"])
    assert late.subject == "Date limite dépassée : 1 déclaration en retard — Bilan 2021"
    assert f"était le {day(20):%d/%m/%Y}" in late.body
    # Past the deadline a report is refused until the prefecture gives a new one: the mail
    # says so, rather than asking to submit.
    assert (
        "Association B n'a pas remis 1 déclaration : pour la remettre, demandez à la "
        "préfecture un nouveau délai pour votre structure." in late.body
    )
    assert "Pour la remettre, dans votre espace" not in late.body
    for offset in (21, 22, 30):
        run(on_commit, day(offset))
    assert len(mail.outbox) == 3


def test_a_closed_or_draft_campaign_reminds_no_one(on_commit, world):
    world["campaign"].opens_on = day(5)
    world["campaign"].save()
    run(on_commit, day(0))
    assert mail.outbox == [] and world["campaign"].expected_reports.count() == 0
    world["campaign"].open(by=None)
    world["campaign"].close(by=None)
    run(on_commit, day(21))
    assert mail.outbox == []


def test_a_bad_day_is_refused_in_french(world):
    with pytest.raises(CommandError, match="une date AAAA-MM-JJ"):
        call_command("send_reminders", "--day=31/03/2022")


# The weekly digest


def next_monday_after(offset):
    when = day(offset)
    return when + datetime.timedelta(days=(7 - when.weekday()) % 7)


def test_the_weekly_digest_tells_each_territory_s_agents_what_is_late_there(
    on_commit, world, agents
):
    world["campaign"].open(by=None)
    submit_nothing(world, "b", "b1")
    monday = next_monday_after(21)
    output = run(on_commit, monday)
    digests = {m.to[0].split("@")[0]: m for m in mail.outbox if m.subject.startswith("Retards")}
    # agents only (not the manager), each of its territory
    assert sorted(digests) == ["agent-nord", "agent-region", "agent-somme"]
    assert "3 récapitulatif(s) hebdomadaire(s)" in output
    nord = digests["agent-nord"].body
    assert "Association A : 2 en retard" in nord
    assert "Association B" not in nord  # it submitted
    assert "Association C" not in nord  # Somme's
    assert "Association C : 1 en retard" in digests["agent-somme"].body
    assert "Association A" not in digests["agent-somme"].body
    regional = digests["agent-region"]
    assert "Association A" in regional.body and "Association C" in regional.body
    assert regional.subject.endswith("3 déclarations — toute la région")
    assert digests["agent-nord"].subject.endswith("2 déclarations — Nord")
    # The link leads to the late reports of the agent's territory.
    assert "/admin/commitments/expectedreport/?retard=oui" in nord
    # once a week: the other days of that week send none again, the next Monday does
    for offset in range(1, 7):
        run(on_commit, monday + datetime.timedelta(days=offset))
    assert len([m for m in mail.outbox if m.subject.startswith("Retards")]) == 3
    run(on_commit, monday + datetime.timedelta(days=7))
    assert len([m for m in mail.outbox if m.subject.startswith("Retards")]) == 6


def test_no_digest_when_nothing_is_late(on_commit, world, agents):
    run(on_commit, next_monday_after(0))
    assert not [m for m in mail.outbox if m.subject.startswith("Retards")]
    assert not ReminderSent.objects.filter(kind="digest").exists()


# The queue: retries, failures, a request that does not wait


def run_worker(monkeypatch):
    """The worker (`manage.py db_worker`) until the queue is empty. It closes the database
    connection between tasks, as a request does; the test's transaction must stay open."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


class RefusingBackend(BaseEmailBackend):
    calls = 0

    def send_messages(self, messages):
        RefusingBackend.calls += 1
        raise smtplib.SMTPServerDisconnected("Connexion fermée par le serveur")


def test_a_refused_mail_is_tried_again_then_shown_to_its_territory_s_staff(
    on_commit, settings, world, agents, client
):
    settings.EMAIL_BACKEND = "tests.campaigns.test_reminders.RefusingBackend"
    RefusingBackend.calls = 0
    message = EmailMessage("Objet", "Texte", to=["x@exemple.invalid"])
    with on_commit():
        queue_mails([message], world["somme"].pk)
    assert RefusingBackend.calls == settings.MAIL_ATTEMPTS
    failure = MailFailure.objects.get()
    assert (failure.recipients, failure.attempts, failure.territory) == (
        "x@exemple.invalid",
        settings.MAIL_ATTEMPTS,
        world["somme"],
    )
    assert "SMTPServerDisconnected" in failure.error
    changelist = reverse("admin:commitments_mailfailure_changelist")
    client.force_login(agents["somme"])
    assert "x@exemple.invalid" in client.get(changelist).content.decode()
    client.force_login(agents["regional"])
    assert "x@exemple.invalid" in client.get(changelist).content.decode()
    client.force_login(agents["nord"])
    assert "x@exemple.invalid" not in client.get(changelist).content.decode()
    address = reverse("admin:commitments_mailfailure_change", args=[failure.pk])
    assert client.get(address).status_code == 404


@override_settings(TASKS=DATABASE_TASKS)
def test_with_the_database_queue_a_refused_mail_is_queued_again_later(monkeypatch, settings, world):
    settings.EMAIL_BACKEND = "tests.campaigns.test_reminders.RefusingBackend"
    message = EmailMessage("Objet", "Texte", to=["x@exemple.invalid"])
    queue_mails([message])
    run_worker(monkeypatch)
    first, again = DBTaskResult.objects.order_by("enqueued_at")
    assert first.status == "SUCCESSFUL" and first.return_value == "retried"
    assert again.status == "READY" and again.args_kwargs["args"][2] == 2
    assert again.run_after > first.enqueued_at + datetime.timedelta(minutes=1)
    assert not MailFailure.objects.exists()


@override_settings(TASKS=DATABASE_TASKS)
def test_a_request_that_sends_mail_returns_before_the_mail_is_sent(
    monkeypatch, client, world, agents
):
    contact, commitment = world["contacts"]["c1"], world["commitments"]["c"]
    client.force_login(contact)
    response = client.post(
        reverse("space:commitment", args=[commitment.pk]),
        {
            "amount": "5",
            "date": "2021-06-01",
            "comment": "Cinq places",
            "submission_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    # the agents' mails are queued with the delivery, none sent yet
    queued = DBTaskResult.objects.filter(task_path="commitments.mails.deliver_mail")
    assert queued.count() == 2 and mail.outbox == []
    run_worker(monkeypatch)
    assert sorted(m.to[0].split("@")[0] for m in mail.outbox) == ["agent-region", "agent-somme"]
    assert {r.status for r in queued} == {"SUCCESSFUL"}


@override_settings(TASKS=DATABASE_TASKS)
def test_reminders_are_queued_with_their_record_and_sent_by_the_worker(monkeypatch, world):
    send_reminders(day(0))
    assert mail.outbox == []
    assert DBTaskResult.objects.count() == 4 == ReminderSent.objects.count() + 1
    run_worker(monkeypatch)
    assert sent_to() == ["a1", "a2", "b1", "c1"]


def test_the_task_sends_what_it_is_given(world):
    deliver_mail.enqueue(
        {"subject": "S", "body": "B", "from_email": "", "to": ["y@exemple.invalid"]}
    )
    assert mail.outbox[0].to == ["y@exemple.invalid"]
    assert mail.outbox[0].from_email.startswith("Suivi stratégie pauvreté")


# At once, on PostgreSQL


@pytest.mark.django_db(transaction=True)
@postgresql_only("concurrent inserts wait on each other on PostgreSQL (SQLite locks all)")
def test_runs_at_the_same_time_send_each_reminder_once():
    setup_roles()
    world = build_world()
    staff_member("agent-nord", AGENTS, world["nord"])
    staff_member("agent-region", AGENTS)
    world["campaign"].open(by=None)

    def remind(_index):
        send_reminders(day(0))
        send_reminders(next_monday_after(21))

    run_in_threads(remind, 8)
    opening = [m for m in mail.outbox if m.subject.startswith("Campagne de remontée ouverte")]
    late = [m for m in mail.outbox if m.subject.startswith("Date limite")]
    digests = [m for m in mail.outbox if m.subject.startswith("Retards")]
    assert sorted(m.to[0].split("@")[0] for m in opening) == ["a1", "a2", "b1", "c1"]
    assert sorted(m.to[0].split("@")[0] for m in late) == ["a1", "a2", "b1", "c1"]
    assert sorted(m.to[0].split("@")[0] for m in digests) == ["agent-nord", "agent-region"]
    assert ReminderSent.objects.count() == 3 + 3 + 2

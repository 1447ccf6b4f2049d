"""The reminders read as their contact needs them: past the deadline, a report never
submitted waits for a new deadline from the prefecture, while one returned for correction
is corrected at once as long as the campaign is open (« corrigez-la », not « demandez un
nouveau délai »); after a reopening's own deadline, both wait for a new one. A returned
report's reason is in the list."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from actors.roles import AGENTS
from commitments.models import ExpectedReport
from tests.campaigns.test_reminders import build_world, day, run
from tests.factories import staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(roles):
    world = build_world()
    world["regional"] = staff_member("agent-region", AGENTS)
    world["campaign"].open(by=world["regional"])
    return world


def report(world, key):
    return ExpectedReport.objects.get(commitment=world["commitments"][key])


def return_one(world, key, contact, reason="Précisez le public accueilli"):
    report(world, key).submit(by=world["contacts"][contact], nothing_delivered=True, narrative="x")
    report(world, key).return_for_revision(by=world["regional"], reason=reason)


def mail_to(username):
    [message] = [m for m in mail.outbox if m.to[0].startswith(f"{username}@")]
    return message


def test_past_the_deadline_a_returned_report_is_to_correct_now(world, on_commit, monkeypatch):
    return_one(world, "c", "c1")
    run(on_commit, day(21))
    late = mail_to("c1")
    assert late.subject == "Date limite dépassée : 1 déclaration à corriger — Bilan 2021"
    assert (
        "Une déclaration renvoyée pour correction n'est pas encore corrigée : la campagne est "
        "encore ouverte, corrigez-la et remettez-la dès maintenant." in late.body
    )
    assert "nouveau délai" not in late.body
    assert "Motif du renvoi : Précisez le public accueilli" in late.body
    assert "Pour la corriger, dans votre espace :" in late.body
    # And so it is: its contact submits it again, past the deadline.
    monkeypatch.setattr("commitments.campaigns.today", lambda: day(21))
    report(world, "c").submit(by=world["contacts"]["c1"], nothing_delivered=True, narrative="y")
    assert report(world, "c").status == ExpectedReport.Status.SUBMITTED


def test_past_the_deadline_an_actor_with_both_reads_both(world, on_commit, monkeypatch):
    return_one(world, "a_first", "a1", reason="Chiffres\nmanquants")
    run(on_commit, day(21))
    late = mail_to("a2")
    assert late.subject == "Date limite dépassée : 2 déclarations en retard — Bilan 2021"
    assert (
        "Association A n'a pas remis 1 déclaration : pour la remettre, demandez à la "
        "préfecture un nouveau délai pour votre structure." in late.body
    )
    assert "corrigez-la et remettez-la dès maintenant" in late.body
    # The reason on one line, under its report.
    assert "  - Accueil de jour (" in late.body
    assert "    Motif du renvoi : Chiffres manquants\n" in late.body
    # The one never submitted is refused indeed.
    monkeypatch.setattr("commitments.campaigns.today", lambda: day(21))
    with pytest.raises(ValidationError, match="nouveau délai"):
        report(world, "a_second").submit(
            by=world["contacts"]["a1"], nothing_delivered=True, narrative="x"
        )


def test_before_the_deadline_the_reminder_counts_what_to_submit_and_to_correct(world, on_commit):
    return_one(world, "a_first", "a1")
    run(on_commit, day(17))
    reminder = mail_to("a1")
    assert (
        f"se termine le {day(20):%d/%m/%Y}, et Association A a encore 1 déclaration à "
        "remettre et 1 déclaration à corriger." in reminder.body
    )
    assert "Pour les remettre, dans votre espace :" in reminder.body
    assert "n'a pas encore remis" not in reminder.body


def test_after_a_reopening_s_deadline_a_returned_report_waits_for_a_new_one_too(world, on_commit):
    return_one(world, "c", "c1")
    world["campaign"].close(by=world["regional"])
    world["campaign"].reopen_for(world["actors"]["c"], deadline=day(5), by=world["regional"])
    run(on_commit, day(6))
    late = mail_to("c1")
    assert (
        f"Le délai accordé à Association C pour la campagne de remontée « Bilan 2021 » a pris "
        f"fin le {day(5):%d/%m/%Y}, et la campagne est close : 1 déclaration n'a pas été "
        "remise. Pour la remettre, demandez à la préfecture un nouveau délai pour votre "
        "structure." in late.body
    )
    assert "corrigez" not in late.body
    assert late.subject == "Date limite dépassée : 1 déclaration en retard — Bilan 2021"

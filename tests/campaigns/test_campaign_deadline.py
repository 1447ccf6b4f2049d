"""An opened campaign's fields go through the domain: its period, scope and opening are
read only once it is open (or closed), its deadline moves through Campaign.move_deadline
(held, audited, refused in French in the past or before the opening), the contacts who
still owe a report are told, and the reminders follow the new date without catching up
the ones of the new date that the move passed over. A draft stays editable."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from commitments.models import Campaign, ExpectedReport
from commitments.reminders import ReminderSent, milestones
from tests.campaigns.test_campaign_admin import (
    DAY,
    TODAY,
    form_data,
    messages_of,
    new_campaign,
    page,
)
from tests.campaigns.test_campaign_admin import world as admin_world
from tests.campaigns.test_reminders import run, sent_to
from tests.helpers import text_of

pytestmark = pytest.mark.django_db
world = admin_world  # the staff, the Nord's and the Somme's actors and contacts


def open_campaign(world, **kwargs):
    campaign = new_campaign(**kwargs)
    campaign.open(by=world["regional"])
    return campaign


def open_form(campaign, **kwargs):
    """What the change form of an opened campaign posts: its editable fields."""
    return {
        "title": campaign.title,
        "deadline": f"{campaign.deadline:%d/%m/%Y}",
        "reminder_days": "14, 3",
    } | kwargs


def test_moving_an_open_campaign_s_deadline_tells_those_who_still_owe(client, world, on_commit):
    campaign = open_campaign(world)
    nord, somme = world["sides"]["Nord"], world["sides"]["Somme"]
    for report in ExpectedReport.objects.filter(commitment__actor=nord["actor"]):
        report.submit(by=nord["contact"], narrative="Rien", nothing_delivered=True)
    former, later = campaign.deadline, TODAY + 30 * DAY
    client.force_login(world["regional"])
    with on_commit():
        response = client.post(
            page(campaign), open_form(campaign, deadline=f"{later:%d/%m/%Y}"), follow=True
        )
    assert (
        f"La date limite passe du {former:%d/%m/%Y} au {later:%d/%m/%Y} : 1 référent prévenu."
        in messages_of(response)
    )
    campaign.refresh_from_db()
    assert campaign.deadline == later and campaign.deadline_moved_at is not None
    version = campaign.history.order_by("-history_id").first()
    assert version.deadline == later and version.history_user == world["regional"]
    # Only the Somme's contact owes a report; the Nord's submitted theirs.
    assert [m.to for m in mail.outbox] == [[somme["contact"].email]]
    notice = mail.outbox[0]
    assert (
        notice.subject
        == f"Nouvelle date limite : Bilan 2021 — à remettre d'ici le {later:%d/%m/%Y}"
    )
    assert f"d'ici le {later:%d/%m/%Y}, et non plus le {former:%d/%m/%Y}" in notice.body
    assert ReminderSent.objects.filter(kind="deadline", milestone=later).count() == 1
    # The same date posted again moves nothing and tells no one again.
    with on_commit():
        client.post(page(campaign), open_form(campaign, title="Bilan 2021 (corrigé)"))
    campaign.refresh_from_db()
    assert campaign.title == "Bilan 2021 (corrigé)" and len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("deadline", "message"),
    [
        (TODAY - DAY, f"La nouvelle date limite du {TODAY - DAY:%d/%m/%Y} est déjà passée."),
        ("31/02/2022", "Saisissez une date valide."),
        ("", "Ce champ est obligatoire."),
    ],
)
def test_a_bad_deadline_is_refused_in_french_and_nothing_saved(
    client, world, on_commit, deadline, message
):
    campaign = open_campaign(world)
    before = campaign.history.count()
    client.force_login(world["regional"])
    if isinstance(deadline, datetime.date):
        deadline = f"{deadline:%d/%m/%Y}"
    with on_commit():
        response = client.post(
            page(campaign), open_form(campaign, deadline=deadline, title="Autre")
        )
    assert response.status_code == 200
    assert message in text_of(response)
    campaign.refresh_from_db()
    assert campaign.deadline == TODAY + 10 * DAY and campaign.title == "Bilan 2021"
    assert campaign.history.count() == before and not mail.outbox


def test_a_deadline_before_the_opening_is_refused_by_the_domain(world):
    campaign = open_campaign(world, opens_on=TODAY + 2 * DAY)
    with pytest.raises(ValidationError) as refusal:
        campaign.move_deadline(TODAY + DAY, by=world["regional"])
    assert refusal.value.message_dict == {
        "deadline": [
            f"La date limite ne peut pas précéder la date d'ouverture du "
            f"{TODAY + 2 * DAY:%d/%m/%Y}."
        ]
    }
    campaign.refresh_from_db()
    assert campaign.deadline == TODAY + 10 * DAY and campaign.deadline_moved_at is None


def test_only_an_open_campaign_s_deadline_moves(world):
    draft = new_campaign()
    with pytest.raises(ValidationError, match="Seule la date limite d'une campagne ouverte"):
        draft.move_deadline(TODAY + 20 * DAY, by=world["regional"])
    closed = open_campaign(world, title="Close")
    closed.close(by=world["regional"])
    with pytest.raises(ValidationError, match="celle-ci est « Close »"):
        closed.move_deadline(TODAY + 20 * DAY, by=world["regional"])
    same = open_campaign(world, title="Même date")
    versions = same.history.count()
    assert same.move_deadline(same.deadline, by=world["regional"]) is None
    assert same.history.count() == versions


@pytest.mark.parametrize("state", ["open", "closed"])
def test_period_scope_and_opening_are_read_only_once_opened(client, world, state):
    campaign = open_campaign(world)
    if state == "closed":
        campaign.close(by=world["regional"])
    client.force_login(world["regional"])
    form = client.get(page(campaign)).context["adminform"].form
    assert not {"period_start", "period_end", "opens_on", "issues", "actor_kinds"} & set(
        form.fields
    )
    assert ("deadline" in form.fields) == (state == "open")
    posted = form_data(
        period_start="01/01/2020",
        period_end="31/12/2020",
        opens_on=f"{TODAY + DAY:%d/%m/%Y}",
        deadline=f"{TODAY + 20 * DAY:%d/%m/%Y}",
        actor_kinds=["commune"],
    )
    assert client.post(page(campaign), posted).status_code == 302
    campaign.refresh_from_db()
    assert (campaign.period_start, campaign.period_end, campaign.opens_on) == (
        datetime.date(2021, 1, 1),
        datetime.date(2021, 12, 31),
        TODAY,
    )
    assert campaign.actor_kinds == []
    # Open, the deadline moved (through the domain); closed, it is reopened actor by actor.
    assert campaign.deadline == (TODAY + 20 * DAY if state == "open" else TODAY + 10 * DAY)


def test_a_draft_stays_editable(client, world):
    campaign = new_campaign()
    client.force_login(world["regional"])
    posted = form_data(period_start="01/01/2020", deadline=f"{TODAY + 40 * DAY:%d/%m/%Y}")
    assert client.post(page(campaign), posted).status_code == 302
    campaign.refresh_from_db()
    assert campaign.period_start == datetime.date(2020, 1, 1)
    assert campaign.deadline == TODAY + 40 * DAY and campaign.deadline_moved_at is None


@pytest.mark.parametrize("role", ["nord_agent", "manager"])
def test_other_staff_move_no_deadline(client, world, role, on_commit):
    campaign = open_campaign(world)
    client.force_login(world[role])
    with on_commit():
        response = client.post(page(campaign), open_form(campaign, deadline="31/12/2099"))
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.deadline == TODAY + 10 * DAY and not mail.outbox


def test_contacts_move_no_deadline(client, world):
    campaign = open_campaign(world)
    client.force_login(world["sides"]["Nord"]["contact"])
    response = client.post(page(campaign), open_form(campaign, deadline="31/12/2099"))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    campaign.refresh_from_db()
    assert campaign.deadline == TODAY + 10 * DAY


# The reminders follow the new deadline


def test_after_a_move_the_reminders_follow_the_new_date_without_a_burst(world, on_commit):
    # Opened today, due in 20 days: J-14 on day 6, J-3 on day 17.
    campaign = open_campaign(world, deadline=TODAY + 20 * DAY, title="Bilan")
    run(on_commit, TODAY)
    run(on_commit, TODAY + 17 * DAY)  # the J-3 of the first date
    assert len(sent_to("Rappel")) == 2
    mail.outbox.clear()
    # On day 18 the deadline moves 20 days later, to day 40: its J-14 (day 26) and J-3
    # (day 37) are still to come; the J-3 already sent is not sent again, and nothing of
    # the old date (its day-after on day 21) goes any more.
    moved_on = TODAY + 18 * DAY
    Campaign.objects.filter(pk=campaign.pk).update(
        deadline=TODAY + 40 * DAY,
        deadline_moved_at=datetime.datetime.combine(moved_on, datetime.time(12), datetime.UTC),
    )
    campaign.refresh_from_db()
    assert [when for when, _kind in milestones(campaign)] == [
        TODAY,
        TODAY + 26 * DAY,
        TODAY + 37 * DAY,
        TODAY + 41 * DAY,
    ]
    for offset in (18, 19, 21, 25):
        run(on_commit, TODAY + offset * DAY)
    assert mail.outbox == []
    run(on_commit, TODAY + 26 * DAY)
    reminders = [m for m in mail.outbox if m.subject.startswith("Rappel")]
    assert len(reminders) == 2
    assert f"d'ici le {TODAY + 40 * DAY:%d/%m/%Y}" in reminders[0].subject


def test_a_deadline_brought_forward_skips_the_reminders_the_move_passed_over(world):
    # Due in 20 days, moved on day 5 to day 8: its J-14 (day -6) and J-3 (day 5, the day
    # of the move) are passed over, the notice told the date; the day after goes.
    campaign = open_campaign(world, deadline=TODAY + 20 * DAY)
    Campaign.objects.filter(pk=campaign.pk).update(
        deadline=TODAY + 8 * DAY,
        deadline_moved_at=datetime.datetime.combine(
            TODAY + 5 * DAY, datetime.time(12), datetime.UTC
        ),
    )
    campaign.refresh_from_db()
    kinds = ReminderSent.Kind
    assert milestones(campaign) == [(TODAY, kinds.OPENING), (TODAY + 9 * DAY, kinds.AFTER)]


def test_a_deadline_moved_back_to_a_date_told_before_is_told_again(client, world, on_commit):
    campaign = open_campaign(world)
    first, second = campaign.deadline, TODAY + 30 * DAY
    client.force_login(world["regional"])
    told = []
    for deadline in (second, first, second):
        with on_commit():
            response = client.post(
                page(campaign), open_form(campaign, deadline=f"{deadline:%d/%m/%Y}"), follow=True
            )
        told.append(" ".join(messages_of(response)))
        campaign.refresh_from_db()
    assert [message.count("2 référents prévenus") for message in told] == [1, 1, 1]
    assert [m.subject[-10:] for m in mail.outbox] == [
        f"{d:%d/%m/%Y}" for d in (second,) * 2 + (first,) * 2 + (second,) * 2
    ]


def test_a_renamed_campaign_s_history_shows_each_change_as_it_was_made(client, world, on_commit):
    campaign = open_campaign(world)
    former, later = campaign.deadline, TODAY + 30 * DAY
    client.force_login(world["regional"])
    with on_commit():
        client.post(
            page(campaign),
            open_form(
                campaign,
                title="Bilan 2021 (révisé)",
                deadline=f"{later:%d/%m/%Y}",
                reminder_days="7",
            ),
        )
    renamed, moved = campaign.history.order_by("-history_id")[:2][::-1]
    assert (renamed.title, renamed.reminder_days, renamed.deadline) == (
        "Bilan 2021 (révisé)",
        [7],
        former,
    )
    assert (moved.title, moved.deadline) == ("Bilan 2021 (révisé)", later)
    assert renamed.history_user == moved.history_user == world["regional"]


def test_a_closed_campaign_keeps_its_reminders_and_may_be_renamed(client, world):
    campaign = open_campaign(world)
    campaign.close(by=world["regional"])
    reminders = campaign.reminder_days
    assert reminders != [1]
    client.force_login(world["regional"])
    response = client.get(page(campaign))
    assert 'name="reminder_days"' not in response.content.decode()
    client.post(page(campaign), {"title": "Bilan 2021 (clos)", "reminder_days": "1"})
    campaign.refresh_from_db()
    assert (campaign.title, campaign.reminder_days) == ("Bilan 2021 (clos)", reminders)
    assert campaign.history.order_by("-history_id").first().title == "Bilan 2021 (clos)"

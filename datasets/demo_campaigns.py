"""The demo's reporting campaigns: « Remontée 2021 », closed, and « Remontée 2022 », open.

- 2021: opened on 10/01/2022, due 31/03/2022, closed on 29/04/2022. Most actors answered
  and were accepted, a few reports after a return for correction; LATE_ACTORS_2021 actors
  never answered (late); referent.b's actor did not either, and was given, after the
  close, a new deadline REOPENED_FOR_DAYS days from today.
- 2022: opened OPEN_2022_DAYS_AGO days ago, due in DEADLINE_2022_IN_DAYS days (from
  today, so that the demo means the same whatever the day): a mix of expected, submitted,
  accepted and returned reports. referent.a has one returned to correct, referent.b one
  to answer (and its reopened 2021 ones).

Everything goes through the domain's methods (Campaign.open, close, reopen_for;
ExpectedReport.submit, accept, return_for_revision), as staff and contacts would, each at
a plausible moment: the clock is set back for each (`_at`), so that the dates they
record (opened, submitted, reviewed, closed, and their history) fall within the
campaign's window, and the deadline is checked as it was that day. Submissions are by
the actor's demo contact, or, for the actors without one, by nobody, as the demo's
deliveries are; reviews by the Nord's agent for the Nord, by agent.demo elsewhere.
Nothing touches a delivery: the public figures stay the demo's.
"""

import contextlib
import datetime
import random
from unittest import mock

from django.contrib.auth import get_user_model
from django.utils import timezone

from actors.models import Actor, Membership
from actors.scopes import scope_of
from commitments.campaigns import Campaign, ExpectedReport
from commitments.models import Commitment, Evidence
from datasets.demo_files import pdf_upload

TITLE_2021 = "Remontée 2021"
TITLE_2022 = "Remontée 2022"
LATE_ACTORS_2021 = 4
REOPENED_FOR_DAYS = 14
OPEN_2022_DAYS_AGO = 21
DEADLINE_2022_IN_DAYS = 28
# The shares of the 2022 campaign's reports (of the actors without a demo contact) in
# each status; the rest are expected.
SHARES_2022 = {"accepted": 0.30, "submitted": 0.20, "returned": 0.08}
RETURNED_2021_SHARE = 0.10
# The share of the answers with deliveries that join a (fictional) execution report.
EVIDENCE_SHARE = 0.5

_NARRATIVES = [
    "Action menée comme prévu avec nos partenaires du territoire.",
    "Les réalisations déclarées couvrent l'ensemble de la période ; le bilan détaillé est "
    "tenu à la disposition de la préfecture.",
    "Montée en charge progressive au premier semestre, puis rythme normal.",
    "Public orienté par les travailleurs sociaux du département et les CCAS.",
]
_NOTHING_NARRATIVES = [
    "Démarrage reporté : la convention de financement n'a été signée qu'en fin de période.",
    "Recrutement de l'équipe en cours : aucune réalisation sur la période.",
    "Locaux indisponibles sur la période ; l'action démarre la suivante.",
]
_RETURN_REASONS = [
    "Le récit ne dit pas combien de personnes ont été accompagnées : merci de le préciser.",
    "Une réalisation de la période semble manquer au regard du bilan transmis : "
    "pouvez-vous vérifier ?",
    "Merci de préciser pourquoi l'action n'a pas démarré et quand elle démarrera.",
]
_CORRECTIONS = [
    "Précision apportée : le nombre de personnes accompagnées figure dans le récit.",
    "Vérification faite : les réalisations de la période sont toutes déclarées ; le récit "
    "est complété.",
]


@contextlib.contextmanager
def _at(moment):
    """The clock (timezone.now, hence localdate and the history's dates) set to
    `moment`: the domain's methods record the demo's past as it happened."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _moment(day, rng, first_hour=8, last_hour=18):
    """A working-hours moment of `day`, in Paris."""
    time = datetime.time(rng.randint(first_hour, last_hour - 1), rng.randrange(0, 60, 5))
    return timezone.make_aware(datetime.datetime.combine(day, time))


def _day_between(rng, first, last):
    return first + datetime.timedelta(days=rng.randint(0, max((last - first).days, 0)))


def demo_campaigns(reason):
    """The campaigns load_demo created: their creation is recorded with `reason`, the
    demo's (their titles alone could be a real campaign's)."""
    created = Campaign.history.filter(history_type="+", history_change_reason=reason)
    return Campaign.objects.filter(pk__in=created.values("id"))


class _People:
    """The demo's agents and contacts, and who reviews what."""

    def __init__(self, usernames, reason, seed=0):
        self.reason = reason
        self.files_rng = random.Random(f"justificatifs-{seed}")
        users = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}
        self.agent = users["agent.demo"]
        self.nord_agent = users.get("agent.nord")
        self.contact_of = {
            m.actor_id: m.user
            for m in Membership.objects.filter(user__in=users.values()).order_by("pk")
        }
        self.nord = set()
        if self.nord_agent is not None:
            self.nord = set(
                Commitment.objects.in_scope(scope_of(self.nord_agent)).values_list("pk", flat=True)
            )
        self.actor_a = self._actor_of(users.get("referent.a"))
        self.actor_b = self._actor_of(users.get("referent.b"))

    def _actor_of(self, user):
        return next((actor for actor, u in self.contact_of.items() if u == user), None)

    def reviewer(self, report):
        return self.nord_agent if report.commitment_id in self.nord else self.agent


def _reports(campaign):
    return list(
        ExpectedReport.objects.filter(campaign=campaign)
        .select_related("campaign", "commitment__actor")
        .order_by("pk")
    )


def _submit(report, rng, people, day, narrative=None):
    """The actor's contact submits it at a moment of `day`: its period's deliveries, or
    nothing delivered when it has none."""
    nothing = not report.deliveries_of_period().exists()
    if narrative is None:
        narrative = rng.choice(_NOTHING_NARRATIVES if nothing else _NARRATIVES)
    contact = people.contact_of.get(report.commitment.actor_id)
    with _at(_moment(day, rng)):
        # Half the answers join their execution report (a draw of its own: the others'
        # figures stay those of the seed).
        if not nothing and people.files_rng.random() < EVIDENCE_SHARE:
            Evidence.attach(report, _execution_report(report), by=contact)
        report.submit(
            by=people.contact_of.get(report.commitment.actor_id),
            narrative=narrative,
            nothing_delivered=nothing,
        )


def _execution_report(report):
    campaign, commitment = report.campaign, report.commitment
    return pdf_upload(
        f"rapport-execution-{campaign.period_start.year}.pdf",
        [
            f"Rapport d'exécution {campaign.period_start.year}",
            commitment.actor.name,
            commitment.title,
            f"Période du {campaign.period_start:%d/%m/%Y} au {campaign.period_end:%d/%m/%Y}",
            "Document de démonstration : données fictives.",
        ],
    )


def _review(report, rng, people, day, *, reason=None):
    with _at(_moment(day, rng, first_hour=9, last_hour=17)):
        if reason is None:
            report.accept(by=people.reviewer(report))
        else:
            report.return_for_revision(by=people.reviewer(report), reason=reason)


def _campaign(title, year, *, created, opens_on, deadline, people, rng):
    """Created in the admin by the regional team, then opened on its opening day."""
    campaign = Campaign(
        title=title,
        period_start=datetime.date(year, 1, 1),
        period_end=datetime.date(year, 12, 31),
        opens_on=opens_on,
        deadline=deadline,
    )
    campaign._history_user, campaign._change_reason = people.agent, people.reason
    with _at(_moment(created, rng)):
        campaign.full_clean()
        campaign.save()
    with _at(_moment(opens_on, rng, first_hour=8, last_hour=9)):
        campaign.open(by=people.agent)
    return campaign


def _load_2021(rng, people, today):
    opens_on, deadline = datetime.date(2022, 1, 10), datetime.date(2022, 3, 31)
    closes_on = datetime.date(2022, 4, 29)
    campaign = _campaign(
        TITLE_2021,
        2021,
        created=datetime.date(2021, 12, 13),
        opens_on=opens_on,
        deadline=deadline,
        people=people,
        rng=rng,
    )
    reports = _reports(campaign)
    candidates = sorted({r.commitment.actor_id for r in reports} - {people.actor_a, people.actor_b})
    late = set(rng.sample(candidates, min(LATE_ACTORS_2021, len(candidates))))
    silent = late | {people.actor_b}
    answering = [r for r in reports if r.commitment.actor_id not in silent]
    returned = set(rng.sample(range(len(answering)), int(len(answering) * RETURNED_2021_SHARE)))
    for index, report in enumerate(answering):
        submitted = _day_between(rng, opens_on, deadline)
        _submit(report, rng, people, submitted)
        reviewed = submitted + datetime.timedelta(days=rng.randint(2, 14))
        if index in returned:
            _review(report, rng, people, reviewed, reason=rng.choice(_RETURN_REASONS))
            corrected = reviewed + datetime.timedelta(days=rng.randint(2, 7))
            _submit(report, rng, people, corrected, narrative=rng.choice(_CORRECTIONS))
            reviewed = corrected + datetime.timedelta(days=rng.randint(1, 5))
        _review(report, rng, people, reviewed)
    with _at(_moment(closes_on, rng)):
        campaign.close(by=people.agent)
    # Today, referent.b's actor asked for a new deadline.
    if any(r.commitment.actor_id == people.actor_b for r in reports):
        campaign.reopen_for(
            Actor.objects.get(pk=people.actor_b),
            deadline=today + datetime.timedelta(days=REOPENED_FOR_DAYS),
            by=people.agent,
        )
    return campaign


def _load_2022(rng, people, today):
    opens_on = today - datetime.timedelta(days=OPEN_2022_DAYS_AGO)
    campaign = _campaign(
        TITLE_2022,
        2022,
        created=opens_on - datetime.timedelta(days=7),
        opens_on=opens_on,
        deadline=today + datetime.timedelta(days=DEADLINE_2022_IN_DAYS),
        people=people,
        rng=rng,
    )
    reports = _reports(campaign)
    fates = {}
    a_reports = [r for r in reports if r.commitment.actor_id == people.actor_a]
    if a_reports:  # referent.a has one to correct
        fates[a_reports[0].pk] = "returned"
    others = [r for r in reports if r.commitment.actor_id not in (people.actor_a, people.actor_b)]
    shuffled = rng.sample(others, len(others))
    start = 0
    for fate, share in SHARES_2022.items():
        count = int(len(others) * share)
        fates |= {r.pk: fate for r in shuffled[start : start + count]}
        start += count
    last_submission = today - datetime.timedelta(days=3)
    yesterday = today - datetime.timedelta(days=1)
    for report in reports:
        fate = fates.get(report.pk, "expected")
        if fate == "expected":
            continue
        submitted = _day_between(rng, opens_on, last_submission)
        _submit(report, rng, people, submitted)
        if fate == "submitted":
            continue
        reviewed = _day_between(rng, submitted + datetime.timedelta(days=1), yesterday)
        reason = rng.choice(_RETURN_REASONS) if fate == "returned" else None
        _review(report, rng, people, reviewed, reason=reason)
    return campaign


def load_demo_campaigns(*, seed, usernames, reason):
    """The two campaigns, the demo accounts (`usernames`) as their staff and contacts;
    returns how many were created. The same for the same seed and day."""
    rng = random.Random(f"campagnes-{seed}")
    people = _People(usernames, reason, seed)
    today = timezone.localdate()
    return len([_load_2021(rng, people, today), _load_2022(rng, people, today)])

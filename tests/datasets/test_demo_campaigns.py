"""load_demo's reporting campaigns: a closed « Remontée 2021 » with late actors and one
reopened, an open « Remontée 2022 » with a mix; built through the domain's methods, at
plausible dates, the same for the same seed; load_forum creates none."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from commitments.campaigns import Campaign, ExpectedReport
from commitments.evidence import check_upload
from commitments.models import Evidence
from tests.helpers import upload

pytestmark = pytest.mark.django_db

Status = ExpectedReport.Status


@pytest.fixture
def demo():
    call_command("setup_roles", verbosity=0)
    call_command("load_forum", verbosity=0)
    call_command("load_demo", verbosity=0)
    return {u.username: u for u in get_user_model().objects.all()}


def test_load_forum_creates_no_campaign():
    call_command("load_forum", verbosity=0)
    call_command("load_forum", verbosity=0)
    assert not Campaign.objects.exists()
    assert not ExpectedReport.objects.exists()


def campaigns_fingerprint():
    return sorted(
        ExpectedReport.objects.values_list(
            "campaign__title",
            "campaign__state",
            "commitment__actor__slug",
            "commitment__title",
            "status",
            "nothing_delivered",
            "narrative",
            "submitted_at",
            "reviewed_at",
            "submitted_by__username",
            "reviewed_by__username",
            "reopened_until",
        )
    )


def test_load_demo_again_or_reset_gives_the_same_two_campaigns(demo):
    first = campaigns_fingerprint()
    call_command("load_demo", verbosity=0)
    assert Campaign.objects.count() == 2
    assert campaigns_fingerprint() == first
    call_command("load_demo", reset=True, verbosity=0)
    assert sorted(Campaign.objects.values_list("title", flat=True)) == [
        "Remontée 2021",
        "Remontée 2022",
    ]
    assert campaigns_fingerprint() == first


def test_reset_leaves_a_campaign_staff_created(demo):
    staff = Campaign(
        title="Remontée 2021",
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        opens_on=datetime.date(2022, 1, 10),
        deadline=datetime.date(2022, 3, 31),
    )
    staff.save()
    call_command("load_demo", reset=True, verbosity=0)
    assert Campaign.objects.filter(pk=staff.pk).exists()
    assert Campaign.objects.count() == 3


def test_half_the_answers_with_deliveries_join_a_readable_execution_report(demo, evidence_folder):
    answered = ExpectedReport.objects.exclude(status=Status.EXPECTED).exclude(
        nothing_delivered=True
    )
    files = list(Evidence.objects.select_related("report__campaign"))
    assert files and all(file.report_id for file in files)  # on reports, none on deliveries
    assert 0.3 < len(files) / answered.count() < 0.7
    for file in files:
        report = file.report
        assert file.name == f"rapport-execution-{report.campaign.period_start.year}.pdf"
        assert file.uploaded_by_id == report.submitted_by_id or report.status == Status.RETURNED
        assert report.campaign.opens_on <= timezone.localtime(file.uploaded_at).date()
        with file.file.open("rb") as content:
            assert check_upload(upload(file.name, content.read())) == "application/pdf"
    assert len(list(evidence_folder.rglob("*.pdf"))) == 0  # random names, no file's own
    assert sum(1 for path in evidence_folder.rglob("*") if path.is_file()) == len(files)

from django.shortcuts import render

from commitments.models import Commitment
from strategy.models import Issue


def home(request):
    """The strategy at a glance: public planned versus delivered, per issue and unit."""
    totals = Commitment.objects.public().totals("issue")
    issues = list(Issue.objects.all())
    for issue in issues:
        issue.unit_totals = [row for row in totals if row["issue_id"] == issue.pk]
    return render(
        request,
        "strategy/home.html",
        {"issues": issues, "overall": Commitment.objects.public().totals()},
    )

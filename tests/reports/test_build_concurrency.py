"""Requests for background builds at the same moment keep the limits (PostgreSQL): one
build per user, REPORT_BUILDS_IN_ALL in all, never more."""

import threading

import pytest
from django.db import connections
from django.test import override_settings

from actors.roles import MANAGERS, setup_roles
from reports.builds import BuildRefused, start_build
from reports.exports import EXPORTERS, ReportFilters
from reports.models import ReportBuild
from tests.factories import staff_member
from tests.helpers import postgresql_only

pytestmark = [
    pytest.mark.django_db(transaction=True),
    postgresql_only("the race needs concurrent transactions (SQLite serialises writes)"),
]

# Queued in the database and never run: a build that finished at once would free its
# slot, and the count would prove nothing.
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
THREADS = 8


def at_once(users):
    """start_build for each user, each in its own thread and connection, released
    together; returns (builds started, French refusals, errors)."""
    barrier = threading.Barrier(len(users))
    started, refused, errors = [], [], []

    def ask(user):
        try:
            barrier.wait()
            started.append(
                start_build(user, EXPORTERS["realisations"], "csv", "csv", {}, ReportFilters(), 10)
            )
        except BuildRefused as refusal:
            refused.append(str(refusal))
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return started, refused, errors


@override_settings(TASKS=DATABASE_TASKS, REPORT_BUILDS_IN_ALL=100)
def test_eight_requests_of_one_user_at_once_start_one_build():
    setup_roles()
    manager = staff_member("gestionnaire", MANAGERS)
    started, refused, errors = at_once([manager] * THREADS)
    assert errors == []
    assert len(started) == 1 and len(refused) == THREADS - 1
    assert {reason.split(" :")[0] for reason in refused} == {
        "Un de vos fichiers est déjà en préparation"
    }
    assert ReportBuild.objects.count() == 1


@override_settings(TASKS=DATABASE_TASKS, REPORT_BUILDS_IN_ALL=3)
def test_eight_users_at_once_start_no_more_builds_than_in_all():
    setup_roles()
    managers = [staff_member(f"gestionnaire-{i}", MANAGERS) for i in range(THREADS)]
    started, refused, errors = at_once(managers)
    assert errors == []
    assert len(started) == 3 and len(refused) == THREADS - 3
    assert all("3 fichiers sont déjà en préparation" in reason for reason in refused)
    assert ReportBuild.objects.active().count() == 3

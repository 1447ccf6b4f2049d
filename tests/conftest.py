import os

import pytest

from actors.roles import AGENTS, MANAGERS, setup_roles
from tests.factories import ActorFactory, MembershipFactory, UserFactory, staff_member


@pytest.fixture
def roles(db):
    setup_roles()


@pytest.fixture
def staff_agent(roles):
    """An agent of the regional team: it sees everything."""
    return staff_member("agent", AGENTS)


@pytest.fixture
def manager(roles):
    """A manager of the regional team."""
    return staff_member("gestionnaire", MANAGERS)


@pytest.fixture
def actor_a(db):
    return ActorFactory(name="Association A")


@pytest.fixture
def actor_b(db):
    return ActorFactory(name="Association B")


@pytest.fixture
def contact_a(actor_a):
    return MembershipFactory(actor=actor_a, user=UserFactory(username="referent-a")).user


@pytest.fixture
def contact_b(actor_b):
    return MembershipFactory(actor=actor_b, user=UserFactory(username="referent-b")).user


@pytest.fixture
def contact_both(actor_a, actor_b):
    user = UserFactory(username="referent-ab")
    MembershipFactory(actor=actor_a, user=user)
    MembershipFactory(actor=actor_b, user=user)
    return user


@pytest.fixture
def staff_client(client, staff_agent):
    client.force_login(staff_agent)
    return client


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for attackers, not for the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_cache_unless_asked(request, settings):
    """Pages are measured on their cold path (pinned query counts); the tests marked
    real_cache use the configured cache (CACHE_URL: Redis in CI) and check freshness."""
    if request.node.get_closest_marker("real_cache") is None:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    elif settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # One Redis database for every worker of `make test` (pytest-xdist): each worker
        # keeps to keys of its own, and clears only those (tests/caches.py).
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        settings.CACHES = {
            "default": settings.CACHES["default"]
            | {"BACKEND": "tests.caches.WorkerRedisCache", "KEY_PREFIX": f"test-{worker}"}
        }


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """E-mails leave on commit, which a test's own transaction never reaches: run them."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def opendata_folder(settings, tmp_path_factory):
    """Each test's open data files go to a folder of their own, never the project's (nor
    another worker's: the suite runs in parallel)."""
    settings.OPENDATA_ROOT = tmp_path_factory.mktemp("donnees")
    return settings.OPENDATA_ROOT


@pytest.fixture(autouse=True)
def evidence_folder(settings, tmp_path_factory):
    """Evidence files of each test go to a folder of their own, never the project's."""
    folder = tmp_path_factory.mktemp("justificatifs")
    settings.STORAGES = settings.STORAGES | {
        "evidence": settings.STORAGES["evidence"]
        | {"OPTIONS": settings.STORAGES["evidence"]["OPTIONS"] | {"location": str(folder)}}
    }
    return folder


@pytest.fixture(autouse=True)
def reports_folder(settings, tmp_path_factory):
    """Reports built in the background (reports/builds.py) go to a folder of each test's."""
    folder = tmp_path_factory.mktemp("rapports")
    settings.STORAGES = settings.STORAGES | {
        "reports": settings.STORAGES["reports"]
        | {"OPTIONS": settings.STORAGES["reports"]["OPTIONS"] | {"location": str(folder)}}
    }
    return folder


@pytest.fixture(scope="module")
def demo_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """The press release and the demo (seed 2020, scale 1), loaded once per module (and
    per xdist worker) in a transaction rolled back after the module's last test: each
    test then runs in a savepoint of it, so its own writes are undone as usual. The
    demo's evidence files go to a folder of the module's, never the project's, and its
    passwords are hashed as the tests' own (fast_password_hashing).

    Only for modules whose every database test wants the demo: the others would see it."""
    from django.conf import settings
    from django.db import transaction
    from django.test import override_settings

    from datasets.demo import load_demo
    from datasets.forum_2020 import load_forum

    evidence = settings.STORAGES["evidence"]
    folder = str(tmp_path_factory.mktemp("justificatifs-demo"))
    storages = settings.STORAGES | {
        "evidence": evidence | {"OPTIONS": evidence["OPTIONS"] | {"location": folder}}
    }
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as fast_password_hashing
    with (
        django_db_blocker.unblock(),
        override_settings(STORAGES=storages, PASSWORD_HASHERS=hashers),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            load_forum()
            load_demo(seed=2020, scale=1, progress=False)
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def demo(demo_module, db):
    """The demo of `demo_module`, for one test (in its savepoint)."""

"""The public figures (totals, charts' data) through Django's cache, never stale.

Every cached value is stored under the current *figures version*. Any committed write to
the models the figures are made of sets a new version, so the next request computes
fresh figures; old entries simply age out. Signals catch every save and delete, whatever
the path (admin, actor area, import, shell); bulk writes call figures_changed() themselves.
"""

import hashlib
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

VERSION_KEY = "figures:version"
TIMEOUT = 60 * 60


def _version():
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(VERSION_KEY, version, None)
        version = cache.get(VERSION_KEY, version)
    return version


def cached(name, compute, *parts):
    """compute() once per figures version and set of parts (filters, slugs…)."""
    digest = hashlib.sha1(repr(parts).encode()).hexdigest()[:16]
    key = f"figures:{_version()}:{name}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value


def figures_changed():
    """Once the current transaction commits, every cached figure is out of date."""
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, None))


def _on_write(sender, **kwargs):
    figures_changed()


def connect_signals():
    from actors.models import Actor
    from commitments.models import Commitment, Delivery
    from strategy.models import Issue, Measure, Territory

    for model in (Commitment, Delivery, Actor, Issue, Measure, Territory):
        post_save.connect(_on_write, sender=model, dispatch_uid=f"figures-save-{model.__name__}")
        post_delete.connect(
            _on_write, sender=model, dispatch_uid=f"figures-delete-{model.__name__}"
        )

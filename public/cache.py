"""The public figures (totals, charts' data) and pages through Django's cache, never stale.

Every cached value is stored under the current *figures version*. Any committed write to
the models the figures are made of sets a new version, so the next request computes
fresh figures; old entries simply age out. Signals catch every save and delete, whatever
the path (admin, actor area, import, shell); bulk writes call figures_changed() themselves.
"""

import functools
import hashlib
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse, QueryDict

VERSION_KEY = "figures:version"
TIMEOUT = 60 * 60


def _new_version():
    version = uuid.uuid4().hex
    cache.add(VERSION_KEY, version, None)
    return cache.get(VERSION_KEY) or version


def _key(name, *parts):
    digest = hashlib.sha1(repr(parts).encode()).hexdigest()[:16]
    return f"figures:{name}:{digest}"


def _lookup(key):
    """(current version, the entry's value if it was stored under that version).

    One round trip to the cache: entries carry their version instead of being keyed
    by it, so the version and the entry come back together.
    """
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY) or _new_version()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return version, entry[1]
    return version, None


def figures_version():
    """The current figures version: it changes on every committed write to the figures'
    models (for what is built once per version, the open data files)."""
    return cache.get(VERSION_KEY) or _new_version()


def filter_keys(values):
    """Filters ({name: value or model instance}) as plain values, for cache keys."""
    return tuple(getattr(value, "pk", value) for value in values.values())


def cached(name, compute, *parts, keep=None):
    """compute() once per figures version and set of parts (filters, slugs…); with
    `keep`, a value is stored only if keep(value) says so (a page past the last one is
    answered, not stored)."""
    key = _key(name, *parts)
    version, value = _lookup(key)
    if value is None:
        value = compute()
        if keep is None or keep(value):
            cache.set(key, (version, value), TIMEOUT)
    return value


def cached_public_page(*params):
    """Anonymous visitors all see the same page: keep it whole, under the figures version.

    `params` are the query parameters the view reads; any other is dropped before the
    view runs, so that `/?x=<random>` is the page `/` and adds no entry. A page is stored
    only when the view confirms its parameters are canonical (see `canonical()`): a
    value it ignored, or wrote otherwise, is answered but never stored, so a visitor
    cannot fill the cache. Signed-in users, and anything but GET and HEAD, always go to
    the view.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
                return view(request, *args, **kwargs)
            asked = _recognised(request, params)
            key = _key("page", request.path, sorted(asked.items()))
            version, page = _lookup(key)
            if page is not None:
                content_type, content = page
                return HttpResponse(content, content_type=content_type)
            response = view(request, *args, **kwargs)
            if (
                response.status_code == 200
                and not response.streaming
                and getattr(response, "canonical_query", None) == asked
            ):
                cache.set(key, (version, (response["Content-Type"], response.content)), TIMEOUT)
            return response

        return wrapper

    return decorator


def _recognised(request, params):
    """The request's recognised parameters, last value of each, empty ones dropped; the
    view sees only those."""
    query = QueryDict(mutable=True)
    for name in params:
        value = request.GET.get(name, "")
        if value != "":
            query[name] = value
    request.GET = query
    request.GET._mutable = False
    return dict(query.items())


def canonical(response, **params):
    """Marks a public page as storable: `params` are the values it was made from, as the
    view understood them (None for absent). The cache stores the page only when they are
    exactly what was asked."""
    response.canonical_query = {
        name: str(value) for name, value in params.items() if value not in (None, "")
    }
    return response


def figures_changed():
    """Once the current transaction commits, every cached figure is out of date."""
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, None))


def _on_write(sender, **kwargs):
    figures_changed()


def connect_signals():
    from actors.models import Actor, Forum
    from commitments.models import Commitment, Delivery
    from strategy.models import Issue, Measure, Territory

    m2m_changed.connect(
        _on_write, sender=Forum.participants.through, dispatch_uid="figures-forum-participants"
    )
    for model in (Commitment, Delivery, Actor, Forum, Issue, Measure, Territory):
        post_save.connect(_on_write, sender=model, dispatch_uid=f"figures-save-{model.__name__}")
        post_delete.connect(
            _on_write, sender=model, dispatch_uid=f"figures-delete-{model.__name__}"
        )

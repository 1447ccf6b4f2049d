"""How many downloads run at once: EXPORTS_PER_USER for one user, EXPORTS_IN_ALL in all.

A large report costs tens of seconds of a worker: without a limit, one manager
clicking five times occupies every worker. Slots are counters in Django's cache (Redis
shares them between servers; the local-memory default counts per process), held until
the download is written or abandoned, and released by themselves after LEASE seconds if
a worker dies holding one. Without a cache that keeps values (the dummy cache), nothing
is counted.
"""

import contextlib

from django.conf import settings
from django.core.cache import cache

LEASE = 15 * 60
RETRY_AFTER = 30


class Busy(Exception):
    """Too many downloads are running; the user is told to retry."""


def acquire(user):
    """Takes a slot for `user`; returns the function that gives it back, or raises Busy."""
    held = []
    for key, limit in (
        (f"exports:user:{user.pk}", settings.EXPORTS_PER_USER),
        ("exports:all", settings.EXPORTS_IN_ALL),
    ):
        cache.add(key, 0, LEASE)
        try:
            count = cache.incr(key)
        except ValueError:  # the cache keeps nothing, or the counter just expired
            continue
        cache.touch(key, LEASE)
        if count > limit:
            _give_back([*held, key])
            raise Busy
        held.append(key)
    return lambda: _give_back(held)


def _give_back(keys):
    for key in keys:
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
            cache.decr(key)


class ReleasedWhenDone:
    """An iterable of chunks that gives its slot back once written, or when the server
    closes the response (a client gone, a body never read)."""

    def __init__(self, chunks, release):
        self.chunks = chunks
        self.release = release
        self.released = False

    def __iter__(self):
        try:
            yield from self.chunks
        finally:
            self.close()

    def close(self):
        if not self.released:
            self.released = True
            self.release()

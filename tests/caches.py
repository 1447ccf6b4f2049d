"""The configured Redis cache, shared by the suite's parallel workers (pytest-xdist).

Each worker keeps its keys under a prefix of its own (tests/conftest.py), and `clear()`
removes that worker's keys only: Django's RedisCache.clear() empties the whole Redis
database (FLUSHDB), which would wipe another worker's cache in the middle of its test."""

from django.core.cache.backends.redis import RedisCache


class WorkerRedisCache(RedisCache):
    def keys(self):
        """This worker's keys, whatever their version."""
        client = self._cache.get_client(None)
        return list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))

    def clear(self):
        keys = self.keys()
        if keys:
            self._cache.get_client(None, write=True).delete(*keys)
        return True

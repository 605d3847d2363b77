"""A Redis cache that the site can do without.

The archive uses its cache as an optimisation only (facet counts and totals are
recomputed when missing), so Redis being down, restarting or unreachable must
never turn a page into a 500 nor make it hang. ``ResilientRedisCache`` is
Django's own ``RedisCache`` with three differences:

- a connection or timeout error is a miss (reads return the default, writes do
  nothing), never an exception;
- after such an error the process (all its threads) leaves Redis alone for ``RETRY_SECONDS``
  (a circuit breaker), so a dead Redis costs one failed attempt per process
  every few seconds, not one per cache call; the connection and read timeouts
  (settings.CACHES' OPTIONS) bound that attempt;
- the failure is logged as one warning when it starts (and again at most every
  ``WARNING_INTERVAL_SECONDS`` while it lasts), without a traceback, and its end
  as one info line.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("kyr_site.cache")

# Errors that mean "Redis is not there right now"; anything else (a bug, a bad
# value) still raises.
UNAVAILABLE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_SECONDS = 10
WARNING_INTERVAL_SECONDS = 300


class _Breaker:
    """Whether a Redis server is worth trying, shared by every thread of the process
    (Django makes one cache object per thread)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._down_since = None
        self._last_warning = None

    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def failed(self, error: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self._down_until = now + RETRY_SECONDS
            if self._down_since is None:
                self._down_since = now
            warn = self._last_warning is None or now - self._last_warning >= WARNING_INTERVAL_SECONDS
            if warn:
                self._last_warning = now
        if warn:
            logger.warning(
                "The Redis cache is unreachable (%s: %s); serving without it and trying again every %d s.",
                type(error).__name__,
                error,
                RETRY_SECONDS,
            )

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            down_since, self._down_since, self._last_warning = self._down_since, None, None
        if down_since is not None:
            logger.info("The Redis cache is reachable again after %.0f s.", time.monotonic() - down_since)


_breakers: dict[tuple, _Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(servers) -> _Breaker:
    key = tuple(servers)
    with _breakers_lock:
        return _breakers.setdefault(key, _Breaker())


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._breaker = breaker_for(self._servers)

    def _call(self, method, fallback, *args, **kwargs):
        if not self._breaker.available():
            return fallback
        try:
            result = method(*args, **kwargs)
        except UNAVAILABLE_ERRORS as error:
            self._breaker.failed(error)
            return fallback
        self._breaker.succeeded()
        return result

    # --- Django's cache API, each call a miss while Redis is away ------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().add, False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call(super().get, default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call(super().set, None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(super().delete, False, key, version)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, {}, keys, version)

    def has_key(self, key, version=None):
        return self._call(super().has_key, False, key, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        # Django's contract: the keys that were not stored.
        return self._call(super().set_many, list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        self._call(super().delete_many, None, keys, version)

    def clear(self):
        return self._call(super().clear, False)

    # incr/decr keep raising: a counter that silently stops counting is worse
    # than an error, and the site uses none.

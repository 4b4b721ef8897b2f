"""Cache writes a hot path makes once its transaction commits, in one round trip to Redis.

A gift moves a creator's leaderboard version and the sender's gifter-level totals. Through Django's cache API that is
a SET plus, per total, an EXISTS and an INCRBY (``cache.incr`` checks first): five round trips per gift, which cost
the gift path more than the two statements issue 11 saved (bench/RESULTS.md). ``cache_write_many`` does them all in
one Lua call on Redis, and falls back to the cache API on any other backend (the in-process cache of the quick start
and of the tests).

Values are integers: Django's Redis serializer stores an ``int`` as a plain Redis integer (anything else pickled), so
``cache.get`` reads what the script wrote, and INCRBY works on what ``cache.set`` wrote.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

# KEYS: the keys to set, then the keys to increment when they exist. ARGV[1]: how many to set; then one value per key.
_WRITE = """
local n = tonumber(ARGV[1])
for i = 1, #KEYS do
  if i <= n then
    redis.call('set', KEYS[i], ARGV[i + 1])
  elseif redis.call('exists', KEYS[i]) == 1 then
    redis.call('incrby', KEYS[i], ARGV[i + 1])
  end
end
"""


def cache_write_many(*, set_ints: Mapping[str, int], add_if_cached: Mapping[str, int]) -> None:
    """Set each key of ``set_ints`` (no expiry), and add to each integer of ``add_if_cached`` that is cached (one not
    cached stays missing: its next read computes it, with the change in it). One round trip with Redis."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        keys = [backend.make_and_validate_key(k) for k in [*set_ints, *add_if_cached]]
        values = [*set_ints.values(), *add_if_cached.values()]
        client = backend._cache.get_client(write=True)  # Django's own pool (RedisCacheClient)
        client.eval(_WRITE, len(keys), *keys, len(set_ints), *values)
        return
    for key, value in set_ints.items():
        backend.set(key, value, timeout=None)
    for key, delta in add_if_cached.items():
        with contextlib.suppress(ValueError):  # not cached: nothing to move
            backend.incr(key, delta)

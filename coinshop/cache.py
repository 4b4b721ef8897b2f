"""Cached counters that a hot path moves once its transaction commits, in one round trip to Redis each.

A gift moves a creator's leaderboard version and the sender's gifter-level totals. Through Django's cache API that is
a SET plus, per total, an EXISTS and an INCRBY (``cache.incr`` checks first): five round trips per gift, which cost
the gift path more than the two statements issue 11 saved (bench/RESULTS.md). ``cache_write_many`` does them all in
one Lua call on Redis, and falls back to the cache API on any other backend (the in-process cache of the quick start
and of the tests).

A counter (a total kept in the cache and moved by each change, computed from the database when missing) needs three
steps to stay exact while readers fill it and changes commit at the same time:

1. ``counters_begin(keys)``, inside the change's transaction after its last write: the counter has a change on its
   way (a pending mark) and a new generation.
2. The commit, then ``cache_write_many(add_if_cached=...)``: a cached counter moves, and the pending mark goes.
3. A reader that misses reads the pending mark and the generation with it (``counters_read``), computes the total
   from the database, and stores it (``counters_fill``) only if nothing was pending and the generation is the same.

Whatever the order, a stored total holds each change exactly once: a change committed before the reader's query is
either pending at the read (no fill) or begun after it (new generation: no fill) or done before it (no add follows);
a change committed after the query finds the stored total and adds to it. Without the pending mark, a page rendered
between a gift's commit and its cache write counted the gift twice (CI showed "Lv 2" for one 5-coin gift). A pending
mark left by a transaction that rolled back after step 1 expires after ``PENDING_SECONDS``: until then the counter
is read from the database and not cached.

Values are integers: Django's Redis serializer stores an ``int`` as a plain Redis integer (anything else pickled), so
``cache.get`` reads what the scripts wrote, and INCRBY works on what ``cache.set`` wrote.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache

PENDING_SECONDS = 600  # longer than any wait between step 1 and the after-commit write (a lock wait at commit)
GENERATION_SECONDS = 86_400  # longer than any read between ``counters_read`` and ``counters_fill``

# KEYS: the keys to set, then per counter its value and its pending mark. ARGV[1]: how many keys to set; then the
# values to set, then one amount per counter.
_WRITE = """
local n = tonumber(ARGV[1])
for i = 1, n do
  redis.call('set', KEYS[i], ARGV[i + 1])
end
local k = 0
for i = n + 1, #KEYS, 2 do
  if redis.call('exists', KEYS[i]) == 1 then
    redis.call('incrby', KEYS[i], ARGV[n + 2 + k])
  end
  if tonumber(redis.call('get', KEYS[i + 1]) or '0') > 0 then
    redis.call('decr', KEYS[i + 1])
  end
  k = k + 1
end
"""

# KEYS: per counter its pending mark and its generation. ARGV: their expiries.
_BEGIN = """
for i = 1, #KEYS, 2 do
  redis.call('incr', KEYS[i])
  redis.call('expire', KEYS[i], ARGV[1])
  redis.call('incr', KEYS[i + 1])
  redis.call('expire', KEYS[i + 1], ARGV[2])
end
"""

# KEYS: per counter its value, pending mark and generation. ARGV[1]: the value's expiry; then per counter the value
# and the generation the reader saw.
_FILL = """
local k = 0
for i = 1, #KEYS, 3 do
  if redis.call('exists', KEYS[i]) == 0 and tonumber(redis.call('get', KEYS[i + 1]) or '0') == 0
      and tonumber(redis.call('get', KEYS[i + 2]) or '0') == tonumber(ARGV[3 + 2 * k]) then
    redis.call('set', KEYS[i], ARGV[2 + 2 * k], 'EX', ARGV[1])
  end
  k = k + 1
end
"""

_local_lock = threading.Lock()  # the other backends (in-process): the three steps one at a time in this process


def _pending(key: str) -> str:
    return f"{key}:pending"


def _generation(key: str) -> str:
    return f"{key}:generation"


_scripts: dict[str, Any] = {}  # redis-py Script objects: EVALSHA, the script sent again only if Redis lost it


def _redis(backend: RedisCache, script: str, keys: Sequence[str], args: Sequence[int]) -> None:
    """Run ``script`` in one round trip. The client is made once per cache backend (one per thread) on Django's own
    connection pool: Django's ``get_client`` builds a new ``Redis`` object per call, which cost as much CPU as a
    third of the round trip itself (bench/RESULTS.md)."""
    client = backend.__dict__.get("_coinshop_client")
    if client is None:
        client = backend._cache.get_client(write=True)  # type: ignore[attr-defined]  # Django's pool (not in the stubs)
        backend.__dict__["_coinshop_client"] = client
    if script not in _scripts:
        _scripts[script] = client.register_script(script)
    _scripts[script](keys=[backend.make_key(k) for k in keys], args=list(args), client=client)


def _int(backend: BaseCache, key: str) -> int:
    return int(backend.get(key) or 0)


def cache_write_many(*, set_ints: Mapping[str, int], add_if_cached: Mapping[str, int]) -> None:
    """After a commit: set each key of ``set_ints`` (no expiry), and add to each counter of ``add_if_cached`` that is
    cached (one not cached stays missing: its next read computes it, with the change in it), ending the change that
    ``counters_begin`` began on it. One round trip with Redis."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        keys = [*set_ints, *(k for key in add_if_cached for k in (key, _pending(key)))]
        _redis(backend, _WRITE, keys, [len(set_ints), *set_ints.values(), *add_if_cached.values()])
        return
    with _local_lock:
        for key, value in set_ints.items():
            backend.set(key, value, timeout=None)
        for key, delta in add_if_cached.items():
            with contextlib.suppress(ValueError):  # not cached: nothing to move (``incr`` keeps the expiry)
                backend.incr(key, delta)
            if (pending := _int(backend, _pending(key))) > 0:
                backend.set(_pending(key), pending - 1, timeout=PENDING_SECONDS)


def counters_begin(keys: Sequence[str]) -> None:
    """Inside a transaction, after its last write: a change to these counters is on its way (step 1 above)."""
    if not keys:
        return
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        pairs = [k for key in keys for k in (_pending(key), _generation(key))]
        _redis(backend, _BEGIN, pairs, [PENDING_SECONDS, GENERATION_SECONDS])
        return
    with _local_lock:
        for key in keys:
            backend.set(_pending(key), _int(backend, _pending(key)) + 1, timeout=PENDING_SECONDS)
            backend.set(_generation(key), _int(backend, _generation(key)) + 1, timeout=GENERATION_SECONDS)


@dataclass(frozen=True)
class CounterRead:
    found: dict[str, int]  # the counters cached
    fillable: dict[str, int] = field(default_factory=dict)  # missing ones with no change on its way: generation seen


def counters_read(keys: Sequence[str]) -> CounterRead:
    """The cached counters among ``keys``, and what ``counters_fill`` needs for the missing ones (one round trip)."""
    backend = caches["default"]
    names = [k for key in keys for k in (key, _pending(key), _generation(key))]
    got = backend.get_many(names)
    found = {key: int(got[key]) for key in keys if key in got}
    fillable = {
        key: int(got.get(_generation(key)) or 0)
        for key in keys
        if key not in found and not int(got.get(_pending(key)) or 0)
    }
    return CounterRead(found=found, fillable=fillable)


def counters_fill(*, values: Mapping[str, int], read: CounterRead, timeout: int) -> None:
    """Store the totals just computed from the database, each only if it is still missing, nothing is pending and
    its generation is still the one ``read`` saw (step 3 above). One round trip with Redis."""
    fill = {key: value for key, value in values.items() if key in read.fillable}
    if not fill or timeout <= 0:  # 0: caching turned off (Redis refuses an expiry of 0)
        return
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        keys = [k for key in fill for k in (key, _pending(key), _generation(key))]
        args = [timeout, *(n for key, value in fill.items() for n in (value, read.fillable[key]))]
        _redis(backend, _FILL, keys, args)
        return
    with _local_lock:
        for key, value in fill.items():
            if (
                backend.get(key) is None
                and not _int(backend, _pending(key))
                and _int(backend, _generation(key)) == read.fillable[key]
            ):
                backend.set(key, value, timeout=timeout)

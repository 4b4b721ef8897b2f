"""``coinshop.cache``: what a gift writes to the cache after it commits (a leaderboard version, the sender's level
totals), in one round trip with Redis and through the cache API otherwise, the same outcome both ways; and cached
counters that stay exact whatever order readers and committing changes take."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from coinshop.cache import cache_write_many, counters_begin, counters_fill, counters_read


def _writes_and_reads() -> None:
    cache.set("t:cached", 40, timeout=60)
    cache.delete("t:missing")
    cache_write_many(set_ints={"t:version": 7}, add_if_cached={"t:cached": 5, "t:missing": 5})
    assert cache.get("t:version") == 7  # set, and read back as the integer it is
    assert cache.get("t:cached") == 45  # moved
    assert cache.get("t:missing") is None  # not made up: its next read computes it
    cache_write_many(set_ints={"t:version": 8}, add_if_cached={"t:cached": -45})
    assert cache.get("t:version") == 8 and cache.get("t:cached") == 0


def test_the_in_process_cache_gets_the_same_writes() -> None:
    _writes_and_reads()


@pytest.mark.redis
def test_redis_gets_them_in_one_round_trip(settings, monkeypatch) -> None:
    import redis

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL}
    }
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    sent: list[object] = []
    execute = redis.Redis.execute_command

    def counted(self: redis.Redis, *args: object, **options: object) -> object:
        sent.append(args[0])
        return execute(self, *args, **options)

    cache_write_many(set_ints={"t:other": 1}, add_if_cached={})  # the script loaded once (Redis keeps it)
    cache.set("t:cached", 40, timeout=60)
    cache.delete("t:missing")
    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    cache_write_many(set_ints={"t:version": 7}, add_if_cached={"t:cached": 5, "t:missing": 5})
    counters_begin(["t:cached"])
    monkeypatch.undo()
    assert sent == ["EVALSHA", "EVALSHA"]  # one command each, one round trip each (the script by its digest)
    client = backend._cache.get_client(write=True)
    assert 0 < client.ttl(backend.make_and_validate_key("t:cached")) <= 60  # its expiry kept
    assert client.ttl(backend.make_and_validate_key("t:version")) == -1  # no expiry
    client.script_flush()  # Redis restarted and lost its scripts: they are sent again
    _writes_and_reads()
    cache.delete_many(["t:cached", "t:version", "t:other"])


@pytest.fixture(params=["in-process", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest, settings) -> Iterator[str]:
    if request.param == "redis":
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL}
        }
    cache.clear()
    yield request.param
    cache.clear()


KEY = "t:counter"
GIFT = 5


def _interleavings(actors: list[list[str]]) -> Iterator[list[str]]:
    """Every order of the actors' steps that keeps each actor's own steps in order."""
    if all(not steps for steps in actors):
        yield []
        return
    for i, steps in enumerate(actors):
        if steps:
            rest = [*actors[:i], steps[1:], *actors[i + 1 :]]
            for tail in _interleavings(rest):
                yield [steps[0], *tail]


def test_a_cached_counter_counts_each_change_once_whatever_the_order(backend) -> None:
    """Two gifts (mark, commit, add) and a page that misses and fills the total (read, query, fill), in all 1,680
    orders, from a cache with the total and one without: the cached total is then missing or the database's; never
    a gift twice (a fill between a commit and its add) or a gift lost (a fill after its add)."""
    orders = list(
        _interleavings([["a:mark", "a:commit", "a:add"], ["b:mark", "b:commit", "b:add"], ["read", "query", "fill"]])
    )
    assert len(orders) == 1_680
    for warm in (False, True):
        for order in orders:
            _run(order, warm=warm)


def _run(order: list[str], *, warm: bool) -> None:
    database = {"total": 10}
    seen: dict[str, Any] = {}
    steps: dict[str, Callable[[], object]] = {
        "read": lambda: seen.update(read=counters_read([KEY])),
        "query": lambda: seen.update(total=database["total"]),
        "fill": lambda: counters_fill(values={KEY: seen["total"]}, read=seen["read"], timeout=60),
    }
    for gift in ("a", "b"):
        steps[f"{gift}:mark"] = lambda: counters_begin([KEY])
        steps[f"{gift}:commit"] = lambda: database.update(total=database["total"] + GIFT)
        steps[f"{gift}:add"] = lambda: cache_write_many(set_ints={}, add_if_cached={KEY: GIFT})
    cache.clear()
    if warm:
        cache.set(KEY, 10, timeout=60)
    for step in order:
        steps[step]()
    assert cache.get(KEY) in (None, 20), (warm, order, cache.get(KEY))
    read = counters_read([KEY])  # nothing on its way now: a miss fills, and then holds the total
    counters_fill(values={KEY: database["total"]}, read=read, timeout=60)
    assert cache.get(KEY) == database["total"] == 20


def test_a_change_that_never_commits_only_stops_filling_until_its_mark_expires(backend) -> None:
    counters_begin([KEY])  # and the transaction rolls back: no add will come
    read = counters_read([KEY])
    assert read.found == {} and read.fillable == {}  # the total is read from the database, not cached
    counters_fill(values={KEY: 10}, read=read, timeout=60)
    assert cache.get(KEY) is None
    cache.delete(f"{KEY}:pending")  # what its expiry does (PENDING_SECONDS)
    read = counters_read([KEY])
    counters_fill(values={KEY: 10}, read=read, timeout=60)
    assert cache.get(KEY) == 10


def test_a_fill_with_caching_turned_off_stores_nothing(backend) -> None:
    """GIFTER_LEVEL_CACHE_SECONDS=0: totals are read from the database every time (Redis refuses an expiry of 0)."""
    counters_fill(values={KEY: 10}, read=counters_read([KEY]), timeout=0)
    assert cache.get(KEY) is None

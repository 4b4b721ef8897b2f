"""``coinshop.cache.cache_write_many``: what a gift writes to the cache after it commits (a leaderboard version, the
sender's level totals), in one round trip with Redis and through the cache API otherwise; the same outcome both ways."""

from __future__ import annotations

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from coinshop.cache import cache_write_many


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

    cache.set("t:cached", 40, timeout=60)
    cache.delete("t:missing")
    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    cache_write_many(set_ints={"t:version": 7}, add_if_cached={"t:cached": 5, "t:missing": 5})
    monkeypatch.undo()
    assert sent == ["EVAL"]  # one command, one round trip
    client = backend._cache.get_client(write=True)
    assert 0 < client.ttl(backend.make_and_validate_key("t:cached")) <= 60  # its expiry kept
    assert client.ttl(backend.make_and_validate_key("t:version")) == -1  # no expiry
    _writes_and_reads()
    cache.delete_many(["t:cached", "t:version"])

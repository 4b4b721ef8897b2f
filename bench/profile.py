"""In-process costs behind bench/RESULTS.md: one gift, the main pages, and single statements, without HTTP.

Run against a benchmark database kept from a run (it reads the loaded data; gifts it sends stay in it):

    BENCH_KEEP_DB=1 BENCH_VIEWERS=20000 BENCH_CREATORS=2000 BENCH_PHASES=none make bench
    .venv/bin/python -m bench.profile gift         # ms per gift_send, its statements, and a cProfile summary
    .venv/bin/python -m bench.profile pages        # ms per page through Django's test client, and its queries
    .venv/bin/python -m bench.profile statements   # the same statement through the ORM and through the cursor

Settings are the benchmark's (production plus a bare view), with the database and Redis of ``bench/run.py``.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC_ROOT = Path(tempfile.gettempdir()) / "coinshop-bench-profile-static"
os.environ.update(
    DJANGO_SETTINGS_MODULE="bench.settings",
    SECRET_KEY="bench-profile-" + "x" * 40,
    ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
    DATABASE_URL=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    + "/"
    + os.environ.get("BENCH_DB", "coinshop_bench"),
    REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"),
    SECURE_SSL_REDIRECT="False",
    STATIC_ROOT=str(STATIC_ROOT),
    LOG_LEVEL="WARNING",
)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402


def per_call_ms(fn: Callable[[], object], n: int) -> float:
    fn()
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1000


def statements_of(fn: Callable[[], object]) -> list[str]:
    seen: list[str] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        fn()
    return seen


def gift() -> None:
    from accounts.models import CreatorProfile, User
    from gifts.models import Gift
    from gifts.sending.services import gift_send

    heart = Gift.objects.select_related("event").get(slug="heart")
    hot = CreatorProfile.objects.select_related("user").get(pk=1)
    senders = list(User.objects.filter(pk__lte=200))
    state = {"i": 0}

    def one() -> None:
        state["i"] += 1
        gift_send(sender=senders[state["i"] % len(senders)], creator=hot, gift=heart)

    print(f"gift_send: {per_call_ms(one, 500):.2f} ms per gift (500 gifts to one creator, one process)")
    statements = statements_of(one)
    print(f"{len(statements)} statements (plus BEGIN and COMMIT):")
    for sql in statements:
        print(f"   {sql[:110]}")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(300):
        one()
    profile.disable()
    out = StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(8)
    print("\ncProfile, 300 gifts, by own time (psycopg's wait() is waiting on PostgreSQL):")
    print("\n".join(line[:150] for line in out.getvalue().splitlines()[4:22]))


def pages() -> None:
    from django.test import Client

    from accounts.models import User
    from gifts.models import Gift, LiveSession

    call_command("collectstatic", "--no-input", verbosity=0)
    viewer = User.objects.get(pk=100)
    room = LiveSession.objects.order_by("-pk").first()
    assert room is not None, "no live session: load the benchmark data first"
    heart = Gift.objects.get(slug="heart")
    client = Client()
    client.force_login(viewer)

    def gift_post() -> object:
        return client.post(
            f"/@{room.creator.handle}/gift/",
            {
                "gift": heart.pk,
                "quantity": 1,
                "visibility": "public",
                "idempotency_key": str(uuid.uuid4()),
                "live_session": room.pk,
            },
            HTTP_ACCEPT="application/json",
        )

    cases: list[tuple[str, Callable[[], object]]] = [
        (path, lambda path=path: client.get(path))  # type: ignore[misc]
        for path in ("/bench/bare/", "/wallet/", f"/@{room.creator.handle}/", f"/live/{room.pk}/")
    ]
    cases += [
        (f"/live/{room.pk}/feed.json", lambda: client.get(f"/live/{room.pk}/feed.json")),
        ("gift POST", gift_post),
    ]
    print("in-process, logged in, warm (100 requests each, Django's test client: no HTTP, no new connections)")
    for name, fn in cases:
        status = fn().status_code  # type: ignore[attr-defined]
        assert status == 200, (name, status)
        queries = len(statements_of(fn))
        print(f"  {name:26} {per_call_ms(fn, 100):6.2f} ms  {queries:2} queries")


def statements() -> None:
    from django.db.models import F, Sum

    from wallet.models import CoinDebt, LedgerAccount

    cursor = connection.cursor()
    rows = [
        ("SELECT 1 through the cursor", lambda: cursor.execute("SELECT 1")),
        ("an account by owner: ORM .first()", lambda: LedgerAccount.objects.filter(owner_id=5, asset="COIN").first()),
        (
            "a balance UPDATE: ORM .update()",
            lambda: LedgerAccount.objects.filter(pk=5, balance__gte=0).update(balance=F("balance") + 0),
        ),
        (
            "the same UPDATE through the cursor",
            lambda: cursor.execute(
                "UPDATE wallet_ledgeraccount SET balance = balance + %s WHERE id = %s AND balance >= %s", [0, 5, 0]
            ),
        ),
        (
            "open debt: ORM aggregate",
            lambda: CoinDebt.objects.filter(user_id=5, settled_at__isnull=True).aggregate(t=Sum("coins")),
        ),
        (
            "open debt: EXISTS through the cursor",
            lambda: cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM wallet_coindebt WHERE user_id = %s AND settled_at IS NULL)", [5]
            ),
        ),
    ]
    for name, fn in rows:
        print(f"  {name:40} {per_call_ms(fn, 1000):.3f} ms")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "gift"
    {"gift": gift, "pages": pages, "statements": statements}[what]()

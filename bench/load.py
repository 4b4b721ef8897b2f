"""Bulk-load the benchmark's data set with COPY: viewers with coins, creators with sharded diamond accounts.

Coins are granted the way staff would grant them, as balanced ledger transactions (one ``adjustment`` per viewer:
+coins on the viewer's COIN account, -coins on the adjustments system account), written straight into the tables
with COPY because 100,000 calls of the ledger service would take minutes. Cached balances are set to exactly
the sum of those entries, so ``manage.py ledger_check`` holds from the first moment.

Ids are assigned here (and the identity sequences moved past them) so the pgbench script can address rows
arithmetically: viewer ``n`` is user ``n`` with COIN account ``n``; creator ``k`` is user ``VIEWERS + k``,
profile ``k``, DIAMOND account ``VIEWERS + k`` with shards ``(k - 1) * SHARDS + s + 1``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models
from django.utils import timezone
from psycopg import sql

from accounts.models import CreatorProfile, User
from gifts.models import Gift, LiveSession
from wallet.ledger import ledger_system_account
from wallet.models import (
    Asset,
    LedgerAccount,
    LedgerBalanceShard,
    LedgerEntry,
    LedgerTransaction,
    SystemAccount,
    TransactionKind,
)


@dataclass(frozen=True)
class DataSet:
    viewers: int
    creators: int
    coins_each: int
    shards: int
    creator_account_base: int  # DIAMOND account id of creator k is creator_account_base + k
    coin_sink_id: int
    diamond_issuance_id: int
    hot_handle: str
    hot_creator_id: int
    live_session_id: int
    gift_id: int
    gift_cost: int


def _copy(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple[object, ...]]) -> int:
    """COPY rows into ``model``'s table. Fields not in ``columns`` get their model default (one value for all)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    missing = [f for name, f in fields.items() if name not in columns]
    extra = tuple(f.get_db_prep_save(f.get_default(), connection) for f in missing)
    column_names = [fields[c].column for c in columns] + [f.column for f in missing]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, column_names))
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row + extra)
            count += 1
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), (SELECT max(id) FROM {}))").format(
                sql.Literal(model._meta.db_table), sql.Identifier(model._meta.db_table)
            )
        )
    return count


def load(*, viewers: int, creators: int, coins_each: int, log: callable = print) -> DataSet:  # type: ignore[valid-type]
    from gifts.demo import seed

    started = time.monotonic()
    now = timezone.now()
    shards = max(1, int(settings.LEDGER_DIAMOND_SHARDS))
    password = make_password("bench-password-not-a-secret")
    adult = now.date().replace(year=now.year - 30)
    # An established audience: everyone joined a year ago (fresh accounts gifting a fresh creator are flagged and
    # limited per hour, ``gifts.sending.velocity``, which is not what this benchmark measures).
    joined = now - timedelta(days=365)

    _copy(
        User,
        ["id", "email", "password", "date_of_birth", "nickname", "date_joined", "is_active"],
        (
            (n, f"viewer{n}@bench.coinshop.test", password, adult, f"Fan {n}", joined, True)
            for n in range(1, viewers + 1)
        ),
    )
    _copy(
        User,
        ["id", "email", "password", "date_of_birth", "date_joined", "is_active"],
        (
            (viewers + k, f"creator{k}@bench.coinshop.test", password, adult, joined, True)
            for k in range(1, creators + 1)
        ),
    )
    _copy(
        CreatorProfile,
        ["id", "user_id", "handle", "display_name", "created_at"],
        ((k, viewers + k, f"creator{k}", f"Creator {k}", now) for k in range(1, creators + 1)),
    )
    log(f"  users and creator profiles: {viewers:,} viewers, {creators:,} creators")

    creator_base = viewers
    adjustment_id = viewers + creators + 1
    _copy(
        LedgerAccount,
        ["id", "owner_id", "system_code", "asset", "balance", "sharded", "created_at"],
        [
            *((n, n, None, Asset.COIN, coins_each, False, now) for n in range(1, viewers + 1)),
            *((creator_base + k, viewers + k, None, Asset.DIAMOND, 0, True, now) for k in range(1, creators + 1)),
            (adjustment_id, None, SystemAccount.ADJUSTMENT, Asset.COIN, 0, False, now),
        ],
    )
    _copy(
        LedgerBalanceShard,
        ["id", "account_id", "shard", "balance"],
        (((k - 1) * shards + s + 1, creator_base + k, s, 0) for k in range(1, creators + 1) for s in range(shards)),
    )
    _copy(
        LedgerTransaction,
        ["id", "kind", "idempotency_key", "reference_type", "reference_id", "memo", "created_at"],
        (
            (n, TransactionKind.ADJUSTMENT, f"bench-grant-{n}", "user", str(n), "Benchmark: starting coins", now)
            for n in range(1, viewers + 1)
        ),
    )

    def entries() -> Iterable[tuple[object, ...]]:
        for n in range(1, viewers + 1):
            yield (2 * n - 1, n, n, Asset.COIN, coins_each)
            yield (2 * n, n, adjustment_id, Asset.COIN, -coins_each)

    _copy(LedgerEntry, ["id", "transaction_id", "account_id", "asset", "amount"], entries())
    log(f"  ledger: {viewers:,} adjustment transactions of {coins_each:,} coins, {creators * shards:,} shards")

    seed()  # the demo gift catalog (and its event)
    coin_sink = ledger_system_account(code=SystemAccount.COIN_SINK)
    issuance = ledger_system_account(code=SystemAccount.DIAMOND_ISSUANCE)
    hot = CreatorProfile.objects.get(pk=1)
    session = LiveSession.objects.create(creator=hot, title="Benchmark stream")
    gift = Gift.objects.get(slug="heart")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"  loaded in {time.monotonic() - started:.1f} s")
    return DataSet(
        viewers=viewers,
        creators=creators,
        coins_each=coins_each,
        shards=shards,
        creator_account_base=creator_base,
        coin_sink_id=coin_sink.pk,
        diamond_issuance_id=issuance.pk,
        hot_handle=hot.handle,
        hot_creator_id=hot.pk,
        live_session_id=session.pk,
        gift_id=gift.pk,
        gift_cost=gift.coin_cost,
    )

"""Gift undo, held to what mutation testing (``make mutation``, tests/MUTATION.md) found untested: the boundaries of
the undo window, who may undo, and what an undo tells the live room, its goal and leaderboards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gifts.models import GiftSend, GiftSendStatus
from gifts.sending.services import GiftRefused, gift_send, gift_sends_finalize, gift_undo
from wallet.invariants import ledger_check
from wallet.models import Asset, LedgerTransaction
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db


def _ok() -> None:
    report = ledger_check()
    assert report.ok, report.violations


def _balances(viewer, creator) -> tuple[int, int]:
    return wallet_balance_get(user=viewer), wallet_balance_get(user=creator.user, asset=Asset.DIAMOND)


# --- the undo window -------------------------------------------------------------------------------------------------


def test_a_gift_of_exactly_the_undo_threshold_is_undoable_and_one_coin_less_is_final(
    viewer, creator, catalog, fund, settings
) -> None:
    settings.GIFT_UNDO_MIN_COINS = 30
    settings.GIFT_UNDO_SECONDS = 7
    fund(viewer, 100)
    now = timezone.now()
    large = gift_send(sender=viewer, creator=creator, gift=catalog["clap"], quantity=3, now=now)
    assert (large.status, large.undo_until) == (GiftSendStatus.UNDOABLE, now + timedelta(seconds=7))
    small = gift_send(sender=viewer, creator=creator, gift=catalog["rose"], quantity=29, now=now)
    assert (small.status, small.undo_until) == (GiftSendStatus.FINAL, None)


def test_the_undo_window_closes_at_its_last_instant(viewer, creator, catalog, fund) -> None:
    fund(viewer, 3000)
    now = timezone.now()
    first = gift_send(sender=viewer, creator=creator, gift=catalog["crown"], now=now)
    second = gift_send(sender=viewer, creator=creator, gift=catalog["crown"], now=now)
    end = now + timedelta(seconds=5)
    gift_undo(send=first, by=viewer, now=end - timedelta(microseconds=1))
    with pytest.raises(GiftRefused, match="This gift is final"):
        gift_undo(send=second, by=viewer, now=end)
    assert _balances(viewer, creator) == (2000, 1000)
    _ok()


def test_only_the_sender_may_undo_and_nothing_moves_otherwise(viewer, make_user, creator, catalog, fund) -> None:
    fund(viewer, 1000)
    now = timezone.now()
    crown = gift_send(sender=viewer, creator=creator, gift=catalog["crown"], now=now)
    with pytest.raises(GiftRefused, match="Only the sender"):
        gift_undo(send=crown, by=make_user("other@example.com"), now=now)
    with pytest.raises(GiftRefused, match="Only the sender"):
        gift_undo(send=crown, by=creator.user, now=now)
    assert _balances(viewer, creator) == (0, 1000)
    assert GiftSend.objects.get(pk=crown.pk).status == GiftSendStatus.UNDOABLE
    cancelled = gift_undo(send=crown, by=viewer, now=now)
    assert cancelled.status == GiftSendStatus.CANCELLED
    assert gift_undo(send=crown, by=viewer, now=now + timedelta(days=1)).status == GiftSendStatus.CANCELLED
    assert _balances(viewer, creator) == (1000, 0)
    assert LedgerTransaction.objects.filter(kind="gift_undo").count() == 1


def test_a_final_gift_whose_window_was_finalized_cannot_be_undone(viewer, creator, catalog, fund) -> None:
    fund(viewer, 3000)
    now = timezone.now()
    crown = gift_send(sender=viewer, creator=creator, gift=catalog["crown"], now=now)
    open_one = gift_send(sender=viewer, creator=creator, gift=catalog["crown"], now=now + timedelta(seconds=1))
    end = now + timedelta(seconds=5)
    cancelled = gift_send(sender=viewer, creator=creator, gift=catalog["crown"], now=now)
    gift_undo(send=cancelled, by=viewer, now=now)
    assert gift_sends_finalize(now=end - timedelta(microseconds=1)) == 0
    assert gift_sends_finalize(now=end) == 1
    assert GiftSend.objects.get(pk=cancelled.pk).status == GiftSendStatus.CANCELLED  # an undone gift stays undone
    assert GiftSend.objects.get(pk=crown.pk).status == GiftSendStatus.FINAL
    assert GiftSend.objects.get(pk=open_one.pk).status == GiftSendStatus.UNDOABLE
    with pytest.raises(GiftRefused, match="This gift is final"):
        gift_undo(send=crown, by=viewer, now=now)  # even with a clock inside the window: it was finalized
    assert _balances(viewer, creator) == (1000, 2000)


@pytest.mark.redis
def test_an_undo_in_a_live_room_is_told_to_the_room_and_moves_the_goal_and_boards_back(
    viewer, creator, live, catalog, fund, settings, django_capture_on_commit_callbacks
) -> None:
    import json

    from gifts.live import goals
    from gifts.live.events import redis_client, stream_key
    from gifts.sending.leaderboards import leaderboard_for_creator

    settings.LEADERBOARD_REFRESH_SECONDS = 0
    fund(viewer, 2000)
    with django_capture_on_commit_callbacks(execute=True):
        goals.goal_set(creator=creator, title="New song", target=5000)
        rose = gift_send(sender=viewer, creator=creator, gift=catalog["rose"], live_session=live)
    assert [r["coins"] for r in leaderboard_for_creator(creator=creator)] == [1]  # read, so it is cached
    with django_capture_on_commit_callbacks(execute=True):
        crown = gift_send(sender=viewer, creator=creator, gift=catalog["crown"], live_session=live)
    assert [r["coins"] for r in leaderboard_for_creator(creator=creator)] == [1001]
    with django_capture_on_commit_callbacks(execute=True):
        gift_undo(send=crown, by=viewer)
    events = [json.loads(fields["e"]) for _, fields in redis_client().xrange(stream_key(live.pk))]
    assert {"type": "undo", "gift_id": crown.pk} in events
    assert [e["type"] for e in events if e["type"] != "goal"] == ["gift", "gift", "undo"]
    # The goal was announced when set (with the rose, in one commit), after each gift, and after the undo.
    assert [e["goal"]["current"] for e in events if e["type"] == "goal"] == [1, 1, 1001, 1]
    assert events[-1]["type"] == "goal"
    assert [r["coins"] for r in leaderboard_for_creator(creator=creator)] == [1]
    assert rose.status == GiftSendStatus.FINAL


def test_an_undo_whose_diamonds_staff_took_back_says_so_not_that_the_creator_closed(
    viewer, make_user, creator, catalog, fund
) -> None:
    """The creator's diamonds left by another way than a closing (a staff correction): the undo is refused with the
    words for that case, though some other account on the platform is closed, and nothing moves."""
    from coinshop.closing import account_close
    from wallet.ledger import Posting, ledger_account_for_user, ledger_system_account, ledger_transaction_post
    from wallet.models import SystemAccount

    account_close(user=make_user("gone@example.com"))
    fund(viewer, 1000)
    send = gift_send(sender=viewer, creator=creator, gift=catalog["crown"])
    ledger_transaction_post(
        kind="adjustment",
        idempotency_key="staff-takes-the-diamonds",
        postings=[
            Posting(ledger_account_for_user(user=creator.user, asset=Asset.DIAMOND), -send.diamonds),
            Posting(ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.DIAMOND), send.diamonds),
        ],
    )
    with pytest.raises(GiftRefused) as refused:
        gift_undo(send=send, by=viewer)
    assert str(refused.value.message) == (
        "This gift can no longer be cancelled: its diamonds are no longer there to take back."
    )
    send.refresh_from_db()
    assert send.status == GiftSendStatus.UNDOABLE and _balances(viewer, creator) == (0, 0)
    _ok()

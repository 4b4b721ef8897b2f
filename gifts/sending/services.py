"""Gift writes: sending (one ledger transaction), the undo window for large gifts, live sessions.

``gift_send`` is the hot path of the whole platform (a popular live stream gifts one creator many times a
second): it reads what it needs once (the four ledger accounts in one query), then makes one database transaction
whose only locked person row is the sender's coin account; the creator's diamonds land on a random balance shard
(``wallet.ledger``)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import CreatorProfile, GiftVisibility, User
from coinshop.cache import cache_write_many, counters_begin
from wallet.models import Asset, SystemAccount, TransactionKind
from wallet.services import (
    AccountClosed,
    InsufficientFunds,
    Posting,
    ledger_account_for_user,
    ledger_accounts_get,
    ledger_system_account,
    ledger_transaction_post,
)
from wallet.spending import spend_check

from ..catalog.models import Gift
from ..catalog.selectors import gift_send_facts, sale_problem
from ..live.events import live_gift_cancelled, live_gift_published
from ..live.goals import goal_moved
from ..live.models import LiveSession
from ..shop.models import ShopItem
from ..shop.services import shop_effect_consume
from ..subscriptions.selectors import subscriber_is_current
from .leaderboards import leaderboard_version_key
from .levels import gifter_level_keys
from .models import GiftSend, GiftSendStatus
from .velocity import VelocityExceeded, creator_gift_review_list, gift_is_flagged, gift_velocity_check


class GiftRefused(ValidationError):
    """A gift that may not be sent, with the reason in words. Nothing was written."""


def gift_diamonds_for(*, coins: int) -> int:
    return coins * settings.DIAMONDS_PER_COIN


def _creator_problem(*, creator: CreatorProfile) -> str | None:
    if not creator.accepts_gifts or not creator.user.is_active:
        return f"{creator.display_name} does not accept gifts right now."
    return None


def _version() -> int:
    return uuid.uuid4().int >> 66  # an integer (stored as one by Redis: ``coinshop.cache``), unique enough


def leaderboards_changed(*, creator_id: int) -> None:
    """The creator's leaderboards changed (a subscriber, an ended subscription): cached ones are recomputed once the
    change is committed (``leaderboard_for_creator``)."""
    key = leaderboard_version_key(creator_id=creator_id)
    transaction.on_commit(lambda: cache_write_many(set_ints={key: _version()}, add_if_cached={}))


def _gift_caches_moved(*, creator_id: int, sender_id: int, coins: int, visibility: str) -> None:
    """A gift (``coins`` > 0) or its undo (< 0) has made its last write and is about to commit: the sender's
    gifter-level totals are marked as moving now (one round trip to the cache, inside the transaction), and once it
    commits the creator's leaderboards are stale and the totals move (one more)."""
    stale = {leaderboard_version_key(creator_id=creator_id): _version()}
    totals = dict.fromkeys(gifter_level_keys(user_id=sender_id, visibility=visibility), coins)
    counters_begin(list(totals))
    transaction.on_commit(lambda: cache_write_many(set_ints=stale, add_if_cached=totals))


def gift_send(
    *,
    sender: User,
    creator: CreatorProfile,
    gift: Gift,
    quantity: int = 1,
    visibility: str | None = None,
    live_session: LiveSession | None = None,
    idempotency_key: uuid.UUID | None = None,
    now: datetime | None = None,
    effect: ShopItem | None = None,
) -> GiftSend:
    """Send ``quantity`` of ``gift`` to ``creator``: debit coins, credit diamonds, record it. All or nothing.

    ``effect``: the sender's armed effect (``gifts.shop``), applied to a gift in a live room and used up.
    """
    now = now or timezone.now()
    if type(quantity) is not int or not 1 <= quantity <= settings.GIFT_MAX_QUANTITY:
        raise GiftRefused(f"Choose a quantity from 1 to {settings.GIFT_MAX_QUANTITY}.")
    visibility = visibility or sender.default_gift_visibility
    if visibility not in GiftVisibility.values:
        raise GiftRefused("Choose public or anonymous.")
    problem = sale_problem(item=gift, at=now)
    if problem:
        raise GiftRefused(problem)
    coins = gift.coin_cost * quantity
    facts = gift_send_facts(creator_id=creator.pk, gift_id=gift.pk, sender_id=sender.pk)  # one round trip
    spend_check(user=sender, coins=coins, recipient_id=creator.user_id, now=now, facts=facts.spend)
    problem = _creator_problem(creator=creator)
    if problem:
        raise GiftRefused(problem)
    for_subscribers = gift.subscriber_only or facts.kept_for_subscribers
    if for_subscribers and not subscriber_is_current(subscriber=sender, creator=creator, at=now):
        raise GiftRefused(f"The {gift.name} gift is for {creator.display_name}'s subscribers. Subscribe to send it.")
    if live_session is not None and (live_session.creator_id != creator.pk or not live_session.is_live):
        raise GiftRefused("This live stream has ended.")
    flagged = gift_is_flagged(sender=sender, creator=creator, now=now)
    diamonds = gift_diamonds_for(coins=coins)
    public_id = idempotency_key or uuid.uuid4()
    large = coins >= settings.GIFT_UNDO_MIN_COINS
    accounts = ledger_accounts_get(
        people=[(sender.pk, Asset.COIN), (creator.user_id, Asset.DIAMOND)],
        system=[SystemAccount.COIN_SINK, SystemAccount.DIAMOND_ISSUANCE],
    )
    try:
        with transaction.atomic():
            if effect is not None and live_session is not None:
                effect = shop_effect_consume(user=sender, item=effect)
            send = GiftSend.objects.create(
                public_id=public_id,
                sender=sender,
                creator=creator,
                gift=gift,
                live_session=live_session,
                quantity=quantity,
                coins=coins,
                diamonds=diamonds,
                visibility=visibility,
                effect=effect if live_session is not None else None,
                status=GiftSendStatus.UNDOABLE if large else GiftSendStatus.FINAL,
                undo_until=now + timedelta(seconds=settings.GIFT_UNDO_SECONDS) if large else None,
                flagged=flagged,
                created_at=now,
            )
            ledger_transaction_post(
                kind=TransactionKind.GIFT,
                idempotency_key=f"gift-{public_id}",
                postings=[
                    Posting(accounts[(sender.pk, Asset.COIN)], -coins),
                    Posting(accounts[SystemAccount.COIN_SINK], coins),
                    Posting(accounts[(creator.user_id, Asset.DIAMOND)], diamonds),
                    Posting(accounts[SystemAccount.DIAMOND_ISSUANCE], -diamonds),
                ],
                reference=("gift_send", public_id),
                memo=f"{quantity} x {gift.name} to @{creator.handle}",
                savepoint=False,  # any error here ends this whole transaction
                refuse_closed=True,  # the creator's account closed after the check above: refused under the lock
            )
            if flagged:
                gift_velocity_check(creator=creator, coins=coins, now=now)
            _gift_caches_moved(creator_id=creator.pk, sender_id=sender.pk, coins=coins, visibility=visibility)
    except VelocityExceeded as exc:  # nothing of this gift was written; the creator goes on the review list
        creator_gift_review_list(creator=creator, reason=exc.reason, now=now)
        raise GiftRefused(
            f"{creator.display_name} is getting gifts from new accounts very fast, so gifts from new accounts are "
            "paused while our team takes a look. Please try again later.",
            code="velocity",
        ) from exc
    except AccountClosed as exc:
        raise GiftRefused(f"{creator.display_name} does not accept gifts right now.", code="closed") from exc
    except InsufficientFunds as exc:
        raise GiftRefused(
            f"Not enough coins: this gift costs {coins:,} coin{'s' if coins != 1 else ''}. Recharge to send it.",
            code="insufficient_funds",
        ) from exc
    except IntegrityError:
        existing = GiftSend.objects.filter(public_id=public_id, sender=sender).first()
        if existing is None:  # the key is someone else's (a copied form): nothing was written
            raise GiftRefused(
                "This gift form has expired. Reload the page and send the gift again.", code="key_taken"
            ) from None
        return existing  # the same form submitted twice: it was sent once
    if live_session is not None:  # after the cache writes: the live event carries the level
        transaction.on_commit(lambda: live_gift_published(send=send))
    if facts.goal_open:
        transaction.on_commit(lambda: goal_moved(creator_id=creator.pk))
    return send


def gift_undo(*, send: GiftSend, by: User, now: datetime | None = None) -> GiftSend:
    """Cancel a large gift inside its undo window: the coins come back exactly, the diamonds leave again."""
    now = now or timezone.now()
    with transaction.atomic():
        send = GiftSend.objects.select_for_update().select_related("creator", "gift").get(pk=send.pk)
        if send.sender_id != by.pk:
            raise GiftRefused("Only the sender can cancel a gift.")
        if send.status == GiftSendStatus.CANCELLED:
            return send
        if send.status != GiftSendStatus.UNDOABLE or send.undo_until is None or now >= send.undo_until:
            raise GiftRefused("This gift is final and can no longer be cancelled.")
        try:
            ledger_transaction_post(
                kind=TransactionKind.GIFT_UNDO,
                idempotency_key=f"gift-{send.public_id}-undo",
                postings=[
                    Posting(ledger_account_for_user(user=send.sender_id, asset=Asset.COIN), send.coins),
                    Posting(ledger_system_account(code=SystemAccount.COIN_SINK), -send.coins),
                    Posting(ledger_account_for_user(user=send.creator.user_id, asset=Asset.DIAMOND), -send.diamonds),
                    Posting(ledger_system_account(code=SystemAccount.DIAMOND_ISSUANCE), send.diamonds),
                ],
                reference=("gift_send", send.public_id),
                memo=f"Cancelled: {send.quantity} x {send.gift.name}",
            )
        except InsufficientFunds as exc:  # the diamonds left the creator's account: forfeited at its closing
            closed = User.objects.filter(pk=send.creator.user_id, deleted_at__isnull=False).exists()
            why = "the creator's account was closed" if closed else "its diamonds are no longer there to take back"
            raise GiftRefused(f"This gift can no longer be cancelled: {why}.") from exc
        send.status = GiftSendStatus.CANCELLED
        send.save(update_fields=["status"])
        _gift_caches_moved(
            creator_id=send.creator_id, sender_id=send.sender_id, coins=-send.coins, visibility=send.visibility
        )
    if send.live_session_id:
        transaction.on_commit(lambda: live_gift_cancelled(send=send))
    transaction.on_commit(lambda: goal_moved(creator_id=send.creator_id))
    return send


def gift_sends_finalize(*, now: datetime | None = None) -> int:
    """Mark large gifts whose undo window has passed as final (bookkeeping; the window itself is checked by time)."""
    now = now or timezone.now()
    return GiftSend.objects.filter(status=GiftSendStatus.UNDOABLE, undo_until__lte=now).update(
        status=GiftSendStatus.FINAL
    )

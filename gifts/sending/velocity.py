"""Velocity limits on gifts from fresh accounts to a fresh creator, and the staff review list.

A gift is *flagged* when its sender's account and the creator's account are both fresh (younger than
``GIFT_VELOCITY_SENDER_DAYS`` and ``GIFT_VELOCITY_CREATOR_DAYS``): ``GiftSend.flagged``, which payouts read to hold
such diamonds for a person instead of approving them automatically. Above ``GIFT_VELOCITY_MAX_GIFTS_PER_HOUR``
flagged gifts, or ``GIFT_VELOCITY_MAX_COINS_PER_HOUR`` coins of them, to one creator in the last hour, further
flagged gifts are refused in words and the creator goes on the staff review list (``CreatorGiftReview``, in the
admin). Staff clearing the creator is audited, and the count starts again from that moment.

Cost on the gift path: nothing unless both accounts are fresh (their join dates are already loaded); then one small
aggregate over the creator's recent flagged gifts (index creator, created_at)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from accounts.audit import audit_record
from accounts.models import CreatorProfile, User

from .models import CreatorGiftReview, GiftSend, GiftSendStatus


class VelocityExceeded(Exception):
    """Too many flagged gifts to this creator in the last hour: the caller refuses the gift in words and lists the
    creator for review (``creator_gift_review_list``) with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def gift_is_flagged(*, sender: User, creator: CreatorProfile, now: datetime) -> bool:
    """Whether a gift now from ``sender`` to ``creator`` is one from a fresh account to a fresh creator."""
    creator_since = now - timedelta(days=settings.GIFT_VELOCITY_CREATOR_DAYS)
    if creator.user.date_joined <= creator_since:
        return False
    return sender.date_joined > now - timedelta(days=settings.GIFT_VELOCITY_SENDER_DAYS)


def gift_velocity_check(*, creator: CreatorProfile, coins: int, now: datetime) -> None:
    """For a flagged gift being sent (inside its transaction, after its coins were taken, so a gift the sender
    cannot afford never counts): raises ``VelocityExceeded`` when it passes the hour's limits. One query."""
    hour_ago = now - timedelta(hours=1)
    cleared = CreatorGiftReview.objects.filter(creator_id=OuterRef("creator_id")).values("cleared_at")[:1]
    totals = (
        GiftSend.objects.filter(creator_id=creator.pk, flagged=True, created_at__gte=hour_ago)
        .exclude(status=GiftSendStatus.CANCELLED)
        .filter(created_at__gt=Greatest(Coalesce(Subquery(cleared), Value(hour_ago)), Value(hour_ago)))
        .aggregate(n=Count("pk"), coins=Sum("coins"))
    )
    gifts, total = totals["n"], totals["coins"] or 0  # this gift's row is already written: it counts
    max_gifts = settings.GIFT_VELOCITY_MAX_GIFTS_PER_HOUR
    max_coins = settings.GIFT_VELOCITY_MAX_COINS_PER_HOUR
    if gifts > max_gifts or total > max_coins:
        raise VelocityExceeded(
            f"New accounts sent {gifts - 1:,} gifts ({total - coins:,} coins) in an hour; limits "
            f"{max_gifts:,} gifts, {max_coins:,} coins."
        )


def creator_gift_review_list(*, creator: CreatorProfile, reason: str, now: datetime) -> CreatorGiftReview:
    """Put the creator on the staff review list (again, if staff cleared them before); already listed: unchanged."""
    with transaction.atomic():
        review, created = CreatorGiftReview.objects.select_for_update().get_or_create(
            creator=creator, defaults={"reason": reason[:255], "listed_at": now}
        )
        if not created and review.is_cleared:
            review.reason, review.listed_at = reason[:255], now
            review.save(update_fields=["reason", "listed_at"])
    return review


def creator_gift_review_clear(*, review: CreatorGiftReview, by: User, now: datetime) -> CreatorGiftReview:
    """Staff looked at the creator: off the list (audited); flagged gifts count again from now."""
    with transaction.atomic():
        review = CreatorGiftReview.objects.select_for_update().get(pk=review.pk)
        if review.is_cleared:
            return review
        review.cleared_at, review.cleared_by = now, by
        review.save(update_fields=["cleared_at", "cleared_by"])
        audit_record(actor=by, action="gifts.review_clear", obj=review, creator=review.creator_id, reason=review.reason)
    return review

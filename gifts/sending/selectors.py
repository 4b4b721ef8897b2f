"""Reads about gifts sent: public names, combos, feed items, histories, totals."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.templatetags.static import static

from accounts.models import CreatorProfile, User

from ..subscriptions.models import SubscriptionPeriod
from .models import GiftSend, GiftSendStatus

ANONYMOUS = "Anonymous"


def public_name(*, sender: User, anonymous: bool) -> str:
    if anonymous or not sender.show_on_leaderboards:
        return ANONYMOUS
    return sender.public_name


def gift_feed_item(*, send: GiftSend, subscribed: bool, combo: int, level: int = 0) -> dict[str, object]:
    """One gift as the live room shows it (the feed and the pushed event alike): already public, so an anonymous
    gifter is "Anonymous" here and nothing else about them is in it (``level``: the gifter level others may see,
    ``gifts.sending.levels``; never beside "Anonymous")."""
    name = public_name(sender=send.sender, anonymous=send.is_anonymous)
    return {
        "id": send.pk,
        "name": name,
        "subscriber": name != ANONYMOUS and subscribed,
        "level": level if name != ANONYMOUS else 0,
        "effect": send.effect.effect_class if send.effect is not None else "",
        "gift": send.gift.name,
        "artwork": static(send.gift.artwork),
        "quantity": send.quantity,
        "coins": send.coins,
        "combo": combo,
        "cancelled": send.status == GiftSendStatus.CANCELLED,
        "at": send.created_at.isoformat(),
    }


def gift_combo_count(*, send: GiftSend) -> int:
    """How many of this gift the sender sent in a row in this live session (each within ``GIFT_COMBO_SECONDS`` of
    the one before), this one included: the "combo x3" of the live room."""
    gap = timedelta(seconds=settings.GIFT_COMBO_SECONDS)
    earlier = (
        GiftSend.objects.filter(
            live_session_id=send.live_session_id, sender_id=send.sender_id, gift_id=send.gift_id, pk__lt=send.pk
        )
        .exclude(status=GiftSendStatus.CANCELLED)
        .order_by("-pk")
        .values_list("created_at", flat=True)[:100]
    )
    combo, at = 1, send.created_at
    for created_at in earlier:
        if at - created_at > gap:
            break
        combo, at = combo + 1, created_at
    return combo


def gifts_sent_list(*, user: User) -> QuerySet[GiftSend]:
    return GiftSend.objects.filter(sender=user).select_related("gift", "creator").order_by("-id")


def gifts_received_list(*, creator: CreatorProfile) -> QuerySet[GiftSend]:
    return GiftSend.objects.filter(creator=creator).select_related("gift", "sender", "sender__creator").order_by("-id")


def diamonds_credited_total() -> int:
    """Diamonds credited by gifts that stand (for the ledger invariant)."""
    return GiftSend.objects.exclude(status=GiftSendStatus.CANCELLED).aggregate(t=Sum("diamonds"))["t"] or 0


def diamonds_credited_by_subscriptions_total() -> int:
    """Diamonds credited by paid subscription periods (for the ledger invariant; a period is never taken back)."""
    return SubscriptionPeriod.objects.aggregate(t=Sum("diamonds"))["t"] or 0


def gift_send_get_for_sender(*, public_id: uuid.UUID, sender: User) -> GiftSend | None:
    """One of this person's own gifts (to undo it), with its creator; None when it is not theirs or does not exist."""
    return GiftSend.objects.select_related("creator").filter(public_id=public_id, sender=sender).first()

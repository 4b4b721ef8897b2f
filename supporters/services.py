"""Writes: follow and unfollow, thank-yous, and the notifications that come from gifts and going live.

Every notification goes through ``notifications.services.notify`` (the person's per-kind, per-channel choice)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import CreatorProfile, GiftVisibility, User
from accounts.names import name_characters_check
from coinshop.celery import task_enqueue
from gifts.models import GiftSend, GiftSendStatus, LiveSession
from notifications.models import NotificationKind
from notifications.selectors import notified_user_ids
from notifications.services import notify, notify_many

from .models import Follow, GiftNoticeCursor, ThankYou
from .selectors import (
    Gifter,
    ThanksScope,
    follow_cache_keys,
    follower_ids_after,
    gifters_for,
    thanks_scope_for_key,
)

LIVE_TASK = "supporters.tasks.followers_notify_live_task"
THANKS_TASK = "supporters.tasks.thank_everyone_task"


# --- follow ------------------------------------------------------------------------------------


def follow_set(*, follower: User, creator: CreatorProfile, follow: bool) -> bool:
    """Follow (or stop following) a creator; returns whether ``follower`` follows them now. Free, and separate from
    a paid subscription. Nobody follows themselves."""
    if follow and creator.user_id == follower.pk:
        raise ValidationError("You can't follow yourself.")
    if follow and not creator.user.is_active:
        raise ValidationError("This creator's account is closed.")
    with transaction.atomic():
        if follow:
            Follow.objects.get_or_create(follower=follower, creator=creator)
        else:
            Follow.objects.filter(follower=follower, creator=creator).delete()
        keys = list(follow_cache_keys(creator_id=creator.pk, user_id=follower.pk))
        cache.delete_many(keys)  # now, and again once committed (a page rendered meanwhile may have cached the old)
        transaction.on_commit(lambda: cache.delete_many(keys))
    return follow


def follows_erase(*, user: User) -> int:
    """A closed account follows nobody and is followed by nobody (``coinshop.closing``): its follows, both ways, are
    deleted and the cached counts they touched forgotten once committed. Returns how many were deleted."""
    follows = Follow.objects.filter(follower=user) | Follow.objects.filter(creator__user=user)
    keys = [
        key
        for creator_id, follower_id in follows.values_list("creator_id", "follower_id")
        for key in follow_cache_keys(creator_id=creator_id, user_id=follower_id)
    ]
    deleted, _ = follows.delete()
    cache.delete_many(keys)  # now, and again once committed (as ``follow_set``)
    transaction.on_commit(lambda: cache.delete_many(keys))
    return deleted


def followers_notify_live(*, session_id: int, after_follow_id: int = 0) -> int | None:
    """Tell one batch of the creator's followers (those after ``after_follow_id``) that the creator is live.
    Returns where the next batch starts, or None when done (or the stream ended already). Safe to run twice: each
    follower's notice has the session in its key. At most one such notice per creator per follower per
    ``FOLLOWERS_LIVE_NOTICE_COOLDOWN_SECONDS``: a follower told about a stream of this creator that started less
    than that before this one is skipped (a creator who starts and ends again and again notifies nobody twice)."""
    session = LiveSession.objects.select_related("creator").filter(pk=session_id).first()
    if session is None or not session.is_live:
        return None
    batch = follower_ids_after(
        creator_id=session.creator_id, after_follow_id=after_follow_id, limit=settings.FOLLOWERS_NOTIFY_BATCH
    )
    if not batch:
        return None
    cooldown = timedelta(seconds=settings.FOLLOWERS_LIVE_NOTICE_COOLDOWN_SECONDS)
    recent = LiveSession.objects.filter(
        creator_id=session.creator_id, started_at__gte=session.started_at - cooldown, started_at__lte=session.started_at
    ).exclude(pk=session.pk)
    told = notified_user_ids(
        user_ids=[follower_id for _, follower_id in batch],
        dedupe_keys=[f"live:{pk}" for pk in recent.values_list("pk", flat=True)],
    )
    name = session.creator.display_name
    notify_many(
        user_ids=[follower_id for _, follower_id in batch if follower_id not in told],
        kind=NotificationKind.CREATOR_LIVE,
        text=f"{name} is live: {session.title}",
        subject=f"{name} is live now",
        link=session.get_absolute_url(),
        dedupe_key=f"live:{session_id}",
    )
    return batch[-1][0] if len(batch) == settings.FOLLOWERS_NOTIFY_BATCH else None


# --- gifts received, in batches -----------------------------------------------------------------


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def gifts_received_notify(*, now: datetime | None = None) -> int:
    """Tell each creator, once per run, what they received since the last run: "You received 34 gifts (1,230
    diamonds) from 12 people". Reads the gifts recorded after the cursor (the gift path does nothing for this);
    gifts that could still be undone, or might still be committing, wait for the next run. Returns how many
    creators were told. The cursor row is locked, so two runs never count a gift twice."""
    now = now or timezone.now()
    settled_before = now - timedelta(seconds=settings.GIFT_UNDO_SECONDS + 60)
    with transaction.atomic():
        cursor = GiftNoticeCursor.objects.select_for_update().filter(pk=1).first()
        if cursor is None:  # first run: start with the last day's gifts, not the whole history
            start = GiftSend.objects.filter(created_at__lt=now - timedelta(days=1)).aggregate(m=Max("id"))["m"] or 0
            GiftNoticeCursor.objects.get_or_create(pk=1, defaults={"last_gift_send_id": start})
            cursor = GiftNoticeCursor.objects.select_for_update().get(pk=1)
        fresh = GiftSend.objects.filter(pk__gt=cursor.last_gift_send_id)
        upper = fresh.filter(created_at__lte=settled_before).aggregate(m=Max("id"))["m"]
        if upper is None:
            return 0
        totals = (
            fresh.filter(pk__lte=upper)
            .exclude(status=GiftSendStatus.CANCELLED)
            .values("creator__user_id")
            .annotate(
                gifts=Sum("quantity"),
                diamonds=Sum("diamonds"),
                # distinct (sender, visibility) pairs, as the thank-you page lists them: a person's public and
                # anonymous gifts are two gifters, or "from 1 person" would tie the anonymous gift to the public one
                named=Count("sender", distinct=True, filter=Q(visibility=GiftVisibility.PUBLIC)),
                hidden=Count("sender", distinct=True, filter=Q(visibility=GiftVisibility.ANONYMOUS)),
            )
            .order_by("creator__user_id")
        )
        told = 0
        link = reverse("gifts_received")
        for row in totals:
            gifts, diamonds = _plural(row["gifts"], "gift", "gifts"), _plural(row["diamonds"], "diamond", "diamonds")
            text = (
                f"You received {gifts} ({diamonds}) from {_plural(row['named'] + row['hidden'], 'person', 'people')}."
            )
            notify(
                user_id=row["creator__user_id"],
                kind=NotificationKind.GIFTS_RECEIVED,
                text=text,
                link=link,
                dedupe_key=f"gifts:{upper}",
            )
            told += 1
        cursor.last_gift_send_id = upper
        cursor.updated_at = now
        cursor.save(update_fields=["last_gift_send_id", "updated_at"])
    return told


# --- thank-yous ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThanksResult:
    sent: int
    already: int


def thank_you_note_clean(note: str) -> str:
    note = note.strip()
    name_characters_check(note, label="A thank-you note")
    if len(note) > settings.THANK_YOU_MAX_LENGTH:
        raise ValidationError(f"A thank-you note is at most {settings.THANK_YOU_MAX_LENGTH} characters.")
    return note


def _thanker_check(*, scope: ThanksScope, by: User) -> None:
    if scope.creator.user_id != by.pk:
        raise ValidationError("Only the creator can thank their gifters.")


def thank_you_send(*, scope: ThanksScope, by: User, tokens: Sequence[str], note: str = "") -> ThanksResult:
    """The creator thanks the gifters named by ``tokens`` (from the thank-you page) of this session or video.

    Only real gifters of this very session or video can be thanked: a token that names nobody here (forged, from
    another stream, another creator's) refuses the whole request and sends nothing. Thanking someone twice does
    nothing the second time (counted in ``already``). The gifter hears it through their notifications; an
    anonymous gifter too, while the creator only ever saw "Anonymous"."""
    _thanker_check(scope=scope, by=by)
    note = thank_you_note_clean(note)
    gifters = {g.token: g for g in gifters_for(scope=scope)}
    unknown = [t for t in tokens if t not in gifters]
    if unknown or not tokens:
        raise ValidationError("Nobody was thanked: that person did not gift you here.")
    return _thank(scope=scope, chosen=[gifters[t] for t in dict.fromkeys(tokens)], note=note)


def thank_everyone_start(*, scope: ThanksScope, by: User, note: str = "") -> ThanksResult:
    """The creator thanks everyone who gifted here. A stream can have thousands of gifters, so a worker sends the
    thank-yous in batches (``thank_everyone_batch``); this only checks, counts and queues. ``sent``: how many are on
    their way; ``already``: gifters thanked before."""
    _thanker_check(scope=scope, by=by)
    note = thank_you_note_clean(note)
    # Everyone who had gifted when the button was pressed: on a stream still live, later gifters are not thanked for
    # gifts the note never saw, and the run ends.
    up_to = scope.sends().aggregate(last=Max("pk"))["last"]
    gifters = gifters_for(scope=replace(scope, up_to=up_to)) if up_to is not None else []
    waiting = sum(not g.thanked for g in gifters)
    if waiting:
        args = (scope.creator.pk, scope.key, note, up_to)
        transaction.on_commit(lambda: task_enqueue(THANKS_TASK, *args))
    return ThanksResult(sent=waiting, already=len(gifters) - waiting)


def thank_everyone_batch(*, creator_id: int, scope_key: str, note: str, up_to: int) -> bool:
    """Thank the next ``THANK_EVERYONE_BATCH`` gifters of the scope (gifts up to ``up_to``) not yet thanked. True
    when more remain (the task queues the next batch). Safe to run twice: a gifter already thanked is skipped."""
    scope = thanks_scope_for_key(creator_id=creator_id, key=scope_key, up_to=up_to)
    if scope is None:  # the stream or video is gone, or the creator closed their account
        return False
    waiting = [g for g in gifters_for(scope=scope) if not g.thanked]
    batch = settings.THANK_EVERYONE_BATCH
    _thank(scope=scope, chosen=waiting[:batch], note=note)
    return len(waiting) > batch


def _thank(*, scope: ThanksScope, chosen: Sequence[Gifter], note: str) -> ThanksResult:
    sent = already = 0
    name = scope.creator.display_name
    for gifter in chosen:
        try:
            with transaction.atomic():
                ThankYou.objects.create(
                    creator=scope.creator,
                    recipient_id=gifter.user_id,
                    live_session=scope.live_session,
                    video=scope.video,
                    anonymous=gifter.anonymous,
                    note=note,
                )
                what = "your anonymous gifts" if gifter.anonymous else "your gifts"
                where = f"in “{scope.title}”" if scope.live_session else f"on the video “{scope.title}”"
                text = f"{name} thanked you for {what} {where}" + (f": “{note}”" if note else ".")
                notify(
                    user_id=gifter.user_id,
                    kind=NotificationKind.THANK_YOU,
                    text=text,
                    subject=f"{name} thanked you",
                    link=scope.creator.get_absolute_url(),
                )
        except IntegrityError:
            already += 1
            continue
        sent += 1
    return ThanksResult(sent=sent, already=already)

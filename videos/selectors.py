"""Video reads: who may watch what, a creator's lists, a video's gift total and top gifters, earnings per video."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q, Sum

from accounts.models import CreatorProfile, User
from gifts.models import GiftSendStatus
from gifts.sending.selectors import public_name
from gifts.subscriptions.selectors import subscriber_is_current

from .models import Audience, Video, VideoGift, VideoStatus


def video_get(*, public_id: uuid.UUID) -> Video | None:
    return Video.objects.select_related("creator", "creator__user").filter(public_id=public_id).first()


def video_is_own(*, video: Video, user: User) -> bool:
    return user.is_authenticated and video.creator.user_id == user.pk


# More reasons to refuse a video, registered by apps above this one (``posts``: a video attached to an exclusive
# post is for that post's audience): each takes (video, user, at) and answers a reason in words, or None.
video_access_rules: list[Callable[[Video, User, datetime | None], str | None]] = []


def video_access_problem(*, video: Video, user: User, at: datetime | None = None) -> str | None:
    """Why ``user`` may not watch ``video`` (its page, file and poster), in words; ``None`` when they may.

    Public videos: anyone. Subscriber-only videos: the creator's current subscribers, and the creator. Either way
    also the rules of ``video_access_rules`` (the creator is never refused).
    """
    if video_is_own(video=video, user=user):
        return None
    for rule in video_access_rules:
        problem = rule(video, user, at)
        if problem:
            return problem
    if video.audience == Audience.PUBLIC:
        return None
    if subscriber_is_current(subscriber=user, creator=video.creator, at=at):
        return None
    who = video.creator.display_name
    if not user.is_authenticated:
        return f"This video is for {who}'s subscribers. Log in and subscribe to watch it."
    return f"This video is for {who}'s subscribers. Subscribe to watch it."


# Videos that apps above this one keep for some viewers (``posts``: a video on an exclusive post): each rule takes
# the listed videos and answers the ids to list with a lock for anyone but their creator (one call per list).
video_list_lock_rules: list[Callable[[list[Video]], set[int]]] = []


def video_list_for_creator_page(
    *, creator: CreatorProfile, can_see_locked: bool, limit: int = 12, own: bool = False
) -> list[Video]:
    """A creator's ready videos, newest first; each has ``locked`` (a subscriber-only video this viewer may not
    watch, or one ``video_list_lock_rules`` keep: listed with a lock, without its poster; its page says why)."""
    videos = list(Video.objects.filter(creator=creator, status=VideoStatus.READY).order_by("-created_at")[:limit])
    kept: set[int] = set()
    if videos and not own:
        for rule in video_list_lock_rules:
            kept |= rule(videos)
    for video in videos:
        locked = video.audience == Audience.SUBSCRIBERS and not can_see_locked
        video.locked = locked or video.pk in kept  # type: ignore[attr-defined]
    return videos


def video_list_mine(*, creator: CreatorProfile) -> list[Video]:
    """All of a creator's videos (processing, ready, failed), newest first, with their gift counts."""
    return list(
        Video.objects.filter(creator=creator)
        .annotate(
            gift_count=Count("gifts", filter=~Q(gifts__gift_send__status=GiftSendStatus.CANCELLED)),
        )
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class VideoGiftSummary:
    gifts: int
    coins: int
    top: list[dict[str, object]]  # name, coins, best first (anonymous gifts and opted-out people: "Anonymous")


def video_gift_summary(*, video: Video, limit: int = 5) -> VideoGiftSummary:
    """A video's gift total and its top gifters (two queries). Cancelled gifts do not count."""
    sends = VideoGift.objects.filter(video=video).exclude(gift_send__status=GiftSendStatus.CANCELLED)
    rows = list(
        sends.values("gift_send__sender_id", "gift_send__visibility")
        .annotate(coins=Sum("gift_send__coins"), n=Count("id"))
        .order_by("-coins", "gift_send__sender_id")
    )
    shown = rows[:limit]
    people = {u.pk: u for u in User.objects.filter(pk__in={r["gift_send__sender_id"] for r in shown})}
    top: list[dict[str, object]] = [
        {
            "name": public_name(
                sender=people[r["gift_send__sender_id"]], anonymous=r["gift_send__visibility"] == "anonymous"
            ),
            "coins": r["coins"],
        }
        for r in shown
    ]
    return VideoGiftSummary(gifts=sum(r["n"] for r in rows), coins=sum(r["coins"] for r in rows), top=top)


@dataclass(frozen=True)
class VideoEarning:
    video: Video
    gifts: int
    diamonds: int
    last_gift_at: datetime


def video_earnings_list(*, creator: CreatorProfile) -> list[VideoEarning]:
    """Per video: gifts and diamonds earned on it (cancelled gifts excluded), the video with the newest gift first."""
    rows = (
        Video.objects.filter(creator=creator)
        .annotate(
            n=Count("gifts", filter=~Q(gifts__gift_send__status=GiftSendStatus.CANCELLED)),
            diamonds=Sum("gifts__gift_send__diamonds", filter=~Q(gifts__gift_send__status=GiftSendStatus.CANCELLED)),
            last=Max("gifts__created_at", filter=~Q(gifts__gift_send__status=GiftSendStatus.CANCELLED)),
        )
        .filter(n__gt=0)
        .order_by("-last", "-id")
    )
    return [VideoEarning(video=v, gifts=v.n, diamonds=v.diamonds or 0, last_gift_at=v.last) for v in rows]  # type: ignore[attr-defined]

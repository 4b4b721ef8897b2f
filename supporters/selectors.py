"""Reads: follow counts (cached: the creator page and the live room show them), who gifted in a session or on a
video (for thank-yous: anonymous gifters stay "Anonymous", behind an opaque token), and what a creator can thank."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.crypto import salted_hmac

from accounts.models import CreatorProfile, User
from gifts.models import GiftSend, GiftSendStatus, LiveSession
from videos.models import Video

from .models import Follow, ThankYou

FOLLOW_CACHE_SECONDS = 600


def follow_cache_keys(*, creator_id: int, user_id: int | None) -> tuple[str, str]:
    return f"follow:count:{creator_id}", f"follow:is:{creator_id}:{user_id or 0}"


def follow_state_get(*, creator_id: int, user_id: int | None) -> tuple[int, bool]:
    """(followers, whether ``user_id`` follows): from the cache, or one query that fills it."""
    count_key, mine_key = follow_cache_keys(creator_id=creator_id, user_id=user_id)
    found = cache.get_many([count_key, mine_key])
    if count_key in found and (user_id is None or mine_key in found):
        return int(found[count_key]), bool(found.get(mine_key, False))
    row = Follow.objects.filter(creator_id=creator_id).aggregate(
        n=Count("id"), mine=Count("id", filter=Q(follower_id=user_id or 0))
    )
    values: dict[str, object] = {count_key: row["n"]}
    if user_id is not None:
        values[mine_key] = bool(row["mine"])
    cache.set_many(values, FOLLOW_CACHE_SECONDS)
    return int(row["n"]), bool(row["mine"])


def follower_ids_after(*, creator_id: int, after_follow_id: int, limit: int) -> list[tuple[int, int]]:
    """The next ``limit`` (follow id, follower id) of a creator's active followers, in follow order."""
    return list(
        Follow.objects.filter(creator_id=creator_id, pk__gt=after_follow_id, follower__is_active=True)
        .order_by("pk")
        .values_list("pk", "follower_id")[:limit]
    )


# --- thank-yous ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThanksScope:
    """What is being thanked for: a live session or a video, of one creator."""

    creator: CreatorProfile
    live_session: LiveSession | None = None
    video: Video | None = None
    up_to: int | None = None  # only gifts up to this id ("Thank everyone" thanks who had gifted when it was pressed)

    @property
    def key(self) -> str:
        return f"live:{self.live_session.pk}" if self.live_session else f"video:{self.video.pk}"  # type: ignore[union-attr]

    @property
    def title(self) -> str:
        return self.live_session.title if self.live_session else self.video.title  # type: ignore[union-attr]

    @property
    def url(self) -> str:
        if self.live_session:
            return reverse("thanks_live", args=[self.live_session.pk])
        return reverse("thanks_video", args=[self.video.public_id])  # type: ignore[union-attr]

    def sends(self) -> QuerySet[GiftSend]:
        sends = GiftSend.objects.filter(creator=self.creator).exclude(status=GiftSendStatus.CANCELLED)
        if self.up_to is not None:
            sends = sends.filter(pk__lte=self.up_to)
        if self.live_session:
            return sends.filter(live_session=self.live_session)
        return sends.filter(video_gift__video=self.video)


@dataclass(frozen=True)
class Gifter:
    token: str  # opaque: names the person to the thank-you form without telling the creator who it is
    user_id: int
    anonymous: bool
    name: str
    gifts: int
    coins: int
    thanked: bool


def gifter_token(*, scope: ThanksScope, user_id: int, anonymous: bool) -> str:
    return salted_hmac("supporters.thanks", f"{scope.key}:{user_id}:{int(anonymous)}").hexdigest()[:24]


def thanks_scope_live(*, creator: CreatorProfile, session_id: int) -> ThanksScope | None:
    session = LiveSession.objects.filter(pk=session_id, creator=creator).first()
    return ThanksScope(creator=creator, live_session=session) if session else None


def thanks_scope_video(*, creator: CreatorProfile, public_id: uuid.UUID) -> ThanksScope | None:
    video = Video.objects.filter(public_id=public_id, creator=creator).first()
    return ThanksScope(creator=creator, video=video) if video else None


def thanks_scope_for_key(*, creator_id: int, key: str, up_to: int | None = None) -> ThanksScope | None:
    """The scope named by ``ThanksScope.key`` ("live:12", "video:7"), of a creator whose account is open."""
    kind, _, raw = key.partition(":")
    creator = CreatorProfile.objects.select_related("user").filter(pk=creator_id, user__deleted_at__isnull=True).first()
    if creator is None or not raw.isascii() or not raw.isdigit():
        return None
    if kind == "live":
        session = LiveSession.objects.filter(pk=int(raw), creator=creator).first()
        return ThanksScope(creator=creator, live_session=session, up_to=up_to) if session else None
    video = Video.objects.filter(pk=int(raw), creator=creator).first() if kind == "video" else None
    return ThanksScope(creator=creator, video=video, up_to=up_to) if video else None


def gifters_for(*, scope: ThanksScope) -> list[Gifter]:
    """Who gifted (cancelled gifts do not count), biggest first: public gifters by name, each anonymous one as
    "Anonymous" (a person who gifted both ways is two rows, which never point at each other)."""
    rows = list(
        scope.sends()
        .values("sender_id", "visibility")
        .annotate(gifts=Sum("quantity"), coins=Sum("coins"), last=Max("id"))
        .order_by("-coins", "-last")
    )
    people = {
        u.pk: u
        for u in User.objects.filter(pk__in={r["sender_id"] for r in rows}, deleted_at__isnull=True).select_related(
            "creator"
        )
    }
    thanked = set(
        ThankYou.objects.filter(
            live_session=scope.live_session, video=scope.video, recipient_id__in=list(people)
        ).values_list("recipient_id", "anonymous")
    )
    gifters = []
    for row in rows:
        person = people.get(row["sender_id"])
        if person is None:  # a closed account: nobody to thank
            continue
        anonymous = row["visibility"] == "anonymous"
        gifters.append(
            Gifter(
                token=gifter_token(scope=scope, user_id=person.pk, anonymous=anonymous),
                user_id=person.pk,
                anonymous=anonymous,
                name="Anonymous" if anonymous else person.public_name,
                gifts=row["gifts"],
                coins=row["coins"],
                thanked=(person.pk, anonymous) in thanked,
            )
        )
    return gifters


def thanks_sessions_for(*, creator: CreatorProfile, limit: int = 20) -> list[dict[str, object]]:
    """The creator's latest live sessions and videos that received gifts, newest first, for the thank-you index."""
    live = (
        LiveSession.objects.filter(creator=creator, gift_sends__isnull=False)
        .annotate(gifters=Count("gift_sends__sender", distinct=True))
        .order_by("-started_at")[:limit]
    )
    videos = (
        Video.objects.filter(creator=creator, gifts__isnull=False)
        .annotate(gifters=Count("gifts__gift_send__sender", distinct=True))
        .order_by("-created_at")[:limit]
    )
    items: list[dict[str, object]] = [
        {"title": s.title, "when": s.started_at, "gifters": s.gifters, "live": s.is_live,
         "url": reverse("thanks_live", args=[s.pk])}
        for s in live
    ]  # fmt: skip
    items += [
        {"title": v.title, "when": v.created_at, "gifters": v.gifters, "live": False,
         "url": reverse("thanks_video", args=[v.public_id])}
        for v in videos
    ]  # fmt: skip
    return sorted(items, key=lambda item: item["when"], reverse=True)[:limit]  # type: ignore[arg-type,return-value]

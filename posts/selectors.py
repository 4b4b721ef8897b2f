"""Post reads: who may see a post (one rule for the page, the image and an attached video), what unlocks it, a
creator's list."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import CreatorProfile, User
from gifts.models import GiftSend, GiftSendStatus
from gifts.subscriptions.selectors import subscriber_is_current
from videos.models import Video, VideoStatus

from .models import Post, PostAudience


def _settled(at: datetime) -> Q:
    """Gifts that can no longer be undone at ``at``: final, or past their undo window (cancelled ones never count)."""
    return Q(status=GiftSendStatus.FINAL) | Q(status=GiftSendStatus.UNDOABLE, undo_until__lte=at)


def _undoable(at: datetime) -> Q:
    return Q(status=GiftSendStatus.UNDOABLE, undo_until__gt=at)


@dataclass(frozen=True)
class Gifted:
    """Coins a supporter gifted a creator in a window: ``coins`` that count (gifts that can no longer be undone),
    and ``pending`` in ``pending_gifts`` gifts still in their undo window (they count once it has passed)."""

    coins: int = 0
    pending: int = 0
    pending_gifts: int = 0


def supporter_gifted(
    *, supporter: User, creator: CreatorProfile, windows: Iterable[int], at: datetime | None = None
) -> dict[int, Gifted]:
    """For each window of ``windows`` days: what ``supporter`` gifted ``creator`` in it (gifts sent at or after
    ``at`` minus the window x 24 h). One conditional aggregate for all the windows; none without any."""
    days = sorted(set(windows))
    if not supporter.is_authenticated or not days:
        return {d: Gifted() for d in days}
    at = at or timezone.now()
    totals: dict[str, Any] = {}
    for d in days:
        since = Q(created_at__gte=at - timedelta(days=d))
        totals[f"coins_{d}"] = Sum("coins", filter=since & _settled(at))
        totals[f"pending_{d}"] = Sum("coins", filter=since & _undoable(at))
        totals[f"gifts_{d}"] = Count("id", filter=since & _undoable(at))
    sent = GiftSend.objects.filter(sender=supporter, creator=creator, created_at__gte=at - timedelta(days=days[-1]))
    found = sent.aggregate(**totals)
    return {
        d: Gifted(
            coins=found[f"coins_{d}"] or 0, pending=found[f"pending_{d}"] or 0, pending_gifts=found[f"gifts_{d}"] or 0
        )
        for d in days
    }


def supporter_coins(*, supporter: User, creator: CreatorProfile, days: int, at: datetime | None = None) -> int:
    """Coins ``supporter`` gifted to ``creator`` in the last ``days`` days that can no longer be undone (final, or
    past their undo window; cancelled gifts never count). One query."""
    return supporter_gifted(supporter=supporter, creator=creator, windows=[days], at=at)[days].coins


@dataclass(frozen=True)
class PostAccess:
    allowed: bool
    unlock: str  # what unlocks it, in words ("" for a post for everyone)
    own: bool = False


def _days(n: int) -> str:
    return "day" if n == 1 else f"{n} days"


class _Facts:
    """What the access rule needs to know about one viewer and one creator, each read at most once."""

    def __init__(self, *, user: User, creator: CreatorProfile, at: datetime | None) -> None:
        self.user, self.creator, self.at = user, creator, at
        self._subscribed: bool | None = None
        self._gifted: dict[int, Gifted] = {}

    def read_windows(self, posts: Iterable[Post]) -> _Facts:
        """Read the gifted coins of every supporters' window of ``posts`` at once (one query)."""
        windows = {p.window_days for p in posts if p.audience == PostAudience.SUPPORTERS and p.window_days}
        missing = windows - self._gifted.keys()
        if missing and not self.own and self.user.is_authenticated:
            self._gifted.update(
                supporter_gifted(supporter=self.user, creator=self.creator, windows=missing, at=self.at)
            )
        return self

    @property
    def own(self) -> bool:
        return self.user.is_authenticated and self.creator.user_id == self.user.pk

    @property
    def subscribed(self) -> bool:
        if self._subscribed is None:
            self._subscribed = subscriber_is_current(subscriber=self.user, creator=self.creator, at=self.at)
        return self._subscribed

    def gifted(self, days: int) -> Gifted:
        if days not in self._gifted:
            self._gifted.update(supporter_gifted(supporter=self.user, creator=self.creator, windows=[days], at=self.at))
        return self._gifted[days]


def _access(post: Post, facts: _Facts) -> PostAccess:
    name = post.creator.display_name
    if post.audience == PostAudience.SUBSCRIBERS:
        unlock = f"Subscribers only: subscribe to {name} to see this post."
        if facts.own:
            return PostAccess(allowed=True, unlock="Subscribers only", own=True)
        return PostAccess(allowed=facts.subscribed, unlock="Subscribers only" if facts.subscribed else unlock)
    if post.audience == PostAudience.SUPPORTERS:
        coins, days = post.min_coins or 0, post.window_days or 0
        rule = f"For supporters who gifted {coins:,} coin{'s' if coins != 1 else ''} in the last {_days(days)}"
        if facts.own:
            return PostAccess(allowed=True, unlock=rule, own=True)
        if not facts.user.is_authenticated:
            return PostAccess(allowed=False, unlock=f"{rule}. Log in to see how much you have gifted.")
        gifted = facts.gifted(days)
        unlock = f"{rule} — you have gifted {gifted.coins:,}"
        if gifted.coins < coins and gifted.pending:
            unlock += (
                f"; your gift of {gifted.pending:,} coins counts once it can no longer be cancelled, in a few seconds"
                if gifted.pending_gifts == 1
                else f"; your gifts of {gifted.pending:,} coins count once they can no longer be cancelled, "
                "in a few seconds"
            )
        return PostAccess(allowed=gifted.coins >= coins, unlock=unlock)
    return PostAccess(allowed=True, unlock="", own=facts.own)


def post_access(*, post: Post, user: User, at: datetime | None = None) -> PostAccess:
    """May ``user`` see ``post`` (its text, image and video)? The creator always; others by its audience."""
    return _access(post, _Facts(user=user, creator=post.creator, at=at))


def post_get(*, public_id: uuid.UUID, user: User) -> Post | None:
    """A post by id, with its creator and video; None when there is none, its creator closed their account, or staff
    hid it (except for its creator)."""
    post = (
        Post.objects.select_related("creator", "creator__user", "video")
        .filter(public_id=public_id, creator__user__is_active=True, creator__user__deleted_at__isnull=True)
        .first()
    )
    if post is None or (post.is_hidden and not (user.is_authenticated and post.creator.user_id == user.pk)):
        return None
    return post


def post_list_for_creator(*, creator: CreatorProfile, user: User) -> QuerySet[Post]:
    """A creator's posts, newest first (staff-hidden ones only for the creator), to paginate; ``posts_with_access``
    then tells each one's access."""
    posts = Post.objects.filter(creator=creator).select_related("creator", "video")
    if not (user.is_authenticated and creator.user_id == user.pk):
        posts = posts.filter(hidden_at__isnull=True)
    return posts


def posts_with_access(*, posts: list[Post], creator: CreatorProfile, user: User) -> list[tuple[Post, PostAccess]]:
    """Each post with its access for ``user``: the subscription read once, the gifted coins of every window on the
    page in one query."""
    facts = _Facts(user=user, creator=creator, at=None).read_windows(posts)
    return [(post, _access(post, facts)) for post in posts]


def post_video_access_problem(video: Video, user: User, at: datetime | None) -> str | None:
    """A video attached to posts is for their audience: refused (with the reason) unless ``user`` may see at least
    one of those posts that is not hidden. Registered with ``videos.selectors.video_access_rules``; one query for a
    video on no post."""
    posts = list(Post.objects.filter(video=video).select_related("creator"))
    if not posts:
        return None
    facts = _Facts(user=user, creator=video.creator, at=at).read_windows(posts)
    reasons = []
    for post in posts:
        access = _access(post, facts)
        if access.allowed and not post.is_hidden:
            return None
        reasons.append(access.unlock)
    reason = next((r for r in reasons if r), "It is not available now")
    return f"This video is part of an exclusive post. {reason.rstrip('.')}."


def post_videos_kept(videos: list[Video]) -> set[int]:
    """Of ``videos``, those on an exclusive post and on no visible post for everyone: a creator's video list shows
    them locked (their pages check who may watch). Registered with ``videos.selectors.video_list_lock_rules``; one
    query."""
    on_posts = Post.objects.filter(video__in=videos).values_list("video_id", "audience", "hidden_at")
    kept, public = set(), set()
    for video_id, audience, hidden_at in on_posts:
        if audience == PostAudience.EVERYONE and hidden_at is None:
            public.add(video_id)
        else:
            kept.add(video_id)
    return kept - public


def posts_video_choices(*, creator: CreatorProfile) -> QuerySet[Video]:
    """The creator's own ready videos, which a post may show."""
    return Video.objects.filter(creator=creator, status=VideoStatus.READY).order_by("-created_at")

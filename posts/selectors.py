"""Post reads: who may see a post (one rule for the page, the image and an attached video), what unlocks it, a
creator's list."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet, Sum
from django.utils import timezone

from accounts.models import CreatorProfile, User
from gifts.models import GiftSend, GiftSendStatus
from gifts.subscriptions.selectors import subscriber_is_current
from videos.models import Video, VideoStatus

from .models import Post, PostAudience


def supporter_coins(*, supporter: User, creator: CreatorProfile, days: int, at: datetime | None = None) -> int:
    """Coins ``supporter`` gifted to ``creator`` in the last ``days`` days (gifts sent at or after ``at`` minus
    ``days`` x 24 h; cancelled gifts do not count). One query."""
    if not supporter.is_authenticated:
        return 0
    since = (at or timezone.now()) - timedelta(days=days)
    total = (
        GiftSend.objects.filter(sender=supporter, creator=creator, created_at__gte=since)
        .exclude(status=GiftSendStatus.CANCELLED)
        .aggregate(total=Sum("coins"))["total"]
    )
    return total or 0


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
        self._coins: dict[int, int] = {}

    @property
    def own(self) -> bool:
        return self.user.is_authenticated and self.creator.user_id == self.user.pk

    @property
    def subscribed(self) -> bool:
        if self._subscribed is None:
            self._subscribed = subscriber_is_current(subscriber=self.user, creator=self.creator, at=self.at)
        return self._subscribed

    def coins(self, days: int) -> int:
        if days not in self._coins:
            self._coins[days] = supporter_coins(supporter=self.user, creator=self.creator, days=days, at=self.at)
        return self._coins[days]


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
        gifted = facts.coins(days)
        return PostAccess(allowed=gifted >= coins, unlock=f"{rule} — you have gifted {gifted:,}")
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
    """Each post with its access for ``user``: the subscription read once, the gifted coins once per window."""
    facts = _Facts(user=user, creator=creator, at=None)
    return [(post, _access(post, facts)) for post in posts]


def post_video_access_problem(video: Video, user: User, at: datetime | None) -> str | None:
    """A video attached to posts is for their audience: refused (with the reason) unless ``user`` may see at least
    one of those posts that is not hidden. Registered with ``videos.selectors.video_access_rules``; one query for a
    video on no post."""
    posts = list(Post.objects.filter(video=video).select_related("creator"))
    if not posts:
        return None
    facts = _Facts(user=user, creator=video.creator, at=at)
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

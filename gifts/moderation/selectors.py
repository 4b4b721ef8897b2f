"""Moderation reads: may this person moderate these rooms, where does a person stand in a creator's chat (one query,
on the path of every chat message), the action log, the people kept out, the moderators."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import CreatorProfile, User

from ..chat.models import ChatMessage
from .models import ChatRemoval, ChatRestriction, ModerationAction, Moderator, RoomRules

BLOCKED_WORD_REFUSAL = "A word in your message is not allowed in this room. Please rephrase it."


def time_shown(moment: datetime, *, now: datetime | None = None) -> str:
    """A time as the chat box says it: "15:42 UTC", with the date when it is not today."""
    local = timezone.localtime(moment)
    today = timezone.localtime(now or timezone.now()).date()
    zone = local.tzname() or ""
    return f"{local:%H:%M} {zone}".strip() if local.date() == today else f"{local:%b %-d, %H:%M} {zone}".strip()


@dataclass(frozen=True)
class ChatStanding:
    """Where one person stands in one creator's chat. The creator and their moderators are not held by the rules."""

    moderator: bool = False
    banned: bool = False
    timed_out_until: datetime | None = None
    slow_mode_seconds: int = 0
    blocked_words: str = ""

    def notice(self, now: datetime) -> tuple[str, str] | None:
        """Why this person cannot chat at all right now, and its code; None when they may."""
        if self.moderator:
            return None
        if self.banned:
            return "You are banned from this creator's chat, so you cannot send messages in their rooms.", "banned"
        if self.timed_out_until is not None and self.timed_out_until > now:
            return f"You are timed out until {time_shown(self.timed_out_until, now=now)}.", "timed_out"
        return None

    def blocked(self, text: str) -> bool:
        if self.moderator or not self.blocked_words or not text:
            return False
        pattern = blocked_pattern(self.blocked_words)
        return pattern is not None and pattern.search(text) is not None


def blocked_words_list(words: str) -> list[str]:
    return [w for w in (line.strip() for line in words.splitlines()) if w]


@functools.lru_cache(maxsize=256)
def blocked_pattern(words: str) -> re.Pattern[str] | None:
    """The blocked words as one pattern: each matched whole (not inside another word), in any case."""
    listed = sorted(blocked_words_list(words), key=len, reverse=True)
    if not listed:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in listed) + r")(?!\w)", re.IGNORECASE)


def chat_standing_get(*, creator_id: int, user: User) -> ChatStanding:
    """One query: the creator's rules, the person's ban and timeout, and whether they moderate these rooms."""
    if not user.is_authenticated:
        return ChatStanding()
    restriction = ChatRestriction.objects.filter(creator_id=OuterRef("pk"), user_id=user.pk)
    row = (
        CreatorProfile.objects.filter(pk=creator_id)
        .annotate(
            slow=F("room_rules__slow_mode_seconds"),
            words=F("room_rules__blocked_words"),
            is_banned=Subquery(restriction.values("banned")[:1]),
            until=Subquery(restriction.values("timed_out_until")[:1]),
            appointed=Exists(Moderator.objects.filter(creator_id=OuterRef("pk"), user_id=user.pk)),
        )
        .values_list("user_id", "slow", "words", "is_banned", "until", "appointed")
        .first()
    )
    if row is None:
        return ChatStanding()
    owner_id, slow, words, banned, until, appointed = row
    return ChatStanding(
        moderator=owner_id == user.pk or bool(appointed),
        banned=bool(banned),
        timed_out_until=until,
        slow_mode_seconds=slow or 0,
        blocked_words=words or "",
    )


def can_moderate(*, user: User, creator: CreatorProfile) -> bool:
    """The creator, or a moderator the creator appointed. Nobody else: not other creators, not other moderators."""
    if not user.is_authenticated:
        return False
    return creator.user_id == user.pk or Moderator.objects.filter(creator=creator, user_id=user.pk).exists()


def room_rules_get(*, creator: CreatorProfile) -> RoomRules:
    return RoomRules.objects.filter(creator=creator).first() or RoomRules(creator=creator)


def moderators_list(*, creator: CreatorProfile) -> QuerySet[Moderator]:
    return Moderator.objects.filter(creator=creator).select_related("user", "user__creator")


def restrictions_list(*, creator: CreatorProfile, now: datetime | None = None) -> QuerySet[ChatRestriction]:
    """People kept out of the creator's chat now: banned, or timed out until later."""
    now = now or timezone.now()
    return (
        ChatRestriction.objects.filter(creator=creator)
        .filter(Q(banned=True) | Q(timed_out_until__gt=now))
        .select_related("user", "user__creator")
    )


def moderation_actions_list(*, creator: CreatorProfile) -> QuerySet[ModerationAction]:
    return ModerationAction.objects.filter(creator=creator).select_related(
        "actor", "actor__creator", "target", "target__creator", "message"
    )


def creators_moderated(*, user: User) -> list[CreatorProfile]:
    """The creators whose rooms this person moderates (their own included), for links to the moderation pages."""
    if not user.is_authenticated:
        return []
    return list(CreatorProfile.objects.filter(moderators__user=user).order_by("handle"))


def chat_removed_ids(*, session_id: int, limit: int = 100) -> list[int]:
    """The newest removed messages of a live session (the polling page takes them out of its chat)."""
    return list(
        ChatRemoval.objects.filter(message__session_id=session_id)
        .order_by("-message_id")
        .values_list("message_id", flat=True)[:limit]
    )


def chat_message_get(*, message_id: int) -> ChatMessage | None:
    return (
        ChatMessage.objects.select_related("session", "session__creator", "sender", "sender__creator")
        .filter(pk=message_id)
        .first()
    )

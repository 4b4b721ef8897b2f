"""Moderation reads: may this person moderate these rooms, where does a person stand in a creator's chat (one query,
on the path of every chat message), the action log, the people kept out, the moderators.

People moderated (a chat line's sender, whoever is banned or timed out) are named the way the chat showed them
(``chat_name``: "Anonymous" for people who keep their gifting private), never by a name the chat hid."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import CreatorProfile, User
from accounts.names import name_skeleton

from ..chat.models import ChatMessage
from ..sending.selectors import public_name
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
        return pattern is not None and pattern.search(blocked_text_normal(text)) is not None


def blocked_words_list(words: str) -> list[str]:
    return [w for w in (line.strip() for line in words.splitlines()) if w]


_WORD_BREAKS = re.compile(r"[\W_]+")
_INVISIBLE = frozenset({"Cf", "Mn"})  # format characters (zero-width, soft hyphen), combining accents


def blocked_text_normal(text: str) -> str:
    """What a message (or a blocked word) says, for matching blocked words: NFKC (full-width letters), format and
    combining characters dropped (zero-width spaces, soft hyphens, accents), case folded, each word reduced to the
    confusable skeleton names are compared by (``accounts.names.name_skeleton``: a Cyrillic dze is an "s"), the
    words joined by single spaces."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text))
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in _INVISIBLE).casefold()
    return " ".join(s for s in (name_skeleton(w) for w in _WORD_BREAKS.split(kept)) if s)


@functools.lru_cache(maxsize=256)
def blocked_pattern(words: str) -> re.Pattern[str] | None:
    """The blocked words as one pattern over ``blocked_text_normal`` text: each word or phrase normalised the same
    way and matched whole (not inside another word). Compiled once per list."""
    listed = sorted({n for n in map(blocked_text_normal, blocked_words_list(words)) if n}, key=len, reverse=True)
    if not listed:
        return None
    return re.compile(r"(?<!\S)(?:" + "|".join(re.escape(w) for w in listed) + r")(?!\S)")


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


def chat_name(person: User) -> str:
    """A person as the chat shows them: their public name, or "Anonymous" when they keep their gifting private."""
    return public_name(sender=person, anonymous=False)


@dataclass(frozen=True)
class Kept:
    """A person kept out of the chat, named as the chat showed them."""

    restriction: ChatRestriction
    name: str


def restrictions_list(*, creator: CreatorProfile, now: datetime | None = None) -> list[Kept]:
    """People kept out of the creator's chat now: banned, or timed out until later."""
    now = now or timezone.now()
    rows = (
        ChatRestriction.objects.filter(creator=creator)
        .filter(Q(banned=True) | Q(timed_out_until__gt=now))
        .select_related("user", "user__creator")
    )
    return [Kept(restriction=r, name=chat_name(r.user)) for r in rows]


def moderation_actions_list(*, creator: CreatorProfile) -> QuerySet[ModerationAction]:
    return ModerationAction.objects.filter(creator=creator).select_related(
        "actor", "actor__creator", "target", "target__creator", "message"
    )


@dataclass(frozen=True)
class LogRow:
    """One line of the moderation log: the person acted on named as the chat showed them; the one who acted (the
    creator or a moderator, whom the moderation page lists by name anyway) by their public name."""

    action: ModerationAction
    actor: str
    target: str


def moderation_log_rows(actions: Iterable[ModerationAction]) -> list[LogRow]:
    return [
        LogRow(action=a, actor=a.actor.public_name, target=chat_name(a.target) if a.target is not None else "")
        for a in actions
    ]


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
        ChatMessage.objects.select_related("session", "session__creator", "sender", "sender__creator", "removal")
        .filter(pk=message_id)
        .first()
    )

"""Moderation writes. Each checks that the person acting may moderate the creator's rooms (the creator, or a
moderator the creator appointed), changes what it changes and writes its ``ModerationAction`` log row in the same
transaction; nothing is recorded for an action that was refused. A deleted message leaves every open room through
the live event stream, on commit."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import CreatorProfile, User
from accounts.selectors import creator_get_by_handle

from ..chat.models import ChatMessage
from ..live.events import live_chat_erase, publish
from .models import ChatRemoval, ChatRestriction, ModerationAction, ModerationKind, Moderator, RoomRules
from .selectors import ChatStanding, blocked_words_list, can_moderate, chat_name, time_shown

TIMEOUT_MIN_SECONDS = 60
TIMEOUT_MAX_SECONDS = 24 * 3600
SLOW_MODE_MAX_SECONDS = 600


class ModerationDenied(PermissionDenied):
    """The person may not do this here (403), with the reason in words."""


def _allowed(*, by: User, creator: CreatorProfile) -> None:
    if not can_moderate(user=by, creator=creator):
        raise ModerationDenied(f"Only {creator.display_name} and their moderators can moderate these rooms.")


def _log(*, creator: CreatorProfile, by: User, kind: str, **fields: object) -> ModerationAction:
    return ModerationAction.objects.create(creator=creator, actor=by, kind=kind, **fields)


def _check_target(*, creator: CreatorProfile, by: User, target: User) -> None:
    if target.pk == by.pk:
        raise ValidationError("You cannot moderate yourself.")
    if target.pk == creator.user_id:
        raise ValidationError("The creator cannot be timed out or banned in their own rooms.")
    if Moderator.objects.filter(creator=creator, user=target).exists():
        raise ValidationError(f"{chat_name(target)} is a moderator here: remove them as a moderator first.")


# --- moderators ---------------------------------------------------------------------------------------------------


def moderator_appoint(*, creator: CreatorProfile, by: User, handle: str) -> Moderator:
    """The creator appoints the person behind a creator handle as a moderator of their rooms (moderation page)."""
    if by.pk != creator.user_id:
        raise ModerationDenied("Only the creator can appoint moderators.")
    handle = handle.strip().lstrip("@").lower()
    profile = creator_get_by_handle(handle=handle)
    if profile is None:
        raise ValidationError(f"Nobody has the handle @{handle}. Check the spelling.")
    return _appoint(creator=creator, by=by, target=profile.user, named=f"@{handle}")


def moderator_appoint_from_chat(*, creator: CreatorProfile, by: User, message: ChatMessage) -> Moderator:
    """The creator appoints the sender of a chat line in their room: how a viewer, who has no handle, is appointed."""
    if by.pk != creator.user_id:
        raise ModerationDenied("Only the creator can appoint moderators.")
    if message.session.creator_id != creator.pk:
        raise ValidationError("That message is not in your rooms' chat.")
    if ChatRemoval.objects.filter(message=message).exists():
        raise ValidationError("This message was removed: appoint its sender from another of their messages.")
    target = message.sender
    if target.is_deleted:
        raise ValidationError("That account was closed.")
    if not target.show_on_leaderboards:
        # The chat shows them as "Anonymous"; the moderators list and log would show their name to everyone there.
        raise ValidationError(
            "This viewer chats as Anonymous. Appointing them would show their name to you and your moderators: they "
            "can choose to be shown in their privacy settings first."
        )
    return _appoint(creator=creator, by=by, target=target, named=chat_name(target))


def _appoint(*, creator: CreatorProfile, by: User, target: User, named: str) -> Moderator:
    if target.pk == creator.user_id:
        raise ValidationError("You already moderate your own rooms.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                moderator = Moderator.objects.create(creator=creator, user=target)
        except IntegrityError:
            raise ValidationError(f"{named} is already one of your moderators.") from None
        _restriction_lift_on_appointment(creator=creator, by=by, target=target)
        _log(creator=creator, by=by, kind=ModerationKind.MODERATOR_ADD, target=target, detail=named)
    return moderator


def _restriction_lift_on_appointment(*, creator: CreatorProfile, by: User, target: User) -> None:
    """A moderator is not held by the rules: a ban or timeout of the person appointed ends, on the log."""
    now = timezone.now()
    restriction = ChatRestriction.objects.select_for_update().filter(creator=creator, user=target).first()
    if restriction is None:
        return
    detail = "Lifted on appointment as a moderator"
    if restriction.banned:
        _log(creator=creator, by=by, kind=ModerationKind.UNBAN, target=target, detail=detail)
    if restriction.timed_out_until is not None and restriction.timed_out_until > now:
        _log(creator=creator, by=by, kind=ModerationKind.TIMEOUT_LIFT, target=target, detail=detail)
    restriction.delete()


def moderator_remove(*, creator: CreatorProfile, by: User, moderator_id: int) -> None:
    if by.pk != creator.user_id:
        raise ModerationDenied("Only the creator can remove moderators.")
    with transaction.atomic():
        moderator = Moderator.objects.select_for_update().filter(creator=creator, pk=moderator_id).first()
        if moderator is None:
            raise ValidationError("That person is not one of your moderators.")
        moderator.delete()
        _log(creator=creator, by=by, kind=ModerationKind.MODERATOR_REMOVE, target=moderator.user)


# --- messages and people ------------------------------------------------------------------------------------------


def chat_message_remove(*, message: ChatMessage, by: User, reason: str = "") -> None:
    """Delete a chat message for everyone: hidden from the room and its feed, taken out of every open page and out of
    the room's event log (``live_chat_erase``: a reconnecting viewer is not sent it again). Only the creator deletes
    the creator's messages and a moderator's (a moderator may delete their own)."""
    creator = message.session.creator
    _allowed(by=by, creator=creator)
    if by.pk != creator.user_id and message.sender_id != by.pk:
        if message.sender_id == creator.user_id:
            raise ModerationDenied(f"Only {creator.display_name} can delete their own messages.")
        if Moderator.objects.filter(creator=creator, user_id=message.sender_id).exists():
            raise ModerationDenied(f"Only {creator.display_name} can delete a moderator's message.")
    with transaction.atomic():
        _, created = ChatRemoval.objects.get_or_create(message=message, defaults={"removed_by": by})
        if not created:
            return
        _log(creator=creator, by=by, kind=ModerationKind.DELETE, target=message.sender, message=message, detail=reason)
    session_id = message.session_id

    def gone() -> None:
        publish(session_id=session_id, event={"type": "chat_removed", "message_id": message.pk})
        live_chat_erase(session_id=session_id, message_id=message.pk, sent_at=message.created_at)

    transaction.on_commit(gone)


def _restriction(*, creator: CreatorProfile, target: User) -> ChatRestriction:
    restriction, _ = ChatRestriction.objects.select_for_update().get_or_create(creator=creator, user=target)
    return restriction


def viewer_timeout(
    *,
    creator: CreatorProfile,
    by: User,
    target: User,
    seconds: int,
    reason: str = "",
    message: ChatMessage | None = None,
    now: datetime | None = None,
) -> datetime:
    """Keep a viewer out of the creator's chat for ``seconds`` (1 minute to 24 hours). Returns when it ends."""
    _allowed(by=by, creator=creator)
    if not TIMEOUT_MIN_SECONDS <= seconds <= TIMEOUT_MAX_SECONDS:
        raise ValidationError("A timeout lasts from 1 minute to 24 hours.")
    _check_target(creator=creator, by=by, target=target)
    now = now or timezone.now()
    until = now + timedelta(seconds=seconds)
    with transaction.atomic():
        restriction = _restriction(creator=creator, target=target)
        restriction.timed_out_until = until
        restriction.reason = reason
        restriction.updated_at = now
        restriction.save(update_fields=["timed_out_until", "reason", "updated_at"])
        _log(
            creator=creator,
            by=by,
            kind=ModerationKind.TIMEOUT,
            target=target,
            message=message,
            seconds=seconds,
            detail=reason,
            created_at=now,
        )
    return until


def viewer_ban(
    *, creator: CreatorProfile, by: User, target: User, reason: str = "", message: ChatMessage | None = None
) -> None:
    """Ban a viewer from chatting in every room of the creator, until unbanned."""
    _allowed(by=by, creator=creator)
    _check_target(creator=creator, by=by, target=target)
    with transaction.atomic():
        restriction = _restriction(creator=creator, target=target)
        if restriction.banned:
            raise ValidationError(f"{chat_name(target)} is already banned.")
        restriction.banned = True
        restriction.reason = reason
        restriction.updated_at = timezone.now()
        restriction.save(update_fields=["banned", "reason", "updated_at"])
        _log(creator=creator, by=by, kind=ModerationKind.BAN, target=target, message=message, detail=reason)


def restriction_lift(*, creator: CreatorProfile, by: User, restriction_id: int) -> str:
    """Unban the person and end their timeout. Returns what was done, in words."""
    _allowed(by=by, creator=creator)
    now = timezone.now()
    with transaction.atomic():
        restriction = (
            ChatRestriction.objects.select_for_update(of=("self",))
            .select_related("user", "user__creator")
            .filter(creator=creator, pk=restriction_id)
            .first()
        )
        if restriction is None or not (restriction.banned or (restriction.timed_out_until or now) > now):
            raise ValidationError("That person can already chat here.")
        target = restriction.user
        if restriction.banned:
            _log(creator=creator, by=by, kind=ModerationKind.UNBAN, target=target)
        if restriction.timed_out_until is not None and restriction.timed_out_until > now:
            _log(creator=creator, by=by, kind=ModerationKind.TIMEOUT_LIFT, target=target)
        restriction.delete()
    return f"{chat_name(target)} can chat in your rooms again."


# --- room rules ---------------------------------------------------------------------------------------------------


def room_rules_set(*, creator: CreatorProfile, by: User, slow_mode_seconds: int, blocked_words: list[str]) -> bool:
    """Set slow mode (0 = off) and the blocked words. Logs what changed; False when nothing did."""
    _allowed(by=by, creator=creator)
    if not 0 <= slow_mode_seconds <= SLOW_MODE_MAX_SECONDS:
        raise ValidationError(f"Slow mode is 0 (off) to {SLOW_MODE_MAX_SECONDS} seconds.")
    words = "\n".join(blocked_words)
    with transaction.atomic():
        rules, _ = RoomRules.objects.select_for_update().get_or_create(creator=creator)
        changed = False
        if rules.slow_mode_seconds != slow_mode_seconds:
            _log(
                creator=creator,
                by=by,
                kind=ModerationKind.SLOW_MODE,
                seconds=slow_mode_seconds,
                detail=f"{slow_mode_seconds} seconds" if slow_mode_seconds else "off",
            )
            changed = True
        if rules.blocked_words != words:
            before, after = set(blocked_words_list(rules.blocked_words)), set(blocked_words)
            detail = f"{len(after)} blocked (added {len(after - before)}, removed {len(before - after)})"
            _log(creator=creator, by=by, kind=ModerationKind.WORDS, detail=detail)
            changed = True
        if changed:
            rules.slow_mode_seconds = slow_mode_seconds
            rules.blocked_words = words
            rules.updated_at = timezone.now()
            rules.save()
    return changed


# --- the chat's checks (called by ``gifts.chat.services.chat_message_post``) ----------------------------------------


def slow_mode_wait(*, standing: ChatStanding, creator_id: int, user_id: int, now: datetime) -> int:
    """Slow mode: count this message, or say how many seconds the person must still wait (0 = it may go)."""
    seconds = standing.slow_mode_seconds
    if not seconds or standing.moderator:
        return 0
    key = f"chat-slow:{creator_id}:{user_id}"
    stamp = now.timestamp()
    if cache.add(key, stamp, timeout=seconds):
        return 0
    last = cache.get(key)
    if last is None or not 0 <= stamp - float(last) < seconds:
        cache.set(key, stamp, timeout=seconds)
        return 0
    return max(1, math.ceil(seconds - (stamp - float(last))))


def timeout_ends_text(until: datetime) -> str:
    return time_shown(until)


# --- closing an account -------------------------------------------------------------------------------------------


def moderators_erase(*, user: User) -> int:
    """A closing account (``coinshop.closing``): its moderator appointments go, both ways (the moderators of its
    rooms, and the rooms it moderated). Returns how many were deleted."""
    deleted, _ = (Moderator.objects.filter(user=user) | Moderator.objects.filter(creator__user=user)).delete()
    return deleted

"""Stream tools: gift goals (a progress bar in the live room, on the creator's page and in the alerts overlay) and
the creator's private overlay URL for OBS.

A goal counts the creator's gifts (cancelled ones left out) from its start until its deadline: coins, or the number
of one chosen gift. Its state travels with every gift and cancellation in the live room's events; reaching it is
announced once (``reached_at`` is set by one conditional UPDATE, so two gifts at once cannot both announce it).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import CreatorProfile

from ..models import Gift, GiftGoal, GiftSend, GiftSendStatus, GoalKind, LiveSession, StreamKey
from .events import live_goal_published

GoalState = dict[str, object]

logger = logging.getLogger(__name__)


class GoalRefused(ValidationError):
    """A goal that cannot be set, with the reason in words."""


def goal_open_get(*, creator_id: int) -> GiftGoal | None:
    return GiftGoal.objects.select_related("gift").filter(creator_id=creator_id, closed_at__isnull=True).first()


def goal_progress(*, goal: GiftGoal) -> int:
    """Coins (or the chosen gift's count) the creator received toward ``goal``."""
    sends = GiftSend.objects.filter(creator_id=goal.creator_id, created_at__gte=goal.starts_at).exclude(
        status=GiftSendStatus.CANCELLED
    )
    if goal.deadline is not None:
        sends = sends.filter(created_at__lt=goal.deadline)
    if goal.kind == GoalKind.GIFTS:
        return int(sends.filter(gift=goal.gift).aggregate(n=Sum("quantity"))["n"] or 0)
    return int(sends.aggregate(n=Sum("coins"))["n"] or 0)


def goal_state(*, goal: GiftGoal | None, now: datetime | None = None) -> GoalState | None:
    """What the pages show of a goal (public: no gifter in it)."""
    if goal is None:
        return None
    now = now or timezone.now()
    current = goal_progress(goal=goal)
    unit = "coins" if goal.kind == GoalKind.COINS else (goal.gift.name if goal.gift else "gifts")
    return {
        "title": goal.title,
        "current": current,
        "target": goal.target,
        "unit": unit,
        "reached": current >= goal.target,
        "deadline": goal.deadline.isoformat() if goal.deadline else None,
        "over": goal.deadline is not None and now >= goal.deadline,
    }


def goal_state_for(*, creator_id: int) -> GoalState | None:
    return goal_state(goal=goal_open_get(creator_id=creator_id))


def goal_set(
    *,
    creator: CreatorProfile,
    title: str,
    target: int,
    gift: Gift | None = None,
    deadline: datetime | None = None,
    now: datetime | None = None,
) -> GiftGoal:
    """A new goal (replacing the open one), counted from now; the live room shows it at once."""
    now = now or timezone.now()
    title = " ".join(title.split())
    if not title:
        raise GoalRefused("Give your goal a title.")
    if target < 1:
        raise GoalRefused("The target must be at least 1.")
    if deadline is not None and deadline <= now:
        raise GoalRefused("The deadline must be in the future.")
    with transaction.atomic():
        GiftGoal.objects.filter(creator=creator, closed_at__isnull=True).update(closed_at=now)
        goal = GiftGoal.objects.create(
            creator=creator,
            title=title[:80],
            kind=GoalKind.GIFTS if gift is not None else GoalKind.COINS,
            gift=gift,
            target=target,
            starts_at=now,
            deadline=deadline,
        )
        transaction.on_commit(lambda: goal_changed(creator_id=creator.pk, set_or_removed=True))
    return goal


def goal_remove(*, creator: CreatorProfile, now: datetime | None = None) -> None:
    with transaction.atomic():
        GiftGoal.objects.filter(creator=creator, closed_at__isnull=True).update(closed_at=now or timezone.now())
        transaction.on_commit(lambda: goal_changed(creator_id=creator.pk, set_or_removed=True))


def _goal_open_exists(creator_id: int) -> bool:
    """One plain statement: asked after every gift, and most creators have no open goal."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {GiftGoal._meta.db_table} WHERE creator_id = %s AND closed_at IS NULL)",  # noqa: S608
            [creator_id],
        )
        return bool(cursor.fetchone()[0])


def goal_changed(*, creator_id: int, set_or_removed: bool = False) -> GoalState | None:
    """After a gift, a cancellation or a new goal: tell the creator's live room the goal's state, and announce its
    reaching once. (A gift to a creator without a goal costs one plain statement here and publishes nothing.)"""
    if not set_or_removed and not _goal_open_exists(creator_id):
        return None
    goal = goal_open_get(creator_id=creator_id)
    if goal is None and not set_or_removed:
        return None
    state = goal_state(goal=goal)
    reached_now = False
    if goal is not None and state is not None and state["reached"] and goal.reached_at is None:
        reached_now = bool(
            GiftGoal.objects.filter(pk=goal.pk, reached_at__isnull=True).update(reached_at=timezone.now())
        )
    for session_id in LiveSession.objects.filter(creator_id=creator_id, ended_at__isnull=True).values_list(
        "pk", flat=True
    ):
        live_goal_published(session_id=session_id, goal=state, reached=reached_now)
    return state


def goal_moved(*, creator_id: int) -> None:
    """A gift to the creator (live or not) or its cancellation committed: move the goal, never failing the gift."""
    try:
        goal_changed(creator_id=creator_id)
    except Exception:  # like every event: never turn a committed gift into an error
        logger.warning("could not update the goal of creator %s", creator_id, exc_info=True)


def _token() -> str:
    return "ov_" + secrets.token_urlsafe(24)


def overlay_token_get(*, creator: CreatorProfile) -> str:
    """The secret of the creator's overlay URL, made on first use."""
    from .ingest import stream_key_get

    key = stream_key_get(creator=creator)
    if not key.overlay_token:
        StreamKey.objects.filter(pk=key.pk, overlay_token__isnull=True).update(overlay_token=_token())
        key.refresh_from_db()
    return str(key.overlay_token)


def overlay_token_rotate(*, creator: CreatorProfile) -> str:
    """A new overlay URL; the old one stops working at once."""
    from .ingest import stream_key_get

    key = stream_key_get(creator=creator)
    key.overlay_token = _token()
    key.save(update_fields=["overlay_token"])
    return key.overlay_token


def overlay_creator_get(*, token: str) -> CreatorProfile | None:
    if not token.startswith("ov_"):
        return None
    found = StreamKey.objects.select_related("creator").filter(Q(overlay_token=token)).first()
    return found.creator if found is not None else None

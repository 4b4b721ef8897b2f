"""Purchase velocity limits (issue 12, card testing): many purchases, or many failed payments, in a short time put
the person on the staff review queue (``PurchaseReview``), and they cannot buy until staff clear it (audited).

Settings: ``PURCHASE_VELOCITY_WINDOW_MINUTES`` (60),
``PURCHASE_VELOCITY_MAX_STARTED`` (10 purchases started in the window), ``PURCHASE_VELOCITY_MAX_FAILED`` (3 failed
payments in the window). Only what happened since staff last cleared the person counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User

from .models import Purchase, PurchaseReview, PurchaseStatus
from .spending import SpendRefused

UNDER_REVIEW = (
    "Your recent purchases are being reviewed by our staff, so you cannot buy coins for now. "
    "This usually takes less than a day; contact support if you need help."
)


def purchase_velocity_problem(*, user: User, now: datetime | None = None) -> str | None:
    """Why this person's recent purchases look like card testing (for the review queue), or None."""
    now = now or timezone.now()
    since = now - timedelta(minutes=settings.PURCHASE_VELOCITY_WINDOW_MINUTES)
    cleared = PurchaseReview.objects.filter(user=user, cleared_at__isnull=False).aggregate(t=Max("cleared_at"))["t"]
    if cleared is not None and cleared > since:
        since = cleared
    counts = Purchase.objects.filter(user=user, created_at__gt=since).aggregate(
        started=Count("id"), failed=Count("id", filter=Q(status=PurchaseStatus.FAILED))
    )
    max_started = settings.PURCHASE_VELOCITY_MAX_STARTED
    max_failed = settings.PURCHASE_VELOCITY_MAX_FAILED
    if counts["failed"] >= max_failed:
        return f"{counts['failed']} failed payments since {since:%Y-%m-%d %H:%M} UTC"
    if counts["started"] >= max_started:
        return f"{counts['started']} purchases started since {since:%Y-%m-%d %H:%M} UTC"
    return None


def purchase_velocity_check(*, user: User, now: datetime | None = None) -> None:
    """Raise ``SpendRefused`` while the person is on the review queue, putting them on it first if their recent
    purchases pass the limits. Call it outside the purchase's transaction, so the queue entry stays."""
    if not user.is_authenticated:
        return
    if PurchaseReview.objects.filter(user=user, cleared_at__isnull=True).exists():
        raise SpendRefused(UNDER_REVIEW, code="review")
    problem = purchase_velocity_problem(user=user, now=now)
    if problem is None:
        return
    try:
        with transaction.atomic():
            PurchaseReview.objects.create(user=user, reason=problem)
    except IntegrityError:
        pass  # put on the queue a moment ago by another request
    raise SpendRefused(UNDER_REVIEW, code="review")


def purchase_review_clear(*, review: PurchaseReview, staff: User, note: str = "") -> PurchaseReview:
    """Staff looked and the person may buy again. Audited."""
    if not staff.is_staff:
        raise ValidationError("Only staff can clear a purchase review.")
    with transaction.atomic():
        cleared = PurchaseReview.objects.filter(pk=review.pk, cleared_at__isnull=True).update(
            cleared_at=timezone.now(), cleared_by=staff
        )
        if cleared:
            audit_record(actor=staff, action="purchase_review.clear", obj=review, user=review.user_id, note=note)
    review.refresh_from_db()
    return review

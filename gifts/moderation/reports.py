"""Reports to staff: a viewer reports a chat message or a creator (once each); staff resolve or dismiss it in the
admin, with a note, audited (``accounts.audit.audit_record``, in the same transaction)."""

from __future__ import annotations

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import CreatorProfile, User

from ..chat.models import ChatMessage
from .models import Report, ReportStatus

REPORT_RATE_COUNT = 10  # reports one person may file ...
REPORT_RATE_SECONDS = 3600  # ... in this many seconds


def _rate_take(*, user_id: int) -> bool:
    key = f"report-rate:{user_id}"
    cache.add(key, 0, timeout=REPORT_RATE_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.add(key, 1, timeout=REPORT_RATE_SECONDS)
        count = 1
    return count <= REPORT_RATE_COUNT


def report_exists(*, reporter: User, creator: CreatorProfile, message: ChatMessage | None) -> bool:
    if not reporter.is_authenticated:
        return False
    return Report.objects.filter(reporter=reporter, creator=creator, message=message).exists()


def report_create(
    *, reporter: User, creator: CreatorProfile, reason: str, text: str = "", message: ChatMessage | None = None
) -> Report:
    """File a report. The same person cannot report the same message (or creator) twice, nor themselves, and at most
    ``REPORT_RATE_COUNT`` reports an hour."""
    if message is not None and message.sender_id == reporter.pk:
        raise ValidationError("You cannot report your own message.")
    if message is None and creator.user_id == reporter.pk:
        raise ValidationError("You cannot report yourself.")
    what = "this message" if message is not None else f"{creator.display_name}"
    if report_exists(reporter=reporter, creator=creator, message=message):
        raise ValidationError(f"You already reported {what}. Staff will look at it.", code="duplicate")
    if not _rate_take(user_id=reporter.pk):
        raise ValidationError(
            "You have sent many reports in the last hour. Please wait a while before sending another.",
            code="rate_limited",
        )
    try:
        with transaction.atomic():
            return Report.objects.create(
                reporter=reporter,
                creator=creator,
                message=message,
                message_text=(message.text if message is not None else "")[:500],
                reason=reason,
                text=text.strip(),
            )
    except IntegrityError:  # the same report sent twice at once
        raise ValidationError(f"You already reported {what}. Staff will look at it.", code="duplicate") from None


def report_close(*, report_id: int, by: User, status: str, note: str) -> bool:
    """Staff resolve (action taken) or dismiss an open report, with a note. False when it was already closed."""
    if status not in (ReportStatus.RESOLVED, ReportStatus.DISMISSED):
        raise ValidationError("A report is closed as resolved or dismissed.")
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id, status=ReportStatus.OPEN).first()
        if report is None:
            return False
        report.status = status
        report.handled_by = by
        report.handled_at = timezone.now()
        report.staff_note = note.strip()
        report.save(update_fields=["status", "handled_by", "handled_at", "staff_note"])
        audit_record(actor=by, action=f"report.{status}", obj=report, subject=report.subject, note=report.staff_note)
    return True

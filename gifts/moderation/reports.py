"""Reports to staff: a viewer reports a chat message or a creator (once each); staff resolve or dismiss it in the
admin, with a note, audited (``accounts.audit.audit_record``, in the same transaction).

A chat message can be reported while it is still in its room: not once a moderator removed it (its text is shown to
nobody any more), and only from a room that is live or ended in the last ``REPORT_WINDOW``."""

from __future__ import annotations

from datetime import datetime, timedelta

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
REPORT_WINDOW = timedelta(days=7)  # a room's messages can be reported until this long after it ended

REMOVED_TEXT = "This message was already removed by a moderator."


class MessageNotReportable(ValidationError):
    """This chat message cannot be reported (any more), with the reason in words; ``code``: "removed" or "too_old"."""


def message_reportable_check(*, message: ChatMessage, now: datetime | None = None) -> None:
    """Raise ``MessageNotReportable`` for a removed message, or one of a room that ended over a week ago."""
    if hasattr(message, "removal"):
        raise MessageNotReportable(REMOVED_TEXT, code="removed")
    ended = message.session.ended_at
    if ended is not None and ended < (now or timezone.now()) - REPORT_WINDOW:
        raise MessageNotReportable(
            f"This chat message can no longer be reported: its live stream ended more than {REPORT_WINDOW.days} days "
            "ago. To report the creator, use the link on their page.",
            code="too_old",
        )


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
    ``REPORT_RATE_COUNT`` reports an hour; a chat message only while it can be (``message_reportable_check``)."""
    if message is not None:
        message_reportable_check(message=message)
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

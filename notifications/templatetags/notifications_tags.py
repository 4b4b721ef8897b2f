"""``{% notifications_unread user as unread %}``: the header's unread count (cached; see the selector)."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import UNREAD_CAP, notification_unread_count

register = template.Library()


@register.simple_tag
def notifications_unread(user: Any) -> str:
    """ "" when nothing is unread, else the number ("99+" past the cap)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    count = notification_unread_count(user_id=user.pk)
    return "" if count == 0 else (f"{UNREAD_CAP}+" if count > UNREAD_CAP else str(count))

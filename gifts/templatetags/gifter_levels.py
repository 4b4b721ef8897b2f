"""``{% gifter_badge level %}``: the gifter level badge beside a name (``gifts.sending.levels``); nothing for 0.

The level comes with the row being shown (feed, chat, leaderboard items carry ``level``, computed for the whole page
at once): the tag itself reads nothing. ``{% gifter_progress_card user %}``: a person's own level and what is left to
the next (for their own pages only: it shows a level even when it is hidden from others)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from ..sending.levels import gifter_progress

register = template.Library()


@register.simple_tag
def gifter_badge(level: Any) -> str:
    if not isinstance(level, int) or level <= 0:
        return ""
    return format_html(
        ' <span class="level-badge" title="Gifter level {0}"><span class="visually-hidden">Gifter level </span>'
        '<span aria-hidden="true">Lv </span>{0}</span>',
        level,
    )


@register.inclusion_tag("gifts/_level_progress.html")
def gifter_progress_card(user: Any, link: bool = True) -> dict[str, object]:
    if not getattr(user, "is_authenticated", False):
        return {"progress": None}
    return {"progress": gifter_progress(user_id=user.pk), "hidden": not user.show_on_leaderboards, "link": link}

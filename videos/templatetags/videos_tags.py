"""``{% creator_videos profile %}``: a creator's ready videos on their page (the gifts app's template includes it,
so the gifts app's code never imports this one)."""

from __future__ import annotations

from typing import Any

from django import template

from videos.selectors import video_list_for_creator_page

register = template.Library()


@register.inclusion_tag("videos/_creator_videos.html", takes_context=True)
def creator_videos(context: template.Context, profile: Any) -> dict[str, object]:
    own = bool(context.get("is_own_page"))
    return {
        "profile": profile,
        "is_own_page": own,
        "videos": video_list_for_creator_page(
            creator=profile, can_see_locked=own or bool(context.get("is_subscriber")), own=own
        ),
    }

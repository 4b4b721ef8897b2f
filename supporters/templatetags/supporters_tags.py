"""``{% follow_box profile %}``: the follower count and the follow button on a creator's page and in the live room
(gifts' templates load it, so gifts' code never imports this app). Cached counts: no query on a warm page."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import follow_state_get

register = template.Library()


@register.inclusion_tag("supporters/_follow.html", takes_context=True)
def follow_box(context: template.Context, profile: Any) -> dict[str, object]:
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    count, following = follow_state_get(creator_id=profile.pk, user_id=user.pk if signed_in else None)
    return {
        "profile": profile,
        "followers": count,
        "following": following,
        "signed_in": signed_in,
        "own": signed_in and profile.user_id == user.pk,  # type: ignore[union-attr]
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request is not None else "",
    }

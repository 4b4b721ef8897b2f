"""``{% creator_posts profile %}``: a creator's newest posts on their page (the gifts app's template includes it, so
the gifts app's code never imports this one)."""

from __future__ import annotations

from typing import Any

from django import template

from posts.selectors import post_list_for_creator, posts_with_access

register = template.Library()

SHOWN = 3


@register.inclusion_tag("posts/_creator_posts.html", takes_context=True)
def creator_posts(context: template.Context, profile: Any) -> dict[str, object]:
    user = context["request"].user
    posts = list(post_list_for_creator(creator=profile, user=user)[: SHOWN + 1])
    return {
        "profile": profile,
        "is_own_page": bool(context.get("is_own_page")),
        "posts": posts_with_access(posts=posts[:SHOWN], creator=profile, user=user),
        "more": len(posts) > SHOWN,
    }

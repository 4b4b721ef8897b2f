"""The creator's page: the gift panel, leaderboards, subscription and goal together."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import creator_get_by_handle
from coinshop.http import request_user

from .live.goals import goal_state_for
from .live.selectors import live_session_current
from .sending.leaderboards import leaderboard_for_creator
from .sending.views import gift_panel_context
from .subscriptions.selectors import subscription_get, subscription_plan_get


def creator_page(request: HttpRequest, handle: str) -> HttpResponse:
    creator = creator_get_by_handle(handle=handle)
    if creator is None:
        raise Http404("No creator with that handle.")
    live = live_session_current(creator=creator)
    subscription = subscription_get(subscriber=request_user(request), creator=creator)
    subscriber = bool(subscription and subscription.is_current)  # type: ignore[attr-defined]
    return render(
        request,
        "gifts/creator_page.html",
        {
            "profile": creator,
            "live": live,
            "board_all": leaderboard_for_creator(creator=creator),
            "board_30": leaderboard_for_creator(creator=creator, days=30),
            "plan": subscription.plan if subscription else subscription_plan_get(creator=creator),
            "goal": goal_state_for(creator_id=creator.pk),
            "subscription": subscription,
            **gift_panel_context(request, creator, subscriber),
        },
    )

"""The fuzz pass: generated input to every form and JSON endpoint a person (or a provider, or the ingest server) can
reach. Whatever arrives, the answer is never a server error (5xx), and a refused request (4xx) writes no ledger row.

In the suite each endpoint gets every odd value below in all its fields at once, then ``FUZZ_EXAMPLES`` generated
examples (default 12); ``make fuzz`` runs 10,000 and more in all (``FUZZ_EXAMPLES=300`` over the endpoints below).
Hypothesis shrinks any failure to the smallest input that causes it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import CreatorProfile, User
from gifts.live.models import StreamKey
from gifts.models import Gift, LiveSession, ShopItem, SubscriptionPlan
from notifications.forms import CHANNELS, field_name
from notifications.models import NotificationKind
from posts.models import Post
from wallet.models import CoinPackage, LedgerTransaction

from ..conftest import otp_login

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

# Values people and scripts send: numbers a form accepts and ones ``int`` refuses, huge and negative numbers,
# control, bidi-override and look-alike characters, markup, and plain random text.
ODD = [
    "",
    " ",
    "0",
    "1",
    "-1",
    "²",
    "①",
    "٣",
    "9" * 4400,
    str(2**63),
    str(2**63 - 1),
    "1e9",
    "NaN",
    "1.5",
    "é",
    "\u202e",
    "a\nb",
    "\x00",
    "<script>alert(1)</script>",
    "admin",
    "ＡＤＭＩＮ",
    str(uuid.uuid4()),
]
VALUES = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


@pytest.fixture
def world(
    make_creator: Callable[..., CreatorProfile],
    enable_2fa: Callable[..., Any],
    client: Client,
    fund: Callable[[User, int], None],
) -> dict[str, Any]:
    """A creator who is also a viewer (signed in with 2FA, 100,000 coins, live, with a post), a second creator live
    with a plan, a gift, a sticker and an effect, a coin package, and the second creator's overlay token."""
    me = make_creator("fuzzer")
    User.objects.filter(pk=me.user_id).update(date_joined=timezone.now() - timedelta(days=60))
    _, codes = enable_2fa(me.user)
    assert otp_login(client, me.user.email, codes[0]).status_code == 302
    fund(me.user, 100_000)
    star = make_creator("star")
    SubscriptionPlan.objects.create(creator=star, coins_per_month=100)
    live = LiveSession.objects.create(creator=star)
    gift = Gift.objects.create(slug="rose", name="Rose", coin_cost=1, artwork="gifts/rose.svg")
    ShopItem.objects.create(slug="wave", name="Wave", kind="sticker", coin_price=5, artwork="shop/fire.svg")
    ShopItem.objects.create(
        slug="glow", name="Glow", kind="effect", coin_price=5, artwork="shop/glow.svg", effect_style="glow"
    )
    CoinPackage.objects.create(coins=70, price_minor=99, currency="USD")
    key = StreamKey.objects.create(creator=star, key="s" * 32, overlay_token="ov_fuzz")
    mine = LiveSession.objects.create(creator=me)
    post = Post.objects.create(creator=me, text="Thanks for the support")
    return {
        "client": client,
        "handle": star.handle,
        "session": live.pk,
        "gift": gift.pk,
        "token": key.overlay_token,
        "me": me.handle,
        "mine": mine.pk,
        "post": post.public_id,
    }


PREFERENCES = [field_name(kind, channel) for kind in NotificationKind.values for channel, _ in CHANNELS]


# (method, path, fields): every form and JSON endpoint; {handle}, {session} and {token} are the other creator's (live),
# {me}, {mine} and {post} the signed-in creator's own; {any} is fuzzed. ``test_every_url_is_fuzzed`` keeps it complete.
ENDPOINTS: list[tuple[str, str, list[str]]] = [
    ("GET", "/creators/", ["q"]),
    ("GET", "/wallet/", ["kind", "date_from", "date_to", "page"]),
    ("GET", "/wallet/export.csv", ["kind", "date_from", "date_to"]),
    ("GET", "/wallet/recharge/review/", ["package", "coins", "method"]),
    ("POST", "/wallet/recharge/confirm/", ["package", "coins", "method", "idempotency_key"]),
    ("GET", "/wallet/purchases/", ["page"]),
    ("GET", "/wallet/purchases/{any}/", ["cancelled"]),
    ("POST", "/wallet/budget/", ["limit", "daily_limit", "gift_limit"]),
    ("POST", "/wallet/webhooks/sandbox/", ["id", "type", "data"]),
    ("POST", "/accounts/preferences/", ["nickname", "default_gift_visibility", "show_on_leaderboards"]),
    ("POST", "/creator/profile/", ["display_name", "bio"]),
    ("POST", "/creator/payouts/details/", ["holder_name", "iban", "sandbox_outcome"]),
    ("POST", "/creator/payouts/request/", ["diamonds"]),
    ("GET", "/creator/payouts/{any}/", []),
    ("POST", "/live/start/", ["title"]),
    ("POST", "/live/setup/", ["action", "title", "target", "kind", "gift", "deadline"]),
    ("GET", "/live/{any}/", []),
    ("GET", "/live/{session}/feed.json", ["v", "after", "chat_after"]),
    ("POST", "/live/{session}/chat/", ["text", "sticker"]),
    ("POST", "/live/{any}/chat/", ["text"]),
    ("POST", "/live/ingest/publish", ["name", "key", "secret", "call", "addr"]),
    ("POST", "/live/ingest/publish-done", ["name", "secret"]),
    ("GET", "/overlay/{token}/state.json", []),
    ("GET", "/overlay/{any}/state.json", []),
    ("POST", "/@{handle}/gift/", ["gift", "quantity", "visibility", "idempotency_key", "live_session", "next"]),
    ("POST", "/@{any}/gift/", ["gift", "quantity"]),
    ("POST", "/@{handle}/subscribe/", ["next"]),
    ("POST", "/gifts/{any}/undo/", ["next"]),
    ("POST", "/shop/buy/", ["item", "next"]),
    ("POST", "/inventory/effect/", ["item"]),
    ("POST", "/subscriptions/plan/", ["name", "coins_per_month", "active", "subscriber_gifts"]),
    ("GET", "/v/{any}/status.json", []),
    ("POST", "/v/{any}/gift/", ["gift", "quantity", "visibility", "idempotency_key"]),
    ("POST", "/v/{any}/delete/", []),
    # issue 14: moderation, reports, posts, notifications, follow, thank-yous
    ("POST", "/live/{mine}/moderate/", ["action", "message", "seconds", "reason"]),
    ("POST", "/live/{session}/moderate/", ["action", "message", "seconds"]),
    (
        "POST",
        "/@{me}/moderation/",
        ["action", "slow_mode_seconds", "blocked_words", "handle", "moderator", "restriction"],
    ),
    ("POST", "/@{handle}/moderation/", ["action", "slow_mode_seconds", "blocked_words", "handle"]),
    ("GET", "/moderation/", ["page"]),
    ("POST", "/report/chat/{any}/", ["reason", "text"]),
    ("POST", "/@{handle}/report/", ["reason", "text"]),
    ("GET", "/@{handle}/posts/", ["page"]),
    ("POST", "/posts/new/", ["text", "teaser", "audience", "min_coins", "window_days", "video"]),
    ("POST", "/p/{post}/edit/", ["text", "teaser", "audience", "min_coins", "window_days", "video", "remove_image"]),
    ("GET", "/p/{any}/", []),
    ("GET", "/p/{any}/image", []),
    ("POST", "/p/{any}/delete/", []),
    ("GET", "/notifications/", ["page"]),
    ("POST", "/notifications/read/", ["notification", "next"]),
    ("POST", "/notifications/read-all/", ["next"]),
    ("POST", "/notifications/preferences/", PREFERENCES),
    ("POST", "/@{handle}/follow/", ["follow", "next"]),
    ("POST", "/@{me}/follow/", ["follow"]),
    ("GET", "/thanks/", ["page"]),
    ("POST", "/thanks/live/{mine}/", ["gifter", "everyone", "note"]),
    ("POST", "/thanks/live/{any}/", ["gifter", "note"]),
    ("POST", "/thanks/video/{any}/", ["gifter", "everyone", "note"]),
]

# Pages that take no input beyond their address (a GET of the page itself), and routes fuzzed elsewhere or not ours.
NO_INPUT = {
    "",
    "levels/",
    "healthz",
    "wallet/recharge/",
    "wallet/purchases/*/status.json",
    "wallet/sandbox/checkout/*/",
    "creator/become/",
    "creator/earnings/",
    "creator/payouts/stripe/return/",
    "creator/payouts/stripe/refresh/",
    "@*/",
    "live/start/",
    "overlay/*/",
    "live/*/events",
    "live/*/end/",
    "gifts/sent/",
    "gifts/received/",
    "shop/",
    "inventory/",
    "subscriptions/",
    "subscriptions/*/price/",
    "@*/subscription/cancel/",
    "@*/subscription/resume/",
    "videos/new/",
    "videos/mine/",
    "v/*/",
    "v/*/video.mp4",
    "v/*/poster.jpg",
}


def _id(endpoint: tuple[str, str, list[str]]) -> str:
    return f"{endpoint[0]} {endpoint[1]}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_id)
def test_generated_input_never_breaks_an_endpoint_nor_writes_money_when_refused(
    world: dict[str, Any], endpoint: tuple[str, str, list[str]]
) -> None:
    method, template, fields = endpoint
    client: Client = world["client"]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        data=st.fixed_dictionaries({}, optional=dict.fromkeys(fields, VALUES)),
        part=st.one_of(st.sampled_from(ODD), st.text(min_size=1, max_size=20)),
    )
    def probe(data: dict[str, str], part: str) -> None:
        from urllib.parse import quote

        path = template.format(
            **{k: world[k] for k in ("handle", "session", "token", "me", "mine", "post")}, any=quote(part, safe="")
        )
        before = LedgerTransaction.objects.count()
        response = client.get(path, data) if method == "GET" else client.post(path, data)
        assert response.status_code < 500, (method, path, data, response.status_code)
        if response.status_code >= 400:
            assert LedgerTransaction.objects.count() == before, (method, path, data)

    for odd in ODD:  # each odd value in every field at once, before the generated ones
        probe = example(data=dict.fromkeys(fields, odd), part=odd)(probe)
    probe()


def _shape(route: str) -> str:
    """A route with its variable parts as ``*``: ``live/<int:session_id>/chat/`` and ``/live/{session}/chat/`` alike."""
    import re

    route = route.lstrip("^").rstrip("$").lstrip("/")
    return re.sub(r"\(\?P<\w+>[^)]*\)|<[^>]+>|\{\w+\}", "*", route)


def test_every_url_is_fuzzed() -> None:
    """A new form or endpoint is added to ENDPOINTS (or, when it takes no input, to NO_INPUT): none is forgotten."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def routes(resolver: URLResolver, prefix: str = "") -> list[str]:
        found = []
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                found += routes(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append(prefix + str(entry.pattern))
        return found

    ours = [r for r in routes(get_resolver()) if not r.startswith(("admin/", "accounts/", "stripe/", "^media/"))]
    fuzzed = {_shape(path) for _, path, _ in ENDPOINTS}
    forgotten = sorted(r for r in ours if _shape(r) not in fuzzed | NO_INPUT)
    assert not forgotten, f"routes neither fuzzed nor listed as taking no input: {forgotten}"

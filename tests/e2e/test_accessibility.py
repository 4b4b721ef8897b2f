"""Every main page passes axe-core's WCAG 2.1 A/AA rules (no serious or critical violation), on a desktop and on a
phone, for a visitor, a viewer and a creator. New pages call ``assert_accessible`` in their own journeys too."""

from __future__ import annotations

import pytest

from gifts.models import LiveSession
from tests.e2e.a11y import FAILING, violations
from tests.e2e.conftest import log_in
from tests.gifts import conftest as gift_fixtures

catalog = gift_fixtures.catalog

VISITOR = [
    "/",
    "/creators/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/@mira/",
    "/@mira/posts/",
    "/levels/",
]
VIEWER = [
    "/",
    "/wallet/",
    "/wallet/recharge/",
    "/wallet/purchases/",
    "/wallet/budget/",
    "/accounts/preferences/",
    "/accounts/2fa/",
    "/accounts/delete/",
    "/gifts/sent/",
    "/shop/",
    "/inventory/",
    "/subscriptions/",
    "/@mira/",
    "/@mira/posts/",
    "/@mira/report/",
    "/notifications/",
    "/notifications/preferences/",
    "/moderation/",
    "{live}",
]
CREATOR = [
    "/creator/profile/",
    "/creator/earnings/",
    "/gifts/received/",
    "/live/setup/",
    "/subscriptions/plan/",
    "/videos/new/",
    "/videos/mine/",
    "/posts/new/",
    "/@mira/moderation/",
    "/thanks/",
    "/notifications/",
]
SIZES = [(1280, 800), (390, 844)]


@pytest.mark.django_db(transaction=True)
def test_main_pages_pass_the_accessibility_rules(contexts, make_user, make_creator, catalog, fund, shot) -> None:
    creator = make_creator("mira")
    session = LiveSession.objects.create(creator=creator, title="Late-night piano")
    ann = make_user("ann@example.com", nickname="Ann")
    fund(ann, 500)
    pages = [
        (contexts().new_page(), VISITOR),
        (log_in(contexts(), ann.email), VIEWER),
        (log_in(contexts(), creator.user.email), CREATOR),
    ]
    problems: list[str] = []
    for page, paths in pages:
        for path in paths:
            url = path.format(live=f"/live/{session.pk}/")
            for width, height in SIZES:
                page.set_viewport_size({"width": width, "height": height})
                response = page.goto(url)
                assert response is not None and response.status == 200, (url, response and response.status)
                for violation in violations(page):
                    if violation.get("impact") in FAILING:
                        targets = "; ".join(", ".join(n["target"]) for n in violation["nodes"][:3])
                        problems.append(f"{url} @{width}: {violation['id']}: {violation['help']} -> {targets}")
    assert not problems, "\n".join(sorted(set(problems)))

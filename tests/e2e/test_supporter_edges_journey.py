"""Issue 14 review fixes in a browser: the notification settings show the security email ticked and locked, with
the reason; a supporters-only post tells a viewer whose large gift can still be undone that it counts in a few
seconds. Both pages at desktop and phone sizes, each checked for accessibility."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from gifts.models import Gift
from gifts.sending.services import gift_send
from posts.services import PostContent, post_create
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import log_in
from tests.videos import conftest as video_fixtures

video_root = video_fixtures.video_root
SIZES = [(1280, 800), (390, 844)]


def _shots(page: Page, shot, name: str) -> None:
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page)
        shot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.django_db(transaction=True)
def test_security_emails_stay_on_and_an_undoable_gift_says_when_it_counts(
    contexts, make_user, make_creator, fund, shot, video_root, settings
) -> None:
    settings.GIFT_UNDO_SECONDS = 120  # the gift stays undoable while the page loads, however slow the machine
    ann = make_user("ann@example.com", nickname="Ann")
    page = log_in(contexts(), ann.email)
    page.goto("/notifications/preferences/")
    security_email = page.get_by_label(
        "By email (always) (Security (new login, two-factor authentication, email address))"
    )
    expect(security_email).to_be_checked()
    expect(security_email).to_be_disabled()
    expect(page.locator("#note-security")).to_contain_text("Security notices are always emailed")
    _shots(page, shot, "preferences")
    page.get_by_label("In the app (Security (new login, two-factor authentication, email address))").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Your notification settings are saved.")
    expect(security_email).to_be_checked()

    mira = make_creator("mira")
    post = post_create(
        creator=mira,
        content=PostContent(text="The unreleased demo.", audience="supporters", min_coins=1000, window_days=30),
    )
    fund(ann, 1000)
    crown = Gift.objects.create(slug="crown", name="Crown", coin_cost=1000, artwork="gifts/crown.svg")
    gift_send(sender=ann, creator=mira, gift=crown)
    page.goto(f"/p/{post.public_id}/")
    expect(page.locator("#post-locked")).to_contain_text(
        "your gift of 1,000 coins counts once it can no longer be cancelled, in a few seconds"
    )
    _shots(page, shot, "post-gift-pending")

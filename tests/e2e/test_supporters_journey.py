"""Supporters in a browser: a viewer follows a creator and hears when they go live (the unread count in the header,
the line in the inbox); after the stream the creator thanks the gifters, and the gifters, the anonymous one too,
find the thank-you in their notifications. Screenshots of the inbox, the settings and the thank-you page at desktop
and phone sizes, each checked for accessibility."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from gifts.live.services import live_session_end, live_session_start
from gifts.sending.services import gift_send
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import log_in
from tests.gifts import conftest as gift_fixtures

catalog = gift_fixtures.catalog
SIZES = [(1280, 800), (390, 844)]


def _shots(page: Page, shot, name: str) -> None:
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page)
        shot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.django_db(transaction=True)
def test_follow_go_live_and_thank_gifters(contexts, make_user, make_creator, catalog, fund, shot) -> None:
    mira = make_creator("mira")
    ann = make_user("ann@example.com", nickname="Ann")
    bob = make_user("bob@example.com", nickname="Bob the Quiet")
    fund(ann, 500)
    fund(bob, 500)

    # Ann follows Mira from her page.
    viewer = log_in(contexts(), ann.email)
    viewer.goto("/@mira/")
    expect(viewer.locator(".follower-count")).to_have_text("0 followers")
    viewer.get_by_role("button", name="Follow Mira (free)").click()
    expect(viewer.locator(".messages")).to_contain_text("You follow Mira: you will hear when they go live.")
    expect(viewer.locator(".follower-count")).to_have_text("1 follower")
    viewer.set_viewport_size({"width": 390, "height": 844})
    shot(viewer, "creator-page-followed-390")
    viewer.set_viewport_size({"width": 1280, "height": 900})
    viewer.goto("/notifications/")
    viewer.get_by_role("button", name="Mark all read").click()  # the login notice of this new browser
    expect(viewer.locator("#unread-count")).to_have_count(0)

    # Mira goes live: Ann sees the unread count and the notification.
    session = live_session_start(creator=mira, title="Late-night piano")
    viewer.goto("/")
    expect(viewer.locator("#unread-count")).to_have_text("1 unread")
    viewer.locator(".nav-inbox").click()
    notice = viewer.get_by_role("link", name="Mira is live: Late-night piano")
    expect(notice).to_be_visible()
    _shots(viewer, shot, "inbox")
    notice.click()
    expect(viewer.locator("#live-title")).to_have_text("Late-night piano")
    expect(viewer.get_by_role("button", name="Unfollow Mira")).to_be_visible()  # the live room's follow button

    # Gifts in the stream: Ann by name, Bob anonymously. Then the stream ends.
    gift_send(sender=ann, creator=mira, gift=catalog["clap"], quantity=2, live_session=session)
    gift_send(sender=bob, creator=mira, gift=catalog["heart"], live_session=session, visibility="anonymous")
    live_session_end(session=session, by=mira.user)

    # Mira thanks everyone from the ended stream's room.
    creator = log_in(contexts(), mira.user.email)
    creator.goto(f"/live/{session.pk}/")
    creator.get_by_role("link", name="Thank your gifters").click()
    expect(creator.locator(".gifter-name")).to_have_text(["Ann", "Anonymous"])
    expect(creator.locator("main")).not_to_contain_text("Bob the Quiet")
    _shots(creator, shot, "thanks")
    creator.get_by_label("A short note to everyone (optional)").fill("You made the night, thank you!")
    creator.get_by_role("button", name="Thank everyone (2)").click()
    expect(creator.locator(".messages")).to_contain_text(
        "Thanking 2 gifters: each finds your thank-you in their notifications."
    )
    expect(creator.locator(".thanked")).to_have_count(2)
    shot(creator, "thanked")

    # Ann and Bob find it in their notifications.
    viewer.goto("/notifications/")
    expect(viewer.locator(".notification-list")).to_contain_text(
        "Mira thanked you for your gifts in “Late-night piano”: “You made the night, thank you!”"
    )
    gifter = log_in(contexts(), bob.email)
    expect(gifter.locator("#unread-count")).to_be_visible()
    gifter.goto("/notifications/")
    expect(gifter.locator(".notification-list")).to_contain_text("Mira thanked you for your anonymous gifts")
    shot(gifter, "anonymous-gifter-inbox")

    # Ann's notification settings: email for thank-yous from now on.
    viewer.goto("/notifications/preferences/")
    _shots(viewer, shot, "preferences")
    viewer.get_by_label("By email (Thank-yous from creators)").check()
    viewer.get_by_role("button", name="Save").click()
    expect(viewer.locator(".messages")).to_contain_text("Your notification settings are saved.")
    expect(viewer.get_by_label("By email (Thank-yous from creators)")).to_be_checked()

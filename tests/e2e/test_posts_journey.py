"""Exclusive posts and gifter levels in the browser: a creator publishes a subscribers-only post with an image; a
viewer who does not subscribe sees the locked teaser (and the image's URL is refused to her); she subscribes on the
creator's page and the post opens with its image. The creator's posts list and the levels page, at desktop and phone
sizes, each checked for accessibility."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from gifts.chat.services import chat_message_post
from gifts.models import Gift, LiveSession, SubscriptionPlan
from gifts.sending.services import gift_send
from posts.models import Post
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import log_in
from tests.posts.conftest import image_bytes
from tests.videos import conftest as video_fixtures

video_root = video_fixtures.video_root  # the private storage the post's image goes to: a folder of this test's own

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SECRET = "Here is the setlist for Saturday's secret show."


def _both_sizes(shot: Any, page: Page, name: str) -> None:
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], f"{name} scrolls sideways"
        shot(page, f"{name}-{label}")
    page.set_viewport_size(DESKTOP)


@pytest.mark.django_db(transaction=True)
def test_a_subscribers_only_post_is_locked_until_the_viewer_subscribes(
    contexts, make_user, make_creator, fund, video_root, shot
) -> None:
    creator = make_creator("mira")
    SubscriptionPlan.objects.create(creator=creator, name="Front row", coins_per_month=100)
    ann = make_user("ann@example.com", nickname="Ann")
    fund(ann, 1000)
    rose = Gift.objects.create(slug="rose", name="Rose", coin_cost=1, artwork="gifts/rose.svg")
    gift_send(sender=ann, creator=creator, gift=rose, quantity=60)  # 60 coins: gifter level 3 of the default table

    # Mira publishes a post for her subscribers, with a picture.
    studio = log_in(contexts(), creator.user.email)
    studio.goto("/posts/new/")
    studio.fill("#id_text", SECRET)
    studio.fill("#id_teaser", "Saturday's setlist is here")
    studio.set_input_files(
        "#id_image", files=[{"name": "stage.png", "mimeType": "image/png", "buffer": image_bytes("PNG", (800, 500))}]
    )
    studio.get_by_label("Subscribers only").check()
    _both_sizes(shot, studio, "new-post-form")
    studio.get_by_role("button", name="Publish").click()
    expect(studio.locator(".messages")).to_contain_text("Your post is published.")
    post = Post.objects.get()
    expect(studio.locator(".post-text")).to_contain_text(SECRET)
    expect(studio.locator("img.post-image")).to_be_visible()
    _both_sizes(shot, studio, "post-creator-view")
    studio.goto("/@mira/posts/")
    expect(studio.locator("#posts")).to_contain_text(SECRET)
    _both_sizes(shot, studio, "posts-list-creator")

    # Ann does not subscribe: the teaser, what unlocks it, no text and no image; the image's URL is refused too.
    viewer = log_in(contexts(), ann.email)
    viewer.goto(f"/p/{post.public_id}/")
    expect(viewer.locator("#post-locked")).to_contain_text("Subscribers only: subscribe to Mira to see this post.")
    expect(viewer.locator("#post-locked")).to_contain_text("Saturday's setlist is here")
    expect(viewer.locator("main")).not_to_contain_text(SECRET)
    expect(viewer.locator("img.post-image")).to_have_count(0)
    refused = viewer.request.get(f"/p/{post.public_id}/image")
    assert refused.status == 403 and "exclusive post" in refused.text()
    _both_sizes(shot, viewer, "post-locked")
    viewer.goto("/@mira/posts/")
    expect(viewer.locator("#posts")).to_contain_text("🔒 Subscribers only")
    _both_sizes(shot, viewer, "posts-list-locked")

    # She subscribes on Mira's page; the post opens, picture included.
    viewer.goto("/@mira/")
    expect(viewer.locator("#creator-posts")).to_contain_text("🔒 Subscribers only")
    viewer.locator("#subscribe").click()
    expect(viewer.locator(".messages")).to_contain_text("You subscribe to Mira.")
    viewer.goto(f"/p/{post.public_id}/")
    expect(viewer.locator(".post-text")).to_contain_text(SECRET)
    image = viewer.locator("img.post-image")
    expect(image).to_be_visible()
    viewer.wait_for_function("document.querySelector('img.post-image').naturalWidth > 0")
    assert viewer.evaluate("document.querySelector('img.post-image').naturalWidth") == 800
    _both_sizes(shot, viewer, "post-unlocked")

    # Her gifter level: on the levels page (linked from every page's footer) with the published table.
    viewer.get_by_role("link", name="Gifter levels").last.click()
    expect(viewer.locator("#my-level")).to_contain_text("You are level 3: 60 coins gifted, 40 to level 4.")
    _both_sizes(shot, viewer, "levels")

    # In Mira's live room her badge comes with a chat line pushed to the open page (no reload), beside her name.
    session = LiveSession.objects.create(creator=creator, title="Soundcheck")
    studio.goto(f"/live/{session.pk}/")
    expect(studio.locator("#chat-list")).to_be_visible()
    chat_message_post(sender=ann, session=session, text="Can't wait for Saturday!")
    line = studio.locator("#chat-list li", has_text="Can't wait for Saturday!")
    expect(line.locator(".level-badge")).to_have_attribute("title", "Gifter level 3")
    expect(line).to_contain_text("Ann")
    _both_sizes(shot, studio, "live-room-level-badge")

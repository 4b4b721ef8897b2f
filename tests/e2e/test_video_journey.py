"""A creator uploads a video in Chromium: a text file renamed .mp4 and a video cut in half are refused with their
reasons (nothing is left in storage or the database); a real short video is shown as processing, converted by a real
Celery worker, plays on its page, receives a gift from a viewer, and the earnings page shows that gift under the
video. Real services only: PostgreSQL and a broker (skipped on SQLite)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from gifts.models import GiftSend
from tests.e2e.conftest import log_in
from tests.gifts import conftest as gift_fixtures
from tests.videos import conftest as video_fixtures
from videos.models import Video, VideoGift

catalog = gift_fixtures.catalog
samples = video_fixtures.samples  # generated with ffmpeg: a 2-second MP4, the same cut in half, a text file
video_root = video_fixtures.video_root  # the videos storage: a folder of this test's own
stored_files = video_fixtures.stored_files

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TITLE = "Sunset over the harbour"


def _both_sizes(shot: Any, page: Page, name: str) -> None:
    page.set_viewport_size(DESKTOP)
    shot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    shot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def _upload(page: Page, name: str, data: bytes, *, title: str = TITLE) -> None:
    page.goto("/videos/new/")
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": "video/mp4", "buffer": data}])
    page.fill("#id_title", title)
    page.get_by_label("Everyone").check()
    page.locator("#upload-video").click()


@pytest.mark.postgres
@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_a_creator_uploads_a_video_a_worker_converts_it_it_plays_and_a_gift_on_it_shows_in_earnings(
    request, purged_broker, contexts, make_user, make_creator, catalog, fund, samples, video_root, shot
) -> None:
    creator = make_creator("vera")
    ann = make_user("ann@example.com", nickname="Ann")
    fund(ann, 500)
    studio = log_in(contexts(), creator.user.email)
    studio.set_viewport_size(DESKTOP)

    # A text file renamed .mp4 and a video cut in half are refused, each with its reason; nothing is kept.
    _upload(studio, "notes.mp4", samples["text"])
    expect(studio.locator(".field-error .error")).to_have_text(
        "This file is not a video. Upload an MP4, WebM or MOV video."
    )
    _both_sizes(shot, studio, "refused-text-file")
    _upload(studio, "sunset.mp4", samples["truncated"])
    expect(studio.locator(".field-error .error")).to_contain_text("This video is damaged or incomplete")
    _both_sizes(shot, studio, "refused-truncated-video")
    assert not Video.objects.exists()
    assert stored_files(video_root) == []

    # The real video: accepted, and shown as processing until a worker has converted it.
    _upload(studio, "sunset.mp4", samples["mp4"])
    expect(studio.locator("#video-status")).to_contain_text("Processing")
    video = Video.objects.get()
    assert video.status == "processing"
    _both_sizes(shot, studio, "processing")
    request.getfixturevalue("real_celery_worker")  # only now does a worker take the queued conversion
    expect(studio.locator("#player")).to_be_visible(timeout=60_000)  # the page reloads itself once it is ready
    video.refresh_from_db()
    assert video.status == "ready"
    pid = video.public_id
    assert stored_files(video_root) == [f"{pid}/original.mp4", f"{pid}/poster.jpg", f"{pid}/web.mp4"]

    # It plays (muted, as browsers allow without a click): time moves.
    played = studio.evaluate(
        """async () => {
            const v = document.getElementById("player");
            v.muted = true;
            await v.play();
            await new Promise((resolve) => setTimeout(resolve, 1000));
            return { time: v.currentTime, width: v.videoWidth, error: v.error && v.error.code };
        }"""
    )
    assert played["error"] is None and played["time"] > 0 and played["width"] == 320, played
    _both_sizes(shot, studio, "ready-and-playing")

    # A viewer, in a browser of their own, finds it on the creator's page and sends a gift on it.
    viewer = log_in(contexts(), ann.email)
    viewer.set_viewport_size(DESKTOP)
    viewer.goto(f"/@{creator.handle}/")
    expect(viewer.locator("#creator-videos")).to_contain_text(TITLE)
    _both_sizes(shot, viewer, "creator-page-lists-the-video")
    viewer.locator("#creator-videos a").first.click()
    expect(viewer.locator("#player")).to_be_visible()
    expect(viewer.locator("#video-gift-total")).to_contain_text("0 gifts")
    viewer.locator('.gift-choice[data-gift-name="Rose"]').click()
    viewer.locator("#gift-form").get_by_label("Public (my name is shown)").check()
    viewer.locator("#send-gift").click()
    expect(viewer.locator("#gift-result")).to_contain_text(f"You sent 1 × Rose to Vera on “{TITLE}”.")
    expect(viewer.locator("#video-gift-total")).to_contain_text("1 gift")
    expect(viewer.locator("#video-board")).to_contain_text("Ann")
    _both_sizes(shot, viewer, "viewer-sent-a-gift-on-the-video")
    send = GiftSend.objects.get(sender=ann)
    assert VideoGift.objects.get().video == video
    assert send.video_gift.video_id == video.pk

    # The creator's earnings page shows the gift under the video.
    studio.goto("/creator/earnings/")
    row = studio.locator("#video-earnings tbody tr").filter(has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("1")
    expect(row.locator("td").nth(2)).to_have_text(f"{send.diamonds} 💎")
    _both_sizes(shot, studio, "earnings-per-video")

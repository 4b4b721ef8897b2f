"""Creators write posts (forms, CSRF, only their own), bad uploads are refused in words and write nothing, a
creator's posts list (paginated, an empty state) and their page's section, staff hide posts (audited)."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.test import Client
from PIL import Image

from accounts.models import AuditLog
from posts.models import Post

from ..conftest import fresh_totp_code, otp_login
from .conftest import huge_png, image_bytes, upload

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _form(**extra):
    return {"text": "New song tonight!", "teaser": "", "audience": "everyone", **extra}


def test_a_creator_publishes_a_subscribers_only_post_with_an_image(client, creator, video_root):
    client.force_login(creator.user)
    assert client.get("/posts/new/").status_code == 200
    response = client.post("/posts/new/", _form(audience="subscribers", image=upload()), follow=True)
    assert "Your post is published." in _text(response)
    post = Post.objects.get()
    assert (post.audience, post.text, post.image_width, post.image_height) == (
        "subscribers",
        "New song tonight!",
        64,
        48,
    )
    assert (video_root / post.image_name).read_bytes()[:3] == b"\xff\xd8\xff"  # re-encoded as JPEG
    assert "★ Subscribers only (you see it as its creator)" in _text(response)


def test_a_transparent_image_stays_png_and_a_huge_one_is_scaled_down(client, creator, settings, video_root):
    settings.POST_IMAGE_MAX_SIDE = 100
    client.force_login(creator.user)
    data = image_bytes("PNG", size=(400, 200), mode="RGBA")
    client.post("/posts/new/", _form(image=upload("clear.png", data)))
    post = Post.objects.get()
    assert post.image_name.endswith(".png") and (post.image_width, post.image_height) == (100, 50)
    response = client.get(f"/p/{post.public_id}/image")
    assert response["Content-Type"] == "image/png" and response.content[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"image": upload("notes.png", b"Dear diary, this is not an image.\n" * 10)},
            "This file is not an image we can read.",
        ),
        ({"image": upload("pic.bmp", image_bytes("BMP"), "image/bmp")}, "Upload a PNG, JPEG, GIF or WebP image."),
        ({"image": upload("empty.png", b"")}, "This file is empty."),
        ({"text": ""}, "This field is required."),
        ({"text": "x" * 5001}, "Ensure this value has at most 5000 characters (it has 5001)."),
        ({"audience": "supporters"}, "Say how many coins supporters must have gifted."),
        ({"audience": "supporters", "min_coins": "500"}, "Say in how many days."),
        ({"audience": "supporters", "min_coins": "-5", "window_days": "30"}, "greater than or equal to 1"),
        ({"audience": "supporters", "min_coins": "5", "window_days": "400"}, "less than or equal to 365"),
        ({"audience": "friends"}, "Select a valid choice."),
        ({"video": "999999"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_in_words_and_writes_nothing(client, creator, video_root, data, message):
    client.force_login(creator.user)
    response = client.post("/posts/new/", _form(**data))
    assert response.status_code == 400
    assert message in _text(response)
    assert not Post.objects.exists()
    assert not list(video_root.rglob("*.*"))


def test_too_large_and_too_many_pixels_are_refused(client, creator, settings, video_root):
    client.force_login(creator.user)
    settings.POST_IMAGE_MAX_BYTES = 100
    response = client.post("/posts/new/", _form(image=upload()))
    assert response.status_code == 400 and "The image is too large: the limit is 100 bytes." in _text(response)
    settings.POST_IMAGE_MAX_BYTES = 5 * 1024 * 1024
    settings.POST_IMAGE_MAX_PIXELS = 1000
    response = client.post("/posts/new/", _form(image=upload()))
    assert response.status_code == 400 and "The image is too big: 64 × 48 pixels." in _text(response)
    assert not Post.objects.exists() and not list(video_root.rglob("*.*"))


@pytest.mark.parametrize(("width", "height"), [(6300, 6300), (4001, 4000), (20000, 20000)])
def test_an_image_of_huge_dimensions_in_a_small_file_is_refused_before_it_is_decoded(
    client, creator, video_root, width, height
):
    """Review of issue 14: a 170 KB PNG of 6300 x 6300 pixels took ~600 MB to decode. Refused from its header now
    (the default limit is 16,000,000 pixels); Pillow's own bomb limit (20000 x 20000) is refused in the same words."""
    data = huge_png(width, height)
    assert len(data) < 200_000
    client.force_login(creator.user)
    response = client.post("/posts/new/", _form(image=upload("bomb.png", data)))
    assert response.status_code == 400
    text = _text(response)
    assert "The image is too big:" in text
    assert "At most 16,000,000 pixels (width × height) are taken: make it smaller and try again." in text
    if width < 20000:
        assert f"{width} × {height} pixels." in text
    assert not Post.objects.exists() and not list(video_root.rglob("*.*"))


def test_a_large_image_within_the_limit_is_scaled_down_and_oriented(client, creator, settings, video_root):
    """A JPEG is decoded at a reduced scale, a palette image converted, each turned by its EXIF orientation."""
    settings.POST_IMAGE_MAX_SIDE = 100
    client.force_login(creator.user)
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show it rotated 90 degrees clockwise
    out = io.BytesIO()
    Image.new("RGB", (4000, 2000), (10, 120, 200)).save(out, format="JPEG", exif=exif.tobytes())
    client.post("/posts/new/", _form(image=upload("turned.jpg", out.getvalue(), "image/jpeg")))
    post = Post.objects.get()
    assert (post.image_width, post.image_height) == (50, 100)
    with Image.open(video_root / post.image_name) as stored:
        assert stored.size == (50, 100) and not stored.getexif()
    out = io.BytesIO()
    Image.new("P", (800, 400), 3).save(out, format="GIF")
    client.post("/posts/new/", _form(image=upload("flat.gif", out.getvalue(), "image/gif")))
    post = Post.objects.order_by("-id").first()
    assert post.image_name.endswith(".jpg") and (post.image_width, post.image_height) == (100, 50)


def test_an_image_and_a_video_together_are_refused(client, creator, make_video):
    video = make_video(creator)
    client.force_login(creator.user)
    response = client.post("/posts/new/", _form(image=upload(), video=str(video.pk)))
    assert response.status_code == 400 and "Add an image or a video, not both." in _text(response)
    assert not Post.objects.exists()


def test_only_the_creators_own_ready_videos_can_be_attached(client, creator, make_creator, make_video):
    other = make_creator("otto")
    theirs = make_video(other)
    mine = make_video(creator, title="Mine")
    client.force_login(creator.user)
    response = client.post("/posts/new/", _form(video=str(theirs.pk)))
    assert response.status_code == 400 and "Select a valid choice." in _text(response)
    client.post("/posts/new/", _form(video=str(mine.pk)))
    assert Post.objects.get().video == mine


def test_viewers_who_are_not_creators_are_sent_to_become_one(client, viewer):
    client.force_login(viewer)
    response = client.get("/posts/new/")
    assert response.status_code == 302 and response["Location"] == "/creator/become/"
    assert client.post("/posts/new/", _form()).status_code == 302 and not Post.objects.exists()
    client.logout()
    assert client.get("/posts/new/")["Location"].startswith("/accounts/login/")


def test_the_creator_edits_and_deletes_and_nobody_else_can(
    client, creator, make_post, people, video_root, django_capture_on_commit_callbacks
):
    post = make_post(audience="subscribers")
    old_image = post.image_name
    client.force_login(people["subscriber"])
    assert client.get(f"/p/{post.public_id}/edit/").status_code == 404
    assert client.post(f"/p/{post.public_id}/edit/", _form()).status_code == 404
    assert client.post(f"/p/{post.public_id}/delete/").status_code == 404
    post.refresh_from_db()
    assert post.audience == "subscribers" and post.text != "New song tonight!"
    client.force_login(creator.user)
    assert client.get(f"/p/{post.public_id}/delete/").status_code == 405  # POST only
    page = _text(client.get(f"/p/{post.public_id}/edit/"))
    assert "Remove the current image" in page
    with django_capture_on_commit_callbacks(execute=True):  # the old file goes once the change is committed
        response = client.post(f"/p/{post.public_id}/edit/", _form(remove_image="on"), follow=True)
    assert "Your post is saved." in _text(response)
    post.refresh_from_db()
    assert (post.audience, post.text, post.image_name) == ("everyone", "New song tonight!", "")
    assert not (video_root / old_image).exists()
    response = client.post(f"/p/{post.public_id}/delete/", follow=True)
    assert "The post is deleted." in _text(response) and not Post.objects.exists()


def test_posting_without_the_csrf_token_is_refused(creator, make_post):
    post = make_post()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(creator.user)
    assert strict.post("/posts/new/", _form()).status_code == 403
    assert strict.post(f"/p/{post.public_id}/delete/").status_code == 403
    assert Post.objects.count() == 1


def test_the_posts_list_pages_and_its_empty_state(client, creator, make_post, people):
    assert "Vera has not published any posts yet." in _text(client.get("/@vera/posts/"))
    client.force_login(creator.user)
    assert "You have not published any posts yet." in _text(client.get("/@vera/posts/"))
    for i in range(12):
        make_post(image=False, text=f"Post number {i}", audience="subscribers" if i % 2 else "everyone")
    client.force_login(people["stranger"])
    first = _text(client.get("/@vera/posts/"))
    assert "Page 1 of 2" in first and "Post number 11" not in first and "Post number 10" in first
    assert first.count("🔒 Subscribers only: subscribe to Vera to see this post.") == 5
    second = _text(client.get("/@vera/posts/?page=2"))
    assert "Post number 0" in second and "Post number 1 " not in second
    assert client.get("/@vera/posts/?page=junk").status_code == 200
    assert client.get("/@nobody/posts/").status_code == 404


def test_the_creator_page_shows_the_newest_posts_and_links_to_all(client, creator, make_post, people):
    make_post(image=False, text="Hello everyone", teaser="")
    make_post(image=False, text="Only for my subscribers", audience="subscribers", teaser="New demo inside")
    client.force_login(people["stranger"])
    page = _text(client.get("/@vera/"))
    assert "Hello everyone" in page and "Only for my subscribers" not in page
    assert "🔒 Subscribers only: subscribe to Vera to see this post. — New demo inside" in page
    assert "All posts by Vera" in page
    client.force_login(people["subscriber"])
    assert "Only for my subscribers" in _text(client.get("/@vera/"))


def test_staff_hide_a_post_in_the_admin_and_it_is_recorded(client, make_user, enable_2fa, creator, make_post):
    post = make_post()
    boss = make_user("boss@example.com", is_staff=True, is_superuser=True)
    device, _ = enable_2fa(boss)
    otp_login(client, boss.email, fresh_totp_code(device))
    client.post("/admin/posts/post/", {"action": "hide", "_selected_action": [post.pk], "index": 0})
    post.refresh_from_db()
    assert post.is_hidden and post.hidden_by == boss
    assert list(AuditLog.objects.values_list("actor__email", "action")) == [("boss@example.com", "post.hide")]
    viewer = Client()
    assert viewer.get(f"/p/{post.public_id}/").status_code == 404
    assert viewer.get(f"/p/{post.public_id}/image").status_code == 404
    assert "Behind the scenes" not in _text(viewer.get("/@vera/posts/"))
    owner = Client()
    owner.force_login(creator.user)
    assert "Hidden by our team: only you see this post." in _text(owner.get(f"/p/{post.public_id}/"))
    client.post("/admin/posts/post/", {"action": "show", "_selected_action": [post.pk], "index": 0})
    assert viewer.get(f"/p/{post.public_id}/").status_code == 200
    assert AuditLog.objects.filter(action="post.show").count() == 1


def test_a_closed_creators_posts_are_gone(client, creator, make_post, people):
    post = make_post()
    creator.user.is_active = False
    creator.user.save(update_fields=["is_active"])
    client.force_login(people["subscriber"])
    assert client.get(f"/p/{post.public_id}/").status_code == 404
    assert client.get(f"/p/{post.public_id}/image").status_code == 404
    assert client.get("/@vera/posts/").status_code == 404

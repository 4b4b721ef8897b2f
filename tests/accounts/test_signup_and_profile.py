"""Sign-up, creator profiles, preferences and account deletion, as a person sees them."""

from __future__ import annotations

import datetime
import io
import os
import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from accounts.models import CreatorProfile, User
from tests.conftest import PASSWORD, fresh_totp_code, otp_login, password_login

pytestmark = pytest.mark.django_db


def _years_ago(years: int, *, days_later: int = 0) -> datetime.date:
    today = timezone.localdate()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return day + datetime.timedelta(days=days_later)


def _png(size: tuple[int, int] = (8, 8), *, noise: bool = False, name: str = "avatar.png") -> SimpleUploadedFile:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 120, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _text(response) -> str:
    return response.content.decode()


# --- sign-up ------------------------------------------------------------------------------------

GOOD_SIGNUP = {
    "email": "new@example.com",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "date_of_birth": "1995-06-15",
}


def test_a_good_signup_stores_the_date_of_birth_and_sends_a_confirmation_email(client):
    response = client.post("/accounts/signup/", GOOD_SIGNUP)

    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.date_of_birth == datetime.date(1995, 6, 15)
    assert user.check_password(PASSWORD)
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@example.com"]
    assert message.subject.startswith("[Coinshop] ")
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body).group(1)

    page = client.get(link)
    assert page.status_code == 200
    assert EmailAddress.objects.get(user=user).verified is False  # confirming takes a button press (POST)
    client.post(link)
    assert EmailAddress.objects.get(user=user).verified is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"password1": "Sh0rt!x", "password2": "Sh0rt!x"}, "This password is too short."),
        ({"password1": "password123", "password2": "password123"}, "This password is too common."),
        ({"password2": PASSWORD + "x"}, "You must type the same password each time."),
        ({"date_of_birth": "15/06/1995"}, "Enter your date of birth as a real date (YYYY-MM-DD)."),
        ({"date_of_birth": "1995-02-30"}, "Enter your date of birth as a real date (YYYY-MM-DD)."),
        ({"date_of_birth": ""}, "This field is required."),
        ({"date_of_birth": "1850-01-01"}, "Please check the year of your date of birth."),
    ],
)
def test_bad_signup_input_writes_nothing_and_says_why(client, change, message):
    response = client.post("/accounts/signup/", {**GOOD_SIGNUP, **change})

    assert response.status_code == 200
    assert message in _text(response)
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()
    assert mail.outbox == []


def test_a_date_of_birth_in_the_future_is_refused(client):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = client.post("/accounts/signup/", {**GOOD_SIGNUP, "date_of_birth": tomorrow.isoformat()})

    assert response.status_code == 200
    assert "Your date of birth cannot be in the future." in _text(response)
    assert not User.objects.exists()
    assert mail.outbox == []


def test_an_email_already_in_use_is_refused(client, make_user):
    make_user("new@example.com")

    response = client.post("/accounts/signup/", {**GOOD_SIGNUP, "email": "NEW@example.com"})

    assert response.status_code == 200
    assert "A user is already registered with this email address." in _text(response)
    assert User.objects.count() == 1


# --- becoming a creator ----------------------------------------------------------------------------


def _become(client, **overrides):
    data = {"handle": "ada", "display_name": "Ada Lovelace", "bio": "Engines and poems."}
    data.update(overrides)
    return client.post("/creator/become/", data)


@pytest.fixture
def login(client):
    def log_in(user: User):
        assert password_login(client, user.email).status_code == 302
        return client

    return log_in


def test_a_verified_adult_becomes_a_creator_with_a_public_page(client, make_user, login):
    login(make_user("ada@example.com"))

    response = _become(client, avatar=_png())

    assert response.status_code == 302
    assert response["Location"] == "/@ada/"
    profile = CreatorProfile.objects.get(handle="ada")
    assert profile.user.email == "ada@example.com"
    assert Path(profile.avatar.path).is_file()
    page = client.get("/@ada/")
    assert page.status_code == 200
    assert "You are a creator now" in _text(page)
    assert "Ada Lovelace" in _text(page)
    assert "Engines and poems." in _text(page)
    assert profile.avatar.url in _text(page)
    assert client.get("/creator/become/")["Location"] == "/creator/profile/"


def test_the_public_page_is_open_to_everyone_and_unknown_handles_are_404(client, make_creator):
    make_creator("grace")

    assert client.get("/@grace/").status_code == 200
    assert "Grace" in _text(client.get("/@grace/"))
    assert client.get("/@nobody/").status_code == 404


def test_a_handle_is_stored_in_lower_case(client, make_user, login):
    login(make_user("ada@example.com"))

    response = _become(client, handle="Ada_L")

    assert response.status_code == 302
    assert CreatorProfile.objects.get().handle == "ada_l"


def test_an_unverified_email_cannot_become_a_creator(client, make_user, login):
    login(make_user("ada@example.com", verified=False))

    assert "have confirmed your email address" in _text(client.get("/creator/become/"))
    response = _become(client)

    assert response.status_code == 400
    assert "Confirm your email address before you become a creator." in _text(response)
    assert not CreatorProfile.objects.exists()


@pytest.mark.parametrize(
    "date_of_birth",
    [_years_ago(17), _years_ago(18, days_later=1), None],
    ids=["seventeen", "eighteen-tomorrow", "unknown"],
)
def test_under_18_cannot_become_a_creator(client, make_user, login, date_of_birth):
    login(make_user("teen@example.com", date_of_birth=date_of_birth))

    response = _become(client)

    assert response.status_code == 400
    assert "You must be 18 or older to become a creator" in _text(response)
    assert not CreatorProfile.objects.exists()


def test_eighteen_today_may_become_a_creator(client, make_user, login):
    login(make_user("adult@example.com", date_of_birth=_years_ago(18)))

    assert _become(client).status_code == 302
    assert CreatorProfile.objects.filter(handle="ada").exists()


def test_a_frozen_account_cannot_become_a_creator(client, make_user, login):
    login(make_user("ada@example.com", is_frozen=True))

    response = _become(client)

    assert response.status_code == 400
    assert "Your account is restricted" in _text(response)
    assert not CreatorProfile.objects.exists()


def test_a_taken_handle_is_refused(client, make_user, make_creator, login):
    make_creator("ada")
    login(make_user("other@example.com"))

    response = _become(client, handle="ada")

    assert response.status_code == 400
    assert "That handle is taken; please choose another." in _text(response)
    assert CreatorProfile.objects.count() == 1


@pytest.mark.parametrize("handle", ["ada lovelace", "ada!", "ab", "-ada", "ada-", "ädä", "a" * 31])
def test_a_handle_with_bad_characters_or_length_is_refused(client, make_user, login, handle):
    login(make_user("ada@example.com"))

    response = _become(client, handle=handle)

    assert response.status_code == 400
    assert "Use 3-30 lowercase letters, digits" in _text(response) or "at most 30 characters" in _text(response)
    assert not CreatorProfile.objects.exists()


def test_an_avatar_that_is_not_an_image_is_refused(client, make_user, login):
    login(make_user("ada@example.com"))
    fake = SimpleUploadedFile("avatar.png", b"this is text, not a picture\n" * 10, content_type="image/png")

    response = _become(client, avatar=fake)

    assert response.status_code == 400
    assert "that file is not a picture" in _text(response)
    assert not CreatorProfile.objects.exists()


def test_an_oversized_avatar_is_refused(client, make_user, login, settings):
    settings.AVATAR_MAX_BYTES = 2048
    login(make_user("ada@example.com"))
    big = _png((64, 64), noise=True)
    assert big.size > 2048

    response = _become(client, avatar=big)

    assert response.status_code == 400
    assert "The avatar is too large" in _text(response)
    assert not CreatorProfile.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.png"))


@pytest.mark.parametrize(
    ("name", "image_format", "stored_suffix"),
    [
        ("avatar.html", "PNG", ".png"),
        ("avatar.pdf", "PNG", ".png"),
        ("IMG_0042", "PNG", ".png"),
        ("avatar.PNG.js", "PNG", ".png"),
        ("photo.png", "JPEG", ".jpg"),
    ],
)
def test_an_avatar_is_stored_under_its_real_format_whatever_its_name(
    client, make_user, login, name, image_format, stored_suffix
):
    """A picture named .html would be served as a web page from the site's own origin, one named .pdf as a PDF;
    a phone's file without an extension is still a picture."""
    login(make_user("ada@example.com"))
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buffer, format=image_format)

    response = _become(client, avatar=SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png"))

    assert response.status_code == 302
    stored = Path(CreatorProfile.objects.get().avatar.path)
    assert stored.suffix == stored_suffix
    assert stored.is_file()


def test_a_creator_edits_their_profile(client, make_creator, login):
    profile = make_creator("ada")
    login(profile.user)

    response = client.post(
        "/creator/profile/", {"display_name": "Countess Ada", "bio": "New bio", "accepts_gifts": "", "avatar": _png()}
    )

    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.display_name == "Countess Ada"
    assert profile.accepts_gifts is False
    assert profile.avatar
    assert "Countess Ada" in _text(client.get("/@ada/"))


def test_a_creator_can_remove_their_avatar(client, make_creator, login, django_capture_on_commit_callbacks):
    profile = make_creator("ada")
    login(profile.user)
    client.post("/creator/profile/", {"display_name": "Ada", "bio": "", "accepts_gifts": "on", "avatar": _png()})
    profile.refresh_from_db()
    old_file = Path(profile.avatar.path)
    assert old_file.is_file()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/creator/profile/", {"display_name": "Ada", "bio": "", "accepts_gifts": "on", "avatar-clear": "on"}
        )

    assert response.status_code == 302
    profile.refresh_from_db()
    assert not profile.avatar
    assert not old_file.exists()
    assert "<img" not in _text(client.get("/@ada/"))


def test_a_new_avatar_replaces_the_old_file(client, make_creator, login, django_capture_on_commit_callbacks):
    profile = make_creator("ada")
    login(profile.user)
    client.post("/creator/profile/", {"display_name": "Ada", "bio": "", "accepts_gifts": "on", "avatar": _png()})
    profile.refresh_from_db()
    old_file = Path(profile.avatar.path)

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/creator/profile/", {"display_name": "Ada", "bio": "", "accepts_gifts": "on", "avatar": _png()})

    profile.refresh_from_db()
    assert Path(profile.avatar.path).is_file()
    assert Path(profile.avatar.path) != old_file
    assert not old_file.exists()


def test_editing_without_a_new_avatar_keeps_the_old_one(client, make_creator, login):
    profile = make_creator("ada")
    login(profile.user)
    client.post("/creator/profile/", {"display_name": "Ada", "bio": "", "accepts_gifts": "on", "avatar": _png()})
    profile.refresh_from_db()
    avatar_name = profile.avatar.name

    client.post("/creator/profile/", {"display_name": "Ada L.", "bio": "", "accepts_gifts": "on"})

    profile.refresh_from_db()
    assert profile.display_name == "Ada L."
    assert profile.avatar.name == avatar_name


# --- preferences -----------------------------------------------------------------------------------


def test_preferences_are_saved(client, viewer, login):
    login(viewer)
    assert viewer.default_gift_visibility == "public"
    assert viewer.show_on_leaderboards is True

    response = client.post("/accounts/preferences/", {"default_gift_visibility": "anonymous"}, follow=True)

    assert response.status_code == 200
    assert "Your preferences are saved." in _text(response)
    viewer.refresh_from_db()
    assert viewer.default_gift_visibility == "anonymous"
    assert viewer.show_on_leaderboards is False
    assert 'value="anonymous" required id="id_default_gift_visibility_1" checked' in _text(response)


def test_an_unknown_visibility_is_refused(client, viewer, login):
    login(viewer)

    response = client.post(
        "/accounts/preferences/", {"default_gift_visibility": "everyone", "show_on_leaderboards": "on"}
    )

    assert response.status_code == 400
    assert "Select a valid choice." in _text(response)
    viewer.refresh_from_db()
    assert viewer.default_gift_visibility == "public"


# --- deleting an account -----------------------------------------------------------------------------


def _delete(client, **overrides):
    data = {"password": PASSWORD, "confirm": "on"}
    data.update(overrides)
    return client.post("/accounts/delete/", data)


def test_deletion_refuses_a_wrong_password(client, viewer, login):
    login(viewer)

    response = _delete(client, password="not-my-password")

    assert response.status_code == 400
    assert "That password is not right." in _text(response)
    viewer.refresh_from_db()
    assert viewer.deleted_at is None
    assert viewer.email == "viewer@example.com"
    assert client.get("/accounts/preferences/").status_code == 200


def test_deletion_needs_the_confirmation_box(client, viewer, login):
    login(viewer)

    response = _delete(client, confirm="")

    assert response.status_code == 400
    viewer.refresh_from_db()
    assert viewer.deleted_at is None


def test_deletion_with_2fa_needs_a_current_code(client, make_creator, enable_2fa):
    profile = make_creator("ada")
    device, codes = enable_2fa(profile.user)
    otp_login(client, profile.user.email, codes[0])

    assert 'name="code"' in _text(client.get("/accounts/delete/"))
    missing = _delete(client)
    assert missing.status_code == 400
    assert "This field is required." in _text(missing)
    wrong = _delete(client, code=codes[0])  # already used to log in
    assert wrong.status_code == 400
    assert "That code is not valid" in _text(wrong)
    assert User.objects.get(pk=profile.user.pk).deleted_at is None

    ok = _delete(client, code=fresh_totp_code(device))

    assert ok.status_code == 302
    user = User.objects.get(pk=profile.user.pk)
    assert user.deleted_at is not None
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()


def test_deletion_erases_personal_data_logs_out_and_keeps_the_row(
    client, make_creator, login, django_capture_on_commit_callbacks
):
    profile = make_creator("ada")
    login(profile.user)
    client.post("/creator/profile/", {"display_name": "Ada", "bio": "Bio", "accepts_gifts": "on", "avatar": _png()})
    profile.refresh_from_db()
    avatar_path = Path(profile.avatar.path)
    assert avatar_path.is_file()
    user_id = profile.user.pk

    with django_capture_on_commit_callbacks(execute=True):
        response = _delete(client)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "Your account was deleted" in _text(client.get("/"))
    user = User.objects.get(pk=user_id)
    assert user.deleted_at is not None
    assert user.email != "ada@example.com"
    assert "ada" not in user.email
    assert user.date_of_birth is None
    assert user.is_active is False
    assert not user.has_usable_password()
    assert not EmailAddress.objects.filter(email__iexact="ada@example.com").exists()
    profile.refresh_from_db()
    assert profile.handle != "ada"
    assert profile.display_name == "Deleted creator"
    assert profile.bio == ""
    assert not profile.avatar
    assert not avatar_path.exists()
    assert client.get("/@ada/").status_code == 404
    assert client.get(f"/@{profile.handle}/").status_code == 404
    assert client.get("/accounts/preferences/")["Location"].startswith("/accounts/login/")

    again = password_login(client, "ada@example.com")
    assert again.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_deleted_persons_email_can_sign_up_again(client, viewer, login):
    login(viewer)
    _delete(client)

    response = client.post("/accounts/signup/", {**GOOD_SIGNUP, "email": "viewer@example.com"})

    assert response.status_code == 302
    assert User.objects.filter(email="viewer@example.com").exclude(pk=viewer.pk).exists()


def test_deletion_ends_the_persons_other_sessions_too(client, viewer, login):
    other_browser = Client()
    password_login(other_browser, viewer.email)
    assert other_browser.get("/accounts/preferences/").status_code == 200
    login(viewer)

    assert _delete(client).status_code == 302

    assert other_browser.get("/accounts/preferences/")["Location"].startswith("/accounts/login/")

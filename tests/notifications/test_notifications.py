"""Notifications: each kind honours the person's choice per channel, the inbox and its unread count, emails that are
marked sent only once they went out, and the security notices."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from accounts import services as account_services
from accounts.models import User
from notifications.models import Notification, NotificationEmail, NotificationKind
from notifications.services import notification_email_send, notify
from tests.conftest import PASSWORD, fresh_totp_code, password_login

PAYOUT = NotificationKind.PAYOUT


def _notify(committed, user, text="Your payout of 5,000 diamonds is now: Paid.", kind=PAYOUT, **extra):
    with committed(execute=True):
        notify(user_id=user.pk, kind=kind, text=text, subject="Payout paid", link="/earnings/", **extra)


def _set(client, **choices: bool) -> None:
    """Submit the preferences page with these boxes ticked (every other box unticked)."""
    data = {name: "on" for name, ticked in choices.items() if ticked}
    response = client.post("/notifications/preferences/", data)
    assert response.status_code == 302


def _inbox_texts(client) -> list[str]:
    page = client.get("/notifications/").content.decode()
    return [n.text for n in Notification.objects.all() if n.text in page]


@pytest.mark.parametrize(
    ("in_app", "email", "rows", "emails"),
    [(True, True, 1, 1), (True, False, 1, 0), (False, True, 0, 1), (False, False, 0, 0)],
)
def test_each_channel_is_honoured_as_chosen_on_the_preferences_page(
    client, viewer, django_capture_on_commit_callbacks, in_app, email, rows, emails
):
    client.force_login(viewer)
    _set(client, payout__in_app=in_app, payout__email=email, security__in_app=True, security__email=True)
    _notify(django_capture_on_commit_callbacks, viewer)
    assert Notification.objects.filter(user=viewer).count() == rows
    assert len(mail.outbox) == emails
    inbox = client.get("/notifications/").content.decode()
    assert ("Your payout of 5,000 diamonds is now: Paid." in inbox) is bool(rows)
    if emails:
        assert mail.outbox[0].subject == "[Coinshop] Payout paid"
        assert mail.outbox[0].to == [viewer.email]
        assert "Your payout of 5,000 diamonds is now: Paid." in mail.outbox[0].body
        assert "http://127.0.0.1:8000/earnings/" in mail.outbox[0].body
    # Another kind keeps its own setting.
    _notify(django_capture_on_commit_callbacks, viewer, text="New login.", kind=NotificationKind.SECURITY)
    assert Notification.objects.filter(user=viewer, kind="security").count() == 1


def test_defaults_and_the_preferences_page_say_what_each_box_is(client, viewer, django_capture_on_commit_callbacks):
    client.force_login(viewer)
    page = client.get("/notifications/preferences/").content.decode()
    assert "A creator you follow goes live" in page and "Thank-yous from creators" in page
    assert 'name="payout__email"' in page and "By email" in page and "In the app" in page
    # By default a thank-you is in the app only; payouts are in the app and by email.
    _notify(django_capture_on_commit_callbacks, viewer, text="Ada thanked you.", kind=NotificationKind.THANK_YOU)
    assert len(mail.outbox) == 0 and Notification.objects.count() == 1
    _notify(django_capture_on_commit_callbacks, viewer)
    assert len(mail.outbox) == 1 and Notification.objects.count() == 2


def test_the_header_shows_the_unread_count_and_marking_read_clears_it(
    client, viewer, make_user, django_capture_on_commit_callbacks
):
    client.force_login(viewer)
    assert "unread" not in client.get("/wallet/").content.decode()
    for n in range(3):
        _notify(django_capture_on_commit_callbacks, viewer, text=f"Payout number {n} paid.")
    page = client.get("/wallet/").content.decode()
    assert '<span class="badge badge-unread" id="unread-count">3<span class="visually-hidden"> unread</span>' in page
    inbox = client.get("/notifications/").content.decode()
    assert inbox.index("Payout number 2 paid.") < inbox.index("Payout number 0 paid.")  # newest first
    first = Notification.objects.get(text="Payout number 0 paid.")
    assert client.post("/notifications/read/", {"notification": first.pk}).status_code == 302
    assert 'id="unread-count">2<' in client.get("/wallet/").content.decode()
    # Someone else's notification, or no number: nothing changes, and the page says so.
    other = make_user("other@example.com")
    _notify(django_capture_on_commit_callbacks, other, text="Not yours.")
    theirs = Notification.objects.get(user=other)
    for forged in ({"notification": theirs.pk}, {"notification": "x"}, {}):
        response = client.post("/notifications/read/", forged, follow=True)
        assert "That notification was not found in your inbox." in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = client.post("/notifications/read-all/", follow=True)
    assert "Marked 2 notifications read." in response.content.decode()
    assert "unread" not in client.get("/wallet/").content.decode()
    assert client.get("/notifications/read-all/").status_code == 405  # marking is a POST


def test_the_header_count_costs_no_query_once_cached(
    client, viewer, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _notify(django_capture_on_commit_callbacks, viewer)
    client.force_login(viewer)
    with CaptureQueriesContext(connection) as first:
        client.get("/wallet/")
    assert sum("notifications_notification" in q["sql"] for q in first.captured_queries) == 1
    with CaptureQueriesContext(connection) as second:
        assert 'id="unread-count">1<' in client.get("/wallet/").content.decode()
    assert not any("notifications_notification" in q["sql"] for q in second.captured_queries)


def test_the_inbox_is_paginated(client, viewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(25):
            notify(user_id=viewer.pk, kind=NotificationKind.THANK_YOU, text=f"Thanks number {n:02d}.")
    client.force_login(viewer)
    first = client.get("/notifications/").content.decode()
    assert "Thanks number 24." in first and "Thanks number 04." not in first and "Page 1 of 2" in first
    second = client.get("/notifications/?page=2").content.decode()
    assert "Thanks number 04." in second and "Thanks number 24." not in second


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):  # the mail server refuses
        raise smtplib.SMTPServerDisconnected("the mail server went away")


def test_an_email_is_marked_sent_only_after_it_went_out(viewer, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.notifications.test_notifications.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        notify(user_id=viewer.pk, kind=PAYOUT, text="Payout paid.")  # the task fails (and is queued to retry)
    row = NotificationEmail.objects.get(user=viewer)
    assert row.sent_at is None  # not marked: the next try sends it
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_email_send(email_id=row.pk) is True
    assert notification_email_send(email_id=row.pk) is False  # once
    row.refresh_from_db()
    assert row.sent_at is not None and len(mail.outbox) == 1


# --- security notices ----------------------------------------------------------------------------


def test_a_login_from_a_new_browser_is_noticed_and_a_known_one_is_not(
    client, viewer, django_capture_on_commit_callbacks
):
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        assert password_login(client, viewer.email).status_code == 302
    (notice,) = Notification.objects.filter(user=viewer)
    assert notice.text.startswith("New login to your account at ") and notice.kind == "security"
    assert mail.outbox[-1].subject == "[Coinshop] New login to your account"
    client.post("/accounts/logout/")
    with django_capture_on_commit_callbacks(execute=True):
        password_login(client, viewer.email)  # the same browser again
    assert Notification.objects.filter(user=viewer).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        password_login(
            Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0"), viewer.email
        )
    assert Notification.objects.filter(user=viewer).count() == 2
    assert "from Firefox on Windows." in Notification.objects.filter(user=viewer).first().text


def test_signing_up_is_not_a_new_login_notice(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/signup/",
            {
                "email": "new@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "date_of_birth": "1990-01-01",
            },
        )
    assert User.objects.filter(email="new@example.com").exists()
    assert not Notification.objects.exists()


def test_two_factor_on_and_off_are_noticed(client, viewer, enable_2fa, django_capture_on_commit_callbacks):
    device, _ = enable_2fa(viewer)
    with django_capture_on_commit_callbacks(execute=True):
        account_services.otp_disable(user=viewer, code=fresh_totp_code(device))
    assert Notification.objects.get(user=viewer).text.startswith("Two-factor authentication was turned off")
    assert mail.outbox[-1].subject == "[Coinshop] Two-factor authentication was turned off"


def test_email_changes_are_noticed(client, viewer, enable_2fa, django_capture_on_commit_callbacks):
    from tests.conftest import otp_login

    device, _ = enable_2fa(viewer)
    otp_login(client, viewer.email, fresh_totp_code(device))
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client.post("/accounts/email/", {"action_add": "", "email": "new-address@example.com"}).status_code == 302
        )
    texts = list(Notification.objects.filter(user=viewer).values_list("text", flat=True))
    assert texts == ["The email address new-address@example.com was added to your account."]
    assert "[Coinshop] An email address was added to your account" in [m.subject for m in mail.outbox]


def test_a_changed_email_address_is_told_at_the_old_address_too(
    client, viewer, enable_2fa, django_capture_on_commit_callbacks
):
    """Review of issue 14: the notice went to the new address only (whoever changed it was the only one told)."""
    from allauth.account.models import EmailAddress

    from tests.conftest import otp_login

    old = viewer.email
    device, _ = enable_2fa(viewer)
    otp_login(client, old, fresh_totp_code(device))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/email/", {"action_add": "", "email": "taken-over@example.com"})
    EmailAddress.objects.filter(email="taken-over@example.com").update(verified=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/email/", {"action_primary": "", "email": "taken-over@example.com"})
    assert response.status_code == 302
    assert User.objects.get(pk=viewer.pk).email == "taken-over@example.com"
    changed = [m for m in mail.outbox if m.subject == "[Coinshop] Your login email address changed"]
    assert sorted(m.to[0] for m in changed) == sorted([old, "taken-over@example.com"])
    to_old = next(m for m in changed if m.to == [old])
    assert f"Your login email address changed from {old} to taken-over@example.com." in to_old.body
    assert "this address was the login address of your Coinshop account until now" in to_old.body
    assert NotificationEmail.objects.filter(to_email=old, sent_at__isnull=False).count() == 1


def test_security_notices_are_always_emailed(client, viewer, django_capture_on_commit_callbacks):
    from notifications.services import notification_preferences_set

    client.force_login(viewer)
    page = client.get("/notifications/preferences/").content.decode()
    box = page[page.index('name="security__email"') - 80 : page.index('name="security__email"') + 120]
    assert "checked" in box and "disabled" in box
    assert "Security notices are always emailed: they tell you when someone else may be using your account" in page
    _set(client, security__in_app=False, security__email=False)  # unticked (a disabled box is not even posted)
    _notify(django_capture_on_commit_callbacks, viewer, text="New login.", kind=NotificationKind.SECURITY)
    assert not Notification.objects.filter(user=viewer).exists()  # the in-app line can be turned off
    assert [m.subject for m in mail.outbox] == ["[Coinshop] Payout paid"]
    assert "Security notices are always emailed" in mail.outbox[0].body
    notification_preferences_set(user_id=viewer.pk, choices={"security": (True, False)})  # asked directly: ignored
    page = client.get("/notifications/preferences/").content.decode()
    assert 'name="security__email"' in page and 'name="security__in_app"' in page
    _notify(django_capture_on_commit_callbacks, viewer, text="New login again.", kind=NotificationKind.SECURITY)
    assert len(mail.outbox) == 2

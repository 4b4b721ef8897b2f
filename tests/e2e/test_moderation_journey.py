"""Moderation in the browser: the creator appoints a moderator by handle on her moderation page (or a viewer from the
chat); the moderator times a viewer out from the live room's chat; the viewer's chat box says why she cannot chat, and
until when; a deleted message leaves the viewer's page without a reload; the creator reads it all on her moderation
log."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from gifts.chat.services import chat_message_post
from gifts.models import ChatMessage, ChatRestriction, LiveSession, Report
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import log_in

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _both_sizes(page: Page, shot, name: str, show: str = "") -> None:
    """Screenshots at 1280 x 800 and 390 x 844 (``show`` scrolled into sight), with the accessibility check at each."""
    for size, label in [(DESKTOP, "desktop"), (PHONE, "phone")]:
        page.set_viewport_size(size)
        if show:
            page.locator(show).scroll_into_view_if_needed()
        assert_accessible(page)
        shot(page, f"{name}-{label}")
    page.set_viewport_size(DESKTOP)


def _say(page: Page, text: str) -> None:
    page.locator("#chat-form [name=text]").fill(text)
    page.locator("#chat-send").click()


@pytest.mark.django_db(transaction=True)
def test_a_moderator_times_out_a_viewer_who_is_told_why(contexts, make_user, make_creator, shot) -> None:
    mira = make_creator("mira")
    ben = make_creator("ben")  # a creator himself: moderators are appointed by their creator handle
    ann = make_user("ann@example.com", nickname="Ann")
    session = LiveSession.objects.create(creator=mira, title="Sunday sketching")
    room = f"/live/{session.pk}/"

    # Mira appoints Ben on her moderation page.
    creator = log_in(contexts(), mira.user.email)
    creator.goto("/moderation/")
    expect(creator.locator("h1")).to_have_text("Moderation")
    creator.get_by_label("Creator handle").fill("@ben")
    creator.get_by_role("button", name="Appoint moderator").click()
    expect(creator.locator(".messages")).to_contain_text("Ben is now a moderator of your rooms.")
    expect(creator.locator(".mod-list")).to_contain_text("Ben")

    # Ann chats; Ben, in the room, sees a "Moderate" button on her line and times her out for 5 minutes.
    viewer = log_in(contexts(), ann.email)
    viewer.goto(room)
    _say(viewer, "hello everyone")
    expect(viewer.locator("#chat-result")).to_have_text("Sent.")
    _say(viewer, "buy followers at scam.example")  # the rate limit allows five in ten seconds
    expect(viewer.locator("#chat-list")).to_contain_text("buy followers")
    first, second = ChatMessage.objects.filter(sender=ann).order_by("pk")

    moderator = log_in(contexts(), ben.user.email)
    moderator.goto(room)
    line = moderator.locator(f'#chat-list li[data-id="{second.pk}"]')
    expect(line).to_contain_text("buy followers")
    line.get_by_role("button", name="Moderate the message from Ann").click()
    panel = moderator.locator("#mod-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("#mod-target")).to_contain_text("Message from Ann")
    moderator.get_by_label("Reason (optional)").fill("spam link")
    _both_sizes(moderator, shot, "room-moderator-controls", show="#mod-panel")
    panel.get_by_role("button", name="Delete message").click()
    expect(moderator.locator("#mod-result")).to_have_text("Message deleted.")
    expect(line).to_have_count(0)
    expect(viewer.locator(f'#chat-list li[data-id="{second.pk}"]')).to_have_count(0)  # gone for Ann too, live

    moderator.locator(f'#chat-list li[data-id="{first.pk}"]').get_by_role("button", name=re.compile("Moderate")).click()
    moderator.get_by_label("Time out for").select_option(label="5 minutes")
    panel.get_by_role("button", name="Time out", exact=True).click()
    expect(moderator.locator("#mod-result")).to_contain_text(re.compile(r"Ann is timed out until \d\d:\d\d UTC\."))
    until = ChatRestriction.objects.get(user=ann).timed_out_until
    assert until is not None

    # Ann tries to chat: her chat box now says why, instead of a form that fails.
    _say(viewer, "why can't I talk?")
    notice = viewer.locator("#chat-notice")
    expect(notice).to_contain_text(re.compile(r"You are timed out until \d\d:\d\d UTC\."))
    expect(viewer.locator("#chat-form")).to_have_count(0)
    assert ChatMessage.objects.filter(sender=ann).count() == 2
    viewer.reload()
    expect(viewer.locator("#chat-notice")).to_contain_text("You are timed out until")
    _both_sizes(viewer, shot, "room-viewer-timed-out", show="#chat-notice")

    # Mira's moderation page: Ann is timed out (with a button to lift it), and the log says who did what.
    creator.reload()
    expect(creator.locator("#kept-title + ul")).to_contain_text("Ann")
    log = creator.locator("table")
    expect(log).to_contain_text("Timed out for 5 minutes")
    expect(log).to_contain_text("Deleted a message")
    expect(log).to_contain_text("spam link")
    _both_sizes(creator, shot, "moderation-page")


@pytest.mark.django_db(transaction=True)
def test_a_viewer_reports_a_chat_message_to_staff(contexts, make_user, make_creator, shot) -> None:
    mira = make_creator("mira")
    session = LiveSession.objects.create(creator=mira, title="Sunday sketching")
    ann = make_user("ann@example.com", nickname="Ann")
    ben = make_user("ben@example.com", nickname="Ben")
    message = chat_message_post(sender=ann, session=session, text="buy followers at scam.example")

    page = log_in(contexts(), ben.email)
    page.goto(f"/live/{session.pk}/")
    page.locator(f'#chat-list li[data-id="{message.pk}"]').get_by_role(
        "link", name="Report the message from Ann"
    ).click()
    expect(page.locator("h1")).to_have_text("Report a chat message")
    expect(page.locator(".reported-message")).to_contain_text("buy followers at scam.example")
    page.get_by_label("Spam or scam").check()
    page.get_by_label("Anything staff should know (optional)").fill("A scam link")
    _both_sizes(page, shot, "report-page")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".messages")).to_contain_text("Thank you: your report went to Coinshop's staff.")
    assert page.url.endswith(f"/live/{session.pk}/")
    report = Report.objects.get()
    assert (report.reporter, report.message, report.reason, report.text) == (ben, message, "spam", "A scam link")


@pytest.mark.django_db(transaction=True)
def test_the_creator_makes_a_viewer_a_moderator_from_the_chat(contexts, make_user, make_creator, shot) -> None:
    """A viewer has no creator handle to appoint by: the creator opens "Moderate" on one of the viewer's chat lines and
    presses "Make moderator"; the viewer's own room then offers "Moderate" on other people's lines."""
    mira = make_creator("mira")
    session = LiveSession.objects.create(creator=mira, title="Sunday sketching")
    ann = make_user("ann@example.com", nickname="Ann")
    cleo = make_user("cleo@example.com", nickname="Cleo")
    helpful = chat_message_post(sender=ann, session=session, text="welcome, everyone!")
    chat_message_post(sender=cleo, session=session, text="hello")
    room = f"/live/{session.pk}/"

    creator = log_in(contexts(), mira.user.email)
    creator.goto(room)
    creator.locator(f'#chat-list li[data-id="{helpful.pk}"]').get_by_role(
        "button", name="Moderate the message from Ann"
    ).click()
    panel = creator.locator("#mod-panel")
    expect(panel.get_by_role("button", name="Make moderator")).to_be_visible()
    _both_sizes(creator, shot, "room-creator-make-moderator", show="#mod-panel")
    panel.get_by_role("button", name="Make moderator").click()
    expect(creator.locator("#mod-result")).to_have_text("Ann is now a moderator of your rooms.")

    viewer = log_in(contexts(), ann.email)
    viewer.goto(room)
    expect(viewer.get_by_role("button", name="Moderate the message from Cleo")).to_be_visible()
    viewer.get_by_role("button", name="Moderate the message from Cleo").click()
    expect(viewer.locator("#mod-panel").get_by_role("button", name="Make moderator")).to_have_count(0)
    viewer.goto("/moderation/")
    expect(viewer.locator("main")).to_contain_text("Mira")

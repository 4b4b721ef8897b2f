"""Stream tools: gift goals (progress with gifts and cancellations, a deadline, one gift's count, reached once) and the
creator's private alerts overlay (its secret address, what it tells)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gifts.live import goals
from gifts.models import LiveSession
from gifts.sending.services import gift_send, gift_undo
from tests.conftest import fresh_totp_code, otp_login


@pytest.fixture
def announced(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What the live room is told about the goal (the events ``live_goal_published`` appends)."""
    calls: list[dict[str, Any]] = []
    real = goals.live_goal_published

    def record(**kwargs: Any) -> None:
        calls.append(kwargs)
        real(**kwargs)

    monkeypatch.setattr(goals, "live_goal_published", record)
    return calls


def test_a_coin_goal_moves_with_gifts_and_cancellations_and_is_reached_once(
    make_user, creator, live, catalog, fund, settings, django_capture_on_commit_callbacks, announced
):
    settings.GIFT_UNDO_MIN_COINS = 1000
    ann = make_user("ann@example.com", nickname="Ann")
    fund(ann, 10_000)
    gift_send(sender=ann, creator=creator, gift=catalog["heart"], live_session=live)  # before the goal
    with django_capture_on_commit_callbacks(execute=True):
        goals.goal_set(creator=creator, title="New song", target=1010)
    assert announced[-1]["goal"]["current"] == 0 and announced[-1]["reached"] is False
    with django_capture_on_commit_callbacks(execute=True):
        crown = gift_send(sender=ann, creator=creator, gift=catalog["crown"], live_session=live)
    assert goals.goal_state_for(creator_id=creator.pk)["current"] == 1000  # type: ignore[index]
    with django_capture_on_commit_callbacks(execute=True):
        gift_undo(send=crown, by=ann)
    assert announced[-1]["goal"]["current"] == 0  # the cancellation moved it back
    with django_capture_on_commit_callbacks(execute=True):
        gift_send(sender=ann, creator=creator, gift=catalog["crown"], live_session=live)
        gift_send(sender=ann, creator=creator, gift=catalog["clap"], live_session=live)
        gift_send(sender=ann, creator=creator, gift=catalog["clap"], live_session=live)
    state = goals.goal_state_for(creator_id=creator.pk)
    assert state is not None and state["current"] == 1020 and state["reached"]
    assert [c["reached"] for c in announced].count(True) == 1  # announced once, though two gifts went past it
    page = Client().get(f"/@{creator.handle}/").content.decode()
    assert "New song" in page and 'value="1020"' in page


def test_a_gift_outside_the_live_room_moves_the_goal_in_the_room_at_once(
    make_user, creator, live, catalog, fund, django_capture_on_commit_callbacks, announced
):
    """A gift on the creator's page (not in the room) counts towards the goal: the room hears of it then, not at the
    next gift sent inside the room."""
    bea = make_user("bea@example.com", nickname="Bea")
    fund(bea, 10_000)
    with django_capture_on_commit_callbacks(execute=True):
        goals.goal_set(creator=creator, title="Encore", target=1000)
    with django_capture_on_commit_callbacks(execute=True):
        gift_send(sender=bea, creator=creator, gift=catalog["crown"])  # on the profile page: no live session
    assert announced[-1]["session_id"] == live.pk
    assert announced[-1]["goal"]["current"] == 1000 and announced[-1]["reached"] is True


def test_a_gift_goal_counts_one_gift_until_its_deadline(make_user, creator, catalog, fund):
    ann = make_user("ann@example.com")
    fund(ann, 1_000)
    now = timezone.now()
    goal = goals.goal_set(
        creator=creator, title="Roses", target=3, gift=catalog["rose"], deadline=now + timedelta(hours=1), now=now
    )
    gift_send(sender=ann, creator=creator, gift=catalog["rose"], quantity=2)
    gift_send(sender=ann, creator=creator, gift=catalog["clap"])
    gift_send(sender=ann, creator=creator, gift=catalog["rose"], now=now + timedelta(hours=2))  # too late
    assert goals.goal_progress(goal=goal) == 2
    assert goals.goal_state(goal=goal)["unit"] == "Rose"  # type: ignore[index]


def test_bad_goals_are_refused_with_words(creator, catalog):
    for kwargs, message in (
        ({"title": " ", "target": 10}, "Give your goal a title."),
        ({"title": "x", "target": 0}, "The target must be at least 1."),
        ({"title": "x", "target": 5, "deadline": timezone.now() - timedelta(minutes=1)}, "in the future"),
    ):
        with pytest.raises(goals.GoalRefused, match=message):
            goals.goal_set(creator=creator, **kwargs)
    assert goals.goal_open_get(creator_id=creator.pk) is None


@pytest.fixture
def creator_with_code(client: Client, creator, enable_2fa) -> Client:
    device, _ = enable_2fa(creator.user)
    otp_login(client, creator.user.email, fresh_totp_code(device))
    return client


def test_the_creator_sets_replaces_and_removes_a_goal_on_the_stream_tools_page(creator_with_code, creator, catalog):
    client = creator_with_code
    bad = client.post("/live/setup/", {"action": "set_goal", "title": "", "target": "0"})
    assert bad.status_code == 400 and "This field is required." in bad.content.decode()
    assert goals.goal_open_get(creator_id=creator.pk) is None
    ok = client.post("/live/setup/", {"action": "set_goal", "title": "Guitar", "target": "500"}, follow=True)
    assert "Your goal is set" in ok.content.decode() and "Guitar" in ok.content.decode()
    client.post("/live/setup/", {"action": "set_goal", "title": "Drums", "target": "3", "gift": catalog["rose"].pk})
    goal = goals.goal_open_get(creator_id=creator.pk)
    assert goal is not None and goal.title == "Drums" and goal.gift == catalog["rose"]  # one open goal
    client.post("/live/setup/", {"action": "remove_goal"})
    assert goals.goal_open_get(creator_id=creator.pk) is None


def test_the_overlay_address_is_secret_rotatable_and_tells_where_to_listen(creator_with_code, creator, make_user):
    client = creator_with_code
    page = client.get("/live/setup/").content.decode()
    token = goals.overlay_token_get(creator=creator)
    assert f"/overlay/{token}/" in page
    anyone = Client()
    assert anyone.get(f"/overlay/{token}/").status_code == 200
    assert anyone.get(f"/overlay/{token}/state.json").json() == {"live": False, "goal": None}
    session = LiveSession.objects.create(creator=creator, title="Live")
    goals.goal_set(creator=creator, title="Guitar", target=500)
    state = anyone.get(f"/overlay/{token}/state.json").json()
    assert state["live"] is True and state["session"] == session.pk
    assert state["feed_url"] == f"/live/{session.pk}/feed.json"
    assert state["goal"]["title"] == "Guitar" and state["goal"]["current"] == 0
    assert anyone.get("/overlay/ov_not-the-token/").status_code == 404
    assert anyone.get("/overlay/nonsense/state.json").status_code == 404
    client.post("/live/setup/", {"action": "rotate_overlay"})
    assert anyone.get(f"/overlay/{token}/").status_code == 404  # the old address stops at once
    assert anyone.get(f"/overlay/{goals.overlay_token_get(creator=creator)}/").status_code == 200

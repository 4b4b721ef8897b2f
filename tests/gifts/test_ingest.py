"""Live video ingest on the real components: nginx's RTMP module (``deploy/nginx-rtmp.conf``) asking Coinshop about
each stream key, and ffmpeg publishing a test pattern as OBS would."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from gifts.live.ingest import live_sessions_end_idle, stream_key_get, stream_key_rotate, stream_key_text
from gifts.models import LiveSession
from tests.conftest import fresh_totp_code, otp_login

from . import rtmp

SECRET = "test-ingest-secret"


def _until(check: Callable[[], Any], seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


@pytest.fixture
def ingest(live_server: Any, settings: Any, tmp_path: Any) -> Any:
    settings.RTMP_CALLBACK_SECRET = SECRET
    settings.LIVE_INGEST_GRACE_SECONDS = 0  # the room ends as soon as the encoder stops
    with rtmp.rtmp_ingest(tmp_path, callback_base=live_server.url, secret=SECRET) as running:
        settings.RTMP_INGEST_URL = running.rtmp_url
        settings.LIVE_HLS_URL = running.hls_base + "/{session_id}.m3u8"
        yield running


pytestmark = pytest.mark.ingest


@pytest.mark.django_db(transaction=True)
def test_a_stream_starts_the_live_session_plays_as_hls_and_ends_with_it(ingest, make_creator) -> None:
    creator = make_creator("mira")
    key = stream_key_get(creator=creator).key
    encoder = rtmp.publish(ingest, stream_key_text(key=stream_key_get(creator=creator)))
    try:
        session = _until(lambda: LiveSession.objects.filter(creator=creator, streaming=True).first())
        assert session.is_live and session.title == "Mira is live"
        playlist = f"{ingest.hls_base}/mira.m3u8"

        def fetch() -> str | None:
            try:
                with urllib.request.urlopen(playlist, timeout=2) as response:  # noqa: S310 (loopback)
                    return str(response.read().decode())
            except OSError:
                return None

        assert "#EXTM3U" in _until(fetch, 20)
        assert not [p for p in (ingest.prefix / "hls").iterdir() if key in p.name], "the key shows in a file name"
    finally:
        encoder.terminate()
        encoder.wait(10)
    _until(lambda: LiveSession.objects.get(pk=session.pk).ended_at is not None)
    assert LiveSession.objects.get(pk=session.pk).streaming is False


@pytest.mark.django_db(transaction=True)
def test_unknown_rotated_and_restricted_keys_are_refused_by_nginx(ingest, make_creator) -> None:
    creator = make_creator("mira")
    old = stream_key_text(key=stream_key_get(creator=creator))
    stream_key_rotate(creator=creator)
    frozen = make_creator("frost")
    frozen.user.is_frozen = True
    frozen.user.save(update_fields=["is_frozen"])
    current = stream_key_get(creator=creator).key
    frozen_key = stream_key_text(key=stream_key_get(creator=frozen))
    for key in ("mira", "mira?key=live_not-a-key", old, f"frost?key={current}", frozen_key):
        encoder = rtmp.publish(ingest, key, seconds=10)
        assert encoder.wait(15) != 0, f"nginx let {key} publish"
    assert not LiveSession.objects.exists()
    # The current key works.
    encoder = rtmp.publish(ingest, stream_key_text(key=stream_key_get(creator=creator)), seconds=3)
    _until(lambda: LiveSession.objects.filter(creator=creator, streaming=True).exists())
    encoder.wait(15)


@pytest.mark.django_db
def test_the_callbacks_answer_only_the_ingest(client: Client, settings, make_creator) -> None:
    settings.RTMP_CALLBACK_SECRET = SECRET
    settings.LIVE_INGEST_GRACE_SECONDS = 0
    key = stream_key_get(creator=make_creator("mira")).key
    fields = {"name": "mira", "key": key}
    assert client.post("/live/ingest/publish", fields).status_code == 403
    assert client.post("/live/ingest/publish?secret=wrong", fields).status_code == 403
    assert client.post(f"/live/ingest/publish?secret={SECRET}", {}).status_code == 400
    assert client.get(f"/live/ingest/publish?secret={SECRET}").status_code == 405
    assert client.post(f"/live/ingest/publish?secret={SECRET}", {"name": "mira", "key": "x"}).status_code == 403
    assert client.post(f"/live/ingest/publish?secret={SECRET}", fields).status_code == 200
    session = LiveSession.objects.get()
    assert session.is_live and session.streaming
    assert client.post(f"/live/ingest/publish-done?secret={SECRET}", {"name": "nobody"}).status_code == 200
    assert LiveSession.objects.get().is_live
    assert client.post(f"/live/ingest/publish-done?secret={SECRET}", {"name": "mira"}).status_code == 200
    assert not LiveSession.objects.get().is_live
    settings.RTMP_CALLBACK_SECRET = ""  # not configured: nothing may publish
    assert client.post("/live/ingest/publish?secret=", fields).status_code == 403


@pytest.mark.django_db
def test_the_stream_key_is_shown_after_a_fresh_code_and_can_be_replaced(client: Client, make_creator, enable_2fa):
    creator = make_creator("mira")
    client.force_login(creator.user)
    response = client.get("/live/setup/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/"  # 2FA first
    client.logout()
    device, _ = enable_2fa(creator.user)
    otp_login(client, creator.user.email, fresh_totp_code(device))
    page = client.get("/live/setup/").content.decode()
    old = stream_key_get(creator=creator).key
    assert f"mira?key={old}" in page and "rtmp://" in page
    replaced = client.post("/live/setup/", {"action": "rotate_key"}, follow=True).content.decode()
    assert "old one no longer works" in replaced and old not in replaced
    assert stream_key_get(creator=creator).key in replaced


@pytest.mark.django_db
def test_a_dropped_stream_that_returns_in_time_goes_on_in_the_same_room(client: Client, settings, make_creator):
    settings.RTMP_CALLBACK_SECRET = SECRET
    settings.LIVE_INGEST_GRACE_SECONDS = 60
    key = stream_key_get(creator=make_creator("mira")).key
    publish, done = f"/live/ingest/publish?secret={SECRET}", f"/live/ingest/publish-done?secret={SECRET}"
    assert client.post(publish, {"name": "mira", "key": key}).status_code == 200
    session = LiveSession.objects.get()
    assert client.post(done, {"name": "mira"}).status_code == 200  # OBS lost its connection
    session.refresh_from_db()
    assert session.is_live and not session.streaming and session.stream_stopped_at is not None
    assert client.post(publish, {"name": "mira", "key": key}).status_code == 200  # ... and came back
    assert LiveSession.objects.get().pk == session.pk
    assert LiveSession.objects.get().streaming
    client.post(done, {"name": "mira"})
    stopped = LiveSession.objects.get().stream_stopped_at
    assert live_sessions_end_idle(now=stopped + timedelta(seconds=59)) == 0
    assert LiveSession.objects.get().is_live
    assert live_sessions_end_idle(now=stopped + timedelta(seconds=61)) == 1
    assert not LiveSession.objects.get().is_live
    assert live_sessions_end_idle(now=stopped + timedelta(seconds=120)) == 0  # once

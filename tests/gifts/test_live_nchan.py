"""The nchan path on the real components: nginx with nchan from ``deploy/nginx-nchan.conf``, ``manage.py live_relay``
posting each room's batches to it, viewers subscribed through nginx. The same events as the built-in server, in
order, each once, and nchan's own ids resume a viewer after a reconnect."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from gifts.live import events
from gifts.models import LiveSession
from gifts.sending.services import gift_send

from .live_server import ROOT, EventStream, _database_url
from .rtmp import NGINX, free_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.nchan,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def nchan(tmp_path: Path) -> Any:
    """nginx with nchan on a port of its own, and the relay feeding it; yields nginx's base URL."""
    port = free_port()
    prefix = tmp_path / "nginx-nchan"
    (prefix / "logs").mkdir(parents=True)
    (prefix / "tmp").mkdir()
    text = (ROOT / "deploy" / "nginx-nchan.conf").read_text()
    text, listens = re.subn(r"listen 127\.0\.0\.1:\d+ ", f"listen 127.0.0.1:{port} ", text)
    assert listens == 1, "deploy/nginx-nchan.conf: one listen line to adapt"
    (prefix / "nginx.conf").write_text(text)
    nginx = subprocess.Popen(
        [NGINX, "-c", str(prefix / "nginx.conf"), "-p", f"{prefix}/", "-e", "logs/error.log", "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    relay = subprocess.Popen(
        [sys.executable, "manage.py", "live_relay"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "coinshop.settings.test",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "LIVE_COALESCE_MS": "50",
            "NCHAN_PUBLISH_URL": f"http://127.0.0.1:{port}/_nchan/pub/{{session_id}}",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.5)  # nginx listening, the relay subscribed to the rooms channel
        assert nginx.poll() is None, (prefix / "logs" / "error.log").read_text()
        assert relay.poll() is None, "manage.py live_relay stopped"
        yield f"http://127.0.0.1:{port}"
    finally:
        for process in (relay, nginx):
            process.terminate()
            process.wait(10)


def _gift_ids(stream: EventStream, wanted: list[int]) -> list[int]:
    """Every gift id the stream brings until all of ``wanted`` came (a new subscriber first gets nchan's newest
    message, which may hold an earlier gift)."""
    got: list[int] = []
    deadline = time.monotonic() + 10
    while not set(wanted) <= set(got):
        message = stream.next(timeout=max(0.1, deadline - time.monotonic()))
        assert message is not None, f"the stream ended after {got}"
        if message.event == "batch":
            got += [e["gift"]["id"] for e in message.data["events"] if e["type"] == "gift"]
    return got


def test_the_relay_feeds_nchan_and_nchan_resumes_viewers(nchan, make_creator, make_user, catalog, fund) -> None:
    room = LiveSession.objects.create(creator=make_creator("mira"), title="Piano")
    events.redis_client().delete(*events.keys(room.pk), f"{events.PREFIX}:{room.pk}:relayed")
    ann = make_user("ann@example.com", nickname="Ann")
    fund(ann, 1_000)

    def gift() -> int:
        return gift_send(sender=ann, creator=room.creator, gift=catalog["rose"], live_session=room).pk

    first = gift()  # the relay learns of the room from its first event
    a = EventStream(nchan, f"/live/{room.pk}/events").open()
    b = EventStream(nchan, f"/live/{room.pk}/events").open()
    assert a.status == b.status == 200
    sent = [gift() for _ in range(4)]
    for stream in (a, b):
        got = _gift_ids(stream, sent)
        assert got in (sent, [first, *sent]), got  # in order, each once
    last = a.messages[-1]
    assert last.data["board"] == [{"name": "Ann", "coins": 5, "subscriber": False, "level": 1}]  # gifter level 1
    seen = a.last_event_id  # nchan's own message id
    a.close()
    missed = [gift() for _ in range(2)]
    again = EventStream(nchan, f"/live/{room.pk}/events", last_event_id=seen).open()
    assert again.status == 200, (seen, again.status, again.response.read())  # type: ignore[union-attr]
    assert _gift_ids(again, missed) == missed
    for stream in (again, b):
        stream.close()

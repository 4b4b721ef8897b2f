"""A real ASGI server (uvicorn, as production runs it) on this test's database and Redis, and a small Server-Sent
Events reader that sees exactly what a browser's EventSource would."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextmanager
def uvicorn_server(**env: str) -> Iterator[str]:
    """``uvicorn coinshop.asgi:application`` on a free loopback port, on the test database (committed rows only: use
    ``django_db(transaction=True)``). Yields its base URL."""
    port = _free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "coinshop.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DB_CONN_MAX_AGE": "0",
        **env,
    }
    uvicorn = str(Path(sys.executable).with_name("uvicorn"))
    process = subprocess.Popen(
        [uvicorn, "coinshop.asgi:application", "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("LIVE_SERVER_LOG", os.devnull), "ab"),  # noqa: SIM115
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not start (set LIVE_SERVER_LOG=<file> to see why)") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Message:
    event: str
    id: str | None
    data: Any


@dataclass
class EventStream:
    """One open event stream, read message by message (comments and ``retry`` lines are skipped)."""

    base: str
    path: str
    last_event_id: str | None = None
    status: int = 0
    conn: http.client.HTTPConnection | None = None
    sock: Any = None
    response: http.client.HTTPResponse | None = None
    messages: list[Message] = field(default_factory=list)

    def open(self, timeout: float = 5) -> EventStream:
        host = self.base.removeprefix("http://")
        self.conn = http.client.HTTPConnection(host, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        self.conn.request("GET", self.path, headers=headers)
        self.sock = self.conn.sock  # kept: http.client lets go of it when the answer says "Connection: close"
        self.response = self.conn.getresponse()
        self.status = self.response.status
        return self

    def next(self, timeout: float = 5) -> Message | None:
        """The next message, or None when the server ended the stream."""
        assert self.response is not None and self.sock is not None
        self.sock.settimeout(timeout)
        event, event_id, data = "message", None, []
        while True:
            line = self.response.readline()
            if not line:
                return None
            line = line.rstrip(b"\n").decode()
            if line == "":
                if data:
                    message = Message(event, event_id, json.loads("\n".join(data)))
                    if event_id is not None:
                        self.last_event_id = event_id
                    self.messages.append(message)
                    return message
                event, event_id, data = "message", None, []
                continue
            name, _, value = line.partition(": ")
            if name == "event":
                event = value
            elif name == "id":
                event_id = value
            elif name == "data":
                data.append(value)

    def events_until(self, count: int, timeout: float = 5, *, viewers: bool = False) -> list[dict[str, Any]]:
        """Read batches until ``count`` events have come (each batch's events, in order). The periodic viewer counts
        are left out unless ``viewers``: they come every ``LIVE_HEARTBEAT_SECONDS`` whatever the test does."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            message = self.next(timeout=max(0.1, deadline - time.monotonic()))
            assert message is not None, f"the stream ended after {got}"
            if message.event == "batch":
                got += [e for e in message.data["events"] if viewers or e["type"] != "viewers"]
        return got

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

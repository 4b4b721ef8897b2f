"""Load client for ``make bench-live``: N simulated viewers holding Server-Sent Events connections to one live room.

One process, asyncio on uvloop, one raw ``asyncio.Protocol`` per viewer (no HTTP library: the only work per delivered
message is a split on blank lines and a dict lookup). ``bench/live.py`` starts several of these processes for large
rooms and talks to each over stdin/stdout, one JSON object per line:

1. it prints ``{"event": "connected", ...}`` once every viewer has its stream open (status 200, ``text/event-stream``)
   or has given up (connection errors are counted, not fatal);
2. it reads ``{"cmd": "finish", "gifts": {"<GiftSend id>": [<start>, <answer>]}, "drain": <seconds>}``: the gifts
   sent while the viewers listened, with the ``time.monotonic()`` instants each gift POST started and got its answer
   (one clock for every process on a Linux machine);
3. it waits until every viewer has received every one of those gifts or ``drain`` seconds have passed, then prints
   ``{"event": "result", ...}`` (latency histograms in milliseconds, lost, duplicated and unexpected gifts, client CPU
   seconds, reconnections) and exits.

The check is per viewer: each viewer must receive each gift exactly once (by GiftSend id, across reconnections);
the latency of one (viewer, gift) pair is the receive time minus the gift POST's start; a second histogram measures
from the POST's answer (the gift was committed and published by then; 0 when the event came first), which leaves the
POST's own time out.

Every batch (``event: batch``, ``data: {"events": [...]}``) is parsed once per process: the data line is the key of a
cache of the gift ids it holds, and every other viewer receiving the same bytes pays one dict lookup. A viewer whose
stream ends reconnects after the server's ``retry:`` delay with ``Last-Event-ID``, as a browser's EventSource does.

Run by hand: ``python -m bench.live_client --port 8080 --path /live/1/events --viewers 100`` then type a finish line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections import Counter
from typing import cast

Gifts = tuple[int, ...]
CACHE: dict[bytes, Gifts] = {}
STATS: Counter[str] = Counter()  # batches, resyncs, parse errors, non-200 answers, ...


def batch_gifts(data: bytes) -> Gifts:
    """The GiftSend ids of the gift events in one batch's data (parsed once per distinct batch)."""
    gifts = CACHE.get(data)
    if gifts is None:
        try:
            events = json.loads(data)["events"]
            gifts = tuple(int(e["gift"]["id"]) for e in events if e.get("type") == "gift")
        except (ValueError, KeyError, TypeError):
            STATS["unparsable batches"] += 1
            gifts = ()
        if len(CACHE) > 20_000:
            CACHE.clear()
        CACHE[data] = gifts
    return gifts


class Viewer(asyncio.Protocol):
    """One EventSource connection (and its reconnections) of one simulated viewer."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.transport: asyncio.Transport | None = None
        self.connected_once = False
        self.reported = False  # its first connection's outcome has been counted
        self.failed = False  # a non-200 answer: EventSource gives up, and so do we
        self.last_id = b""
        self.retry = 1.0
        self.batches = 0
        self.received: list[tuple[float, Gifts, bytes]] = []  # (receive time, gift ids, message id), per batch
        self.missing: set[int] | None = None  # set when the finish command arrives
        self._reset()

    def _reset(self) -> None:
        self.head = b""
        self.headers_done = False
        self.chunked = False
        self.chunk_left = 0
        self.skip = 0
        self.raw = b""
        self.buf = b""
        self.ended = False

    # --- connection -------------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        resume = b"Last-Event-ID: " + self.last_id + b"\r\n" if self.last_id else b""
        self.transport.write(self.client.request + resume + b"\r\n")

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._reset()
        if self.client.closing or self.failed:
            return
        STATS["streams ended by the server"] += 1
        asyncio.get_running_loop().call_later(self.retry, self.client.reconnect, self)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # --- receiving --------------------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if not self.headers_done:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            head, data = self.head[:end].lower(), self.head[end + 4 :]
            self.head = b""
            status = head.split(b"\r\n", 1)[0].split(b" ")
            if len(status) < 2 or status[1] != b"200" or b"text/event-stream" not in head:
                STATS[f"answer {status[1].decode() if len(status) > 1 else '?'}"] += 1
                self.failed = True
                self.client.viewer_ready(self)
                if self.transport is not None:
                    self.transport.close()
                return
            self.headers_done = True
            self.chunked = b"transfer-encoding: chunked" in head
            if not self.connected_once:
                self.connected_once = True
                self.client.viewer_ready(self)
            else:
                STATS["reconnections"] += 1
            if not data:
                return
        if self.chunked:
            data = self._dechunk(data)
            if self.ended and self.transport is not None:
                # As EventSource does when a response ends: reconnect (after ``retry``) with Last-Event-ID.
                self.transport.close()
        buf = self.buf + data if self.buf else data
        if b"\r" in buf:  # CRLF line ends (neither server sends them; a CR split from its LF is kept for later)
            buf = buf.replace(b"\r\n", b"\n")
        end = buf.rfind(b"\n\n")
        if end < 0:
            self.buf = buf
            return
        self.buf = buf[end + 2 :]
        for message in buf[:end].split(b"\n\n"):
            self._message(message, now)

    def _message(self, message: bytes, now: float) -> None:
        # Fast path, the shape both servers send: "id:" and "event:" lines, then one "data:" line.
        head, found, data = message.partition(b"\ndata: ")
        if found and b"\n" not in data and b"event: batch" in head:
            at = head.find(b"id: ")
            if at == 0 or (at > 0 and head[at - 1] == 10):
                stop = head.find(b"\n", at)
                self.last_id = head[at + 4 : stop] if stop >= 0 else head[at + 4 :]
            self._batch(data, now)
            return
        event = b"message"
        lines: list[bytes] = []
        for line in message.split(b"\n"):
            if line.startswith(b"data:"):
                lines.append(line[6:] if line[5:6] == b" " else line[5:])
            elif line.startswith(b"id:"):
                self.last_id = line[3:].strip()
            elif line.startswith(b"event:"):
                event = line[6:].strip()
            elif line.startswith(b"retry:"):
                with contextlib.suppress(ValueError):
                    self.retry = int(line[6:].strip()) / 1000
        if event == b"batch" and lines:
            self._batch(b"\n".join(lines), now)
        elif event == b"resync":
            STATS["resyncs"] += 1

    def _batch(self, data: bytes, now: float) -> None:
        self.batches += 1
        gifts = CACHE.get(data) or batch_gifts(data)
        if gifts:
            self.received.append((now, gifts, self.last_id))
            if self.missing:
                self.missing.difference_update(gifts)
                if not self.missing:
                    self.client.viewer_complete()

    def _dechunk(self, data: bytes) -> bytes:
        """Transfer-Encoding: chunked, decoded incrementally (uvicorn streams this way; nchan does not)."""
        buf = self.raw + data if self.raw else data
        pos, out = 0, []
        while pos < len(buf):
            if self.chunk_left:
                take = min(self.chunk_left, len(buf) - pos)
                out.append(buf[pos : pos + take])
                pos += take
                self.chunk_left -= take
                if self.chunk_left:
                    break
                self.skip = 2  # the CRLF after the chunk's data
            if self.skip:
                take = min(self.skip, len(buf) - pos)
                pos += take
                self.skip -= take
                if self.skip:
                    break
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                break
            size = int(buf[pos:line_end].split(b";", 1)[0] or b"0", 16)
            pos = line_end + 2
            if size == 0:  # the last chunk: the server ended the response (the connection may stay open)
                pos = len(buf)
                self.ended = True
                break
            self.chunk_left = size
        self.raw = buf[pos:]
        return b"".join(out)


class Client:
    def __init__(self, host: str, port: int, path: str, viewers: int, concurrency: int) -> None:
        self.host, self.port, self.path = host, port, path
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
            "Cache-Control: no-cache\r\nUser-Agent: coinshop-bench-live\r\n"
        ).encode()
        self.viewers = [Viewer(self) for _ in range(viewers)]
        self.slots = asyncio.Semaphore(concurrency)
        self.closing = False
        self.pending = viewers  # viewers whose first connection has not succeeded or failed yet
        self.all_ready = asyncio.Event()
        self.incomplete = 0
        self.all_complete = asyncio.Event()
        self.connect_errors: Counter[str] = Counter()

    def viewer_ready(self, viewer: Viewer) -> None:
        if viewer.reported:
            return
        viewer.reported = True
        self.pending -= 1
        if self.pending <= 0:
            self.all_ready.set()

    def viewer_complete(self) -> None:
        self.incomplete -= 1
        if self.incomplete <= 0:
            self.all_complete.set()

    async def connect(self, viewer: Viewer, *, first: bool) -> None:
        attempts = 0
        while not self.closing:
            async with self.slots:
                try:
                    await asyncio.get_running_loop().create_connection(lambda: viewer, self.host, self.port)
                    return
                except OSError as exc:
                    self.connect_errors[type(exc).__name__ + ": " + str(exc)[:80]] += 1
            attempts += 1
            if first and attempts >= 5:
                viewer.failed = True
                self.viewer_ready(viewer)
                return
            await asyncio.sleep(min(0.2 * 2**attempts, 2.0))

    def reconnect(self, viewer: Viewer) -> None:
        if not self.closing:
            asyncio.get_running_loop().create_task(self.connect(viewer, first=False))

    async def run(self, connect_timeout: float) -> None:
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        tasks = [loop.create_task(self.connect(v, first=True)) for v in self.viewers]
        if not self.viewers:
            self.all_ready.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_ready.wait(), connect_timeout)
        ok = sum(v.connected_once for v in self.viewers)
        emit(
            {
                "event": "connected",
                "ok": ok,
                "failed": len(self.viewers) - ok,
                "seconds": round(time.monotonic() - started, 3),
                "errors": dict(self.connect_errors.most_common(3)),
                "cpu": cpu_seconds(),
            }
        )
        line = await loop.run_in_executor(None, sys.stdin.readline)
        command = json.loads(line) if line.strip() else {"cmd": "finish", "gifts": {}, "drain": 0}
        sent = {int(k): float(v[0]) for k, v in command["gifts"].items()}
        answered = {int(k): float(v[1]) for k, v in command["gifts"].items()}
        deadline = float(command.get("drain", 10))
        listening = [v for v in self.viewers if v.connected_once]
        expected = set(sent)
        self.incomplete = 0
        for v in listening:
            got: set[int] = set()
            for _, gifts, _ in v.received:
                got.update(gifts)
            v.missing = expected - got
            if v.missing:
                self.incomplete += 1
        if self.incomplete and expected:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.all_complete.wait(), deadline)
        self.closing = True
        cpu = cpu_seconds()
        for v in self.viewers:
            v.close()
        for task in tasks:
            task.cancel()
        emit(self.result(listening, sent, answered, cpu))

    def result(
        self, listening: list[Viewer], sent: dict[int, float], answered: dict[int, float], cpu: float
    ) -> dict[str, object]:
        hist: Counter[int] = Counter()
        after_answer: Counter[int] = Counter()
        lost = duplicated = unexpected = 0
        worst = 0.0
        within_1s = delivered = incomplete_viewers = 0
        never: set[int] = set()  # gifts some viewer did not receive
        examples: list[dict[str, object]] = []
        for v in listening:
            seen: set[int] = set()
            for at, gifts, _ in v.received:
                for gift in gifts:
                    start = sent.get(gift)
                    if start is None:
                        unexpected += 1
                        continue
                    if gift in seen:
                        duplicated += 1
                        continue
                    seen.add(gift)
                    latency = at - start
                    delivered += 1
                    within_1s += latency <= 1.0
                    worst = max(worst, latency)
                    hist[max(0, int(latency * 1000))] += 1
                    after_answer[max(0, int((at - answered[gift]) * 1000))] += 1
            if len(seen) < len(sent):
                lost += len(sent) - len(seen)
                incomplete_viewers += 1
                never.update(set(sent) - seen)
                if len(examples) < 3:  # what such a viewer got around the first gift it missed
                    first = min(set(sent) - seen, key=lambda g: sent[g])
                    before = [
                        i
                        for i, (_, _, _) in enumerate(v.received)
                        if any(sent.get(g, 0) < sent[first] for g in v.received[i][1])
                    ]
                    k = before[-1] if before else 0
                    examples.append(
                        {
                            "missed": sorted(set(sent) - seen, key=lambda g: sent[g])[:10],
                            "around": [[m.decode(), list(gifts)] for _, gifts, m in v.received[max(0, k - 2) : k + 3]],
                            "last_id": v.last_id.decode(),
                        }
                    )
        return {
            "event": "result",
            "viewers": len(listening),
            "delivered": delivered,
            "lost": lost,
            "incomplete_viewers": incomplete_viewers,
            "gifts_missed": sorted(never),
            "examples": examples,
            "duplicated": duplicated,
            "unexpected": unexpected,
            "within_1s": within_1s,
            "max_s": worst,
            "hist_ms": {str(k): c for k, c in hist.items()},
            "after_answer_ms": {str(k): c for k, c in after_answer.items()},
            "cpu": cpu,
            "stats": {**STATS, "batches": sum(v.batches for v in listening)},
            "cache_entries": len(CACHE),
        }


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def emit(obj: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True, help="e.g. /live/1/events")
    parser.add_argument("--viewers", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=200, help="connection attempts in flight at once")
    parser.add_argument("--connect-timeout", type=float, default=120.0)
    args = parser.parse_args()
    client = Client(args.host, args.port, args.path, args.viewers, args.concurrency)
    try:
        import uvloop
    except ImportError:  # plain asyncio works too, a little slower
        asyncio.run(client.run(args.connect_timeout))
    else:
        uvloop.run(client.run(args.connect_timeout))


if __name__ == "__main__":
    main()

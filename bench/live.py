"""``make bench-live``: how many viewers one live room holds (issue 10), built-in server against nginx + nchan.

Steps: PostgreSQL and Redis (started if they are down), a fresh database ``coinshop_bench_live`` with every
migration, a small data set (``bench/load.py``: viewers with coins, one creator live), then its own stack on its own
ports: gunicorn (3 sync workers, production settings) for the pages and the gift POST, and per cell either

- ``builtin``: uvicorn (``coinshop.asgi``, 2 workers, uvloop, httptools, ``DB_CONN_MAX_AGE=0``), or
- ``nchan``: an nginx + nchan instance from ``deploy/nginx-nchan.conf`` (its listen port and upstream rewritten)
  fed by ``manage.py live_relay``,

each started fresh for the cell (so its memory per viewer is measured from idle) and stopped after it. A cell: V
viewers (``bench/live_client.py``, several processes for large rooms) open the room's event stream
``/live/<id>/events``; gifts are sent at R per second for ``BENCH_LIVE_SECONDS`` through the real endpoint
``POST /@<handle>/gift/`` (logged-in viewers, valid CSRF, ``Accept: application/json``, a fresh idempotency key
each); every viewer checks it receives every gift exactly once (by GiftSend id); delivery latency is from the start of
the gift's POST to the viewer receiving it (and, leaving the POST's own time out, from the POST's answer: the gift
was committed and published by then). Each (server, R) row starts with V = 0 (the POST latency without viewers)
and stops at the first V whose p99 exceeds 5 s. Reported: delivery p50/p99/max, the share within 1 s, gifts lost and
duplicated, the gift POST p50/p99 beside V = 0, CPU seconds per process (``/proc/<pid>/stat``) over the cell, the
event server's memory per 1,000 viewers and the 1-minute load average at the end of the sending.

The table is printed and written to ``bench/last-live-run.md``; ``manage.py ledger_check`` runs at the end and the
database is dropped (``BENCH_KEEP_DB=1`` keeps it).

Knobs (environment): BENCH_LIVE_SERVERS=builtin,nchan  BENCH_LIVE_RATES=1,20  BENCH_LIVE_VIEWERS=100,500,1000,2000,5000
BENCH_LIVE_SECONDS=12  BENCH_LIVE_DRAIN=10  BENCH_LIVE_STOP_P99=5  BENCH_LIVE_PER_CLIENT=2500 (viewers per client
process)  BENCH_LIVE_PORT=8775 (gunicorn; uvicorn +1, nginx +2)  BENCH_LIVE_REDIS_URL=redis://127.0.0.1:6379/10
BENCH_LIVE_LOAD_VIEWERS=2000  BENCH_LIVE_SYNTHETIC=1 (nchan only: publish synthetic batches straight to nchan instead
of sending gifts through Django; tests the client and nginx without the relay)  BENCH_LIVE_PROFILE=<directory> (the
built-in server as one uvicorn worker under cProfile, one ``uvicorn-R<r>-V<v>.prof`` per cell in that directory;
read them with ``python -m pstats``).
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import math
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

from bench import run as base

ROOT = base.ROOT
BENCH = base.BENCH
PY = base.PY
say = base.say


def _ints(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip()]


SERVERS = [s.strip() for s in os.environ.get("BENCH_LIVE_SERVERS", "builtin,nchan").split(",") if s.strip()]
RATES = _ints(os.environ.get("BENCH_LIVE_RATES", "1,20"))
VIEWER_COUNTS = _ints(os.environ.get("BENCH_LIVE_VIEWERS", "100,500,1000,2000,5000"))
SECONDS = float(os.environ.get("BENCH_LIVE_SECONDS", "12"))
DRAIN = float(os.environ.get("BENCH_LIVE_DRAIN", "10"))
STOP_P99 = float(os.environ.get("BENCH_LIVE_STOP_P99", "5"))
PER_CLIENT = int(os.environ.get("BENCH_LIVE_PER_CLIENT", "2500"))
SETTLE = float(os.environ.get("BENCH_LIVE_SETTLE", "1"))
PORT = int(os.environ.get("BENCH_LIVE_PORT", "8775"))
GUNICORN_PORT, UVICORN_PORT, NGINX_PORT = PORT, PORT + 1, PORT + 2
REDIS_URL = os.environ.get("BENCH_LIVE_REDIS_URL", "redis://127.0.0.1:6379/10")
LOAD_VIEWERS = int(os.environ.get("BENCH_LIVE_LOAD_VIEWERS", "2000"))
SYNTHETIC = os.environ.get("BENCH_LIVE_SYNTHETIC") == "1"
PROFILE = os.environ.get("BENCH_LIVE_PROFILE", "")  # a directory: the built-in server runs under cProfile
DB_NAME = os.environ.get("BENCH_LIVE_DB", "coinshop_bench_live")
KEEP_DB = os.environ.get("BENCH_KEEP_DB") == "1"
GUNICORN_WORKERS = 3
SENDER_THREADS = 32
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

# --- processes: CPU and memory from /proc -----------------------------------------------------------------------


def children(parent: int, marker: str = "") -> list[int]:
    """The child processes of ``parent`` whose command line contains ``marker`` (uvicorn's workers are
    ``multiprocessing.spawn`` children beside a resource tracker)."""
    found = []
    for pid in base.worker_pids(parent):
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                found.append(pid)
        except OSError:
            continue
    return found


def cpu_ticks(pid: int) -> int:
    """utime + stime of one process, in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def rss_kb(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except OSError:
        return 0


def postgres_pids() -> list[int]:
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if comm.read_text().startswith("postgres"):
                pids.append(int(comm.parent.name))
    return pids


def redis_pid() -> int:
    info = base.sh(["redis-cli", "-u", REDIS_URL, "info", "server"]).stdout
    match = re.search(r"process_id:(\d+)", info)
    return int(match.group(1)) if match else 0


def machine_busy_ticks() -> int:
    """CPU time spent by every process on the machine (all cores, not idle or iowait), in clock ticks."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + nice + system + irq + softirq + steal


def load_1m() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


@dataclass
class Groups:
    """The processes whose CPU a cell reports, by group name."""

    pids: dict[str, list[int]] = field(default_factory=dict)

    def ticks(self) -> dict[str, list[int]]:
        out = {name: [cpu_ticks(p) for p in pids] for name, pids in self.pids.items()}
        out["machine"] = [machine_busy_ticks()]
        return out


def cpu_delta(before: dict[str, list[int]], after: dict[str, list[int]]) -> dict[str, list[float]]:
    return {
        name: [max(0, b - a) / CLK_TCK for a, b in zip(before[name], after[name], strict=True)]
        for name in before
        if name in after
    }


# --- the stack --------------------------------------------------------------------------------------------------


def wait_http(url: str, timeout: float = 60, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.3)


def stop(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass
class EventServer:
    """One cell's event server: uvicorn (built-in) or nginx + nchan and the relay."""

    kind: str
    env: dict[str, str]
    workdir: Path
    session_id: int
    rate: int = 0
    viewers: int = 0
    profile: Path | None = None
    main: subprocess.Popen[bytes] | None = None
    relay: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None

    @property
    def port(self) -> int:
        return UVICORN_PORT if self.kind == "builtin" else NGINX_PORT

    def start(self) -> None:
        self.log = (self.workdir / f"{self.kind}.log").open("ab")
        if self.kind == "builtin":
            cmd = [
                str(ROOT / ".venv" / "bin" / "uvicorn"), "coinshop.asgi:application", "--workers", "2",
                "--loop", "uvloop", "--http", "httptools", "--host", "127.0.0.1", "--port", str(UVICORN_PORT),
                "--log-level", "warning", "--no-access-log", "--backlog", "4096",
            ]  # fmt: skip
            if PROFILE:  # one worker, in the main process, under cProfile (written when uvicorn exits)
                self.profile = Path(PROFILE) / f"uvicorn-R{self.rate}-V{self.viewers}.prof"
                cmd = [PY, "-m", "cProfile", "-o", str(self.profile), "-m", "uvicorn", *cmd[1:]]
                cmd[cmd.index("--workers") + 1] = "1"
            env = {**self.env, "DB_CONN_MAX_AGE": "0"}
            self.main = subprocess.Popen(
                cmd, cwd=ROOT, env=env, start_new_session=True, stdout=self.log, stderr=self.log
            )
            wait_http(f"http://127.0.0.1:{UVICORN_PORT}/healthz")
        else:
            prefix = self.workdir / "nginx"
            for sub in ("logs", "tmp"):
                (prefix / sub).mkdir(parents=True, exist_ok=True)
            conf = nginx_conf(prefix)
            cmd = ["nginx", "-c", str(conf), "-p", f"{prefix}/", "-e", "logs/error.log", "-g", "daemon off;"]
            self.main = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=self.log, stderr=self.log)
            wait_http(f"http://127.0.0.1:{NGINX_PORT}/healthz")  # through nginx to gunicorn: the proxy works
            if not SYNTHETIC:
                env = {**self.env, "NCHAN_PUBLISH_URL": f"http://127.0.0.1:{NGINX_PORT}/_nchan/pub/{{session_id}}"}
                self.relay = subprocess.Popen(
                    [PY, "manage.py", "live_relay"],
                    cwd=ROOT,
                    env=env,
                    start_new_session=True,
                    stdout=self.log,
                    stderr=self.log,
                )
                self.wait_relay()
        time.sleep(0.5)
        for p in (self.main, self.relay):
            if p is not None and p.poll() is not None:
                raise RuntimeError(f"{self.kind} exited at start; see {self.workdir / (self.kind + '.log')}")

    def wait_relay(self, timeout: float = 60) -> None:
        """Until the relay has posted everything the room's stream holds (``coinshop:live:<id>:relayed``, the id
        of the last event it posted, equals the stream's last id): a relay starting up posts what it missed, which
        must not reach this cell's viewers."""
        import redis

        client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        key = f"coinshop:live:{self.session_id}"
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                assert self.relay is not None
                if self.relay.poll() is not None:
                    raise RuntimeError(f"live_relay exited; see {self.workdir / 'nchan.log'}")
                try:
                    last = str(client.xinfo_stream(f"{key}:events")["last-generated-id"])
                except redis.ResponseError:  # no stream yet: nothing to catch up on
                    time.sleep(1.0)  # (its startup, so that it is listening for the room's first event)
                    return
                if client.get(f"{key}:relayed") == last:
                    return
                time.sleep(0.2)
        finally:
            client.close()
        raise RuntimeError(f"live_relay did not catch up with the room within {timeout:.0f} s")

    def workers(self) -> list[int]:
        if self.main is None:
            return []
        if self.kind == "builtin" and PROFILE:
            return [self.main.pid]
        return children(self.main.pid, "spawn_main" if self.kind == "builtin" else "")

    def groups(self) -> dict[str, list[int]]:
        assert self.main is not None
        name = "uvicorn" if self.kind == "builtin" else "nginx"
        out = {name: self.workers(), f"{name} master": [self.main.pid]}
        if self.relay is not None:
            out["live_relay"] = [self.relay.pid]
        return out

    def rss_kb(self) -> int:
        return sum(rss_kb(p) for p in self.workers())

    def stop(self) -> None:
        stop(self.relay)
        # uvicorn raises the signal again once it has shut down; SIGINT lets cProfile write its file first
        stop(self.main, signal.SIGINT if self.profile is not None else signal.SIGTERM)
        self.main = self.relay = None
        if self.log is not None:
            self.log.close()


def nginx_conf(prefix: Path) -> Path:
    """deploy/nginx-nchan.conf with this benchmark's listen port and Django upstream (the two ADAPT lines)."""
    text = (ROOT / "deploy" / "nginx-nchan.conf").read_text()
    text, n_listen = re.subn(r"listen 127\.0\.0\.1:\d+ ", f"listen 127.0.0.1:{NGINX_PORT} ", text)
    text, n_upstream = re.subn(r"server 127\.0\.0\.1:\d+;", f"server 127.0.0.1:{GUNICORN_PORT};", text)
    if n_listen != 1 or n_upstream != 1:
        raise RuntimeError("deploy/nginx-nchan.conf: expected one listen line and one upstream server line to adapt")
    path = prefix / "nginx.conf"
    path.write_text(text)
    return path


# --- the viewers (bench/live_client.py processes) --------------------------------------------------------------


class ClientProcess:
    def __init__(self, port: int, path: str, viewers: int, log: Path) -> None:
        self.stderr = log.open("ab")
        self.proc = subprocess.Popen(
            [PY, "-m", "bench.live_client", "--port", str(port), "--path", path, "--viewers", str(viewers)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self.lines: queue.Queue[dict[str, object]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with contextlib.suppress(ValueError):
                self.lines.put(json.loads(line))
        self.lines.put({"event": "exit"})

    def expect(self, event: str, timeout: float) -> dict[str, object]:
        message = self.lines.get(timeout=timeout)
        if message.get("event") != event:
            raise RuntimeError(f"live client: expected {event!r}, got {message}")
        return message

    def finish(self, gifts: dict[int, tuple[float, float]], drain: float) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": "finish", "gifts": gifts, "drain": drain}) + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


# --- the gifts --------------------------------------------------------------------------------------------------


@dataclass
class Sent:
    gift_id: int | None
    start: float
    end: float
    status: int
    error: str = ""


class GiftSender:
    """POST /@<handle>/gift/ as the live room's script does, from logged-in viewers in turn, at a fixed rate."""

    def __init__(self, sessions: list[tuple[str, str, str]], handle: str, gift_id: int, session_id: int) -> None:
        self.sessions = sessions
        self.path = f"/@{handle}/gift/"
        self.gift_id = gift_id
        self.session_id = session_id
        self.local = threading.local()
        self.counter = 0
        self.synthetic_id = 1_000_000_000

    def _connection(self, port: int) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        return conn

    def _request(self, port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        conn = self._connection(port)
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            self.local.conn = None
            raise

    def post_gift(self, i: int) -> Sent:
        sid, csrf_cookie, token = self.sessions[i % len(self.sessions)]
        body = urlencode(
            {
                "csrfmiddlewaretoken": token,
                "gift": self.gift_id,
                "quantity": 1,
                "visibility": "public",
                "live_session": self.session_id,
                "idempotency_key": str(uuid.uuid4()),
            }
        ).encode()
        headers = {
            "Cookie": f"sessionid={sid}; csrftoken={csrf_cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        start = time.monotonic()
        try:
            status, data = self._request(GUNICORN_PORT, self.path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            return Sent(None, start, time.monotonic(), 0, f"{type(exc).__name__}: {exc}")
        end = time.monotonic()
        if status != 200:
            return Sent(None, start, end, status, data[:200].decode(errors="replace"))
        try:
            gift_id = json.loads(data).get("gift_id")
        except ValueError:
            gift_id = None
        return Sent(int(gift_id) if gift_id is not None else None, start, end, status, "" if gift_id else "no gift_id")

    def post_synthetic(self, i: int) -> Sent:
        """A batch with one made-up gift published straight to nchan (BENCH_LIVE_SYNTHETIC=1)."""
        gift_id = self.synthetic_id + i
        event = {
            "id": f"{int(time.time() * 1000)}-{i}",
            "type": "gift",
            "gift": {"id": gift_id, "name": "Fan 1", "subscriber": False, "effect": "", "gift": "Heart",
                     "artwork": "/static/gifts/heart.svg", "quantity": 1, "coins": 1, "combo": 1, "cancelled": False,
                     "at": datetime.datetime.now(datetime.UTC).isoformat()},
            "board": [{"name": f"Fan {k}", "coins": 100 - k, "subscriber": False} for k in range(10)],
        }  # fmt: skip
        body = json.dumps({"events": [event]}).encode()
        start = time.monotonic()
        try:
            status, _ = self._request(
                NGINX_PORT, f"/_nchan/pub/{self.session_id}", body, {"X-EventSource-Event": "batch"}
            )
        except (OSError, http.client.HTTPException) as exc:
            return Sent(None, start, time.monotonic(), 0, f"{type(exc).__name__}: {exc}")
        ok = status in (200, 201, 202)
        return Sent(gift_id if ok else None, start, time.monotonic(), 200 if ok else status)

    def run(self, rate: float, seconds: float, synthetic: bool) -> list[Sent]:
        """Start one gift every 1/rate s for ``seconds`` (each on a pool thread); wait for every answer."""
        post: Callable[[int], Sent] = self.post_synthetic if synthetic else self.post_gift
        count = max(1, round(rate * seconds))
        with ThreadPoolExecutor(max_workers=SENDER_THREADS) as pool:
            futures = []
            t0 = time.monotonic()
            for k in range(count):
                delay = t0 + k / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(post, self.counter))
                self.counter += 1
            return [f.result() for f in futures]


# --- a cell -----------------------------------------------------------------------------------------------------


@dataclass
class CellResult:
    server: str
    rate: int
    viewers: int
    connected: int = 0
    connect_s: float = 0.0
    gifts: int = 0  # gifts answered 200 with a GiftSend id
    post_errors: int = 0
    first_post_error: str = ""
    post_p50_ms: float = float("nan")
    post_p99_ms: float = float("nan")
    send_rate: float = 0.0
    expected: int = 0  # viewers x gifts
    delivered: int = 0
    lost: int = 0
    incomplete_viewers: int = 0
    duplicated: int = 0
    unexpected: int = 0
    within_1s: int = 0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    max_ms: float = float("nan")
    after_answer_p99_ms: float = float("nan")  # from the POST's answer instead of its start
    load1: float = 0.0
    window_s: float = 0.0
    cpu: dict[str, list[float]] = field(default_factory=dict)
    rss_idle_kb: int = 0
    rss_kb: int = 0
    client_stats: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def rss_per_1000_mib(self) -> float:
        if not self.viewers:
            return float("nan")
        return (self.rss_kb - self.rss_idle_kb) / 1024 / self.viewers * 1000


def hist_percentile(hist: dict[int, int], p: float, missing: int = 0) -> float:
    """Percentile of a histogram of milliseconds; ``missing`` values (gifts never received) count as infinite."""
    total = sum(hist.values()) + missing
    if not total:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for ms in sorted(hist):
        seen += hist[ms]
        if seen >= rank:
            return float(ms)
    return float("inf")


def run_cell(
    kind: str,
    rate: int,
    viewers: int,
    env: dict[str, str],
    sender: GiftSender,
    fixed: dict[str, list[int]],
    workdir: Path,
) -> CellResult:
    cell = CellResult(kind, rate, viewers)
    server = EventServer(kind, env, workdir, sender.session_id, rate, viewers)
    clients: list[ClientProcess] = []
    try:
        server.start()
        time.sleep(0.5)
        cell.rss_idle_kb = server.rss_kb()
        if viewers:
            n = max(1, math.ceil(viewers / PER_CLIENT))
            shares = [viewers // n + (1 if k < viewers % n else 0) for k in range(n)]
            path = f"/live/{sender.session_id}/events"
            t = time.monotonic()
            clients = [ClientProcess(server.port, path, share, workdir / "client.log") for share in shares]
            for c in clients:
                message = c.expect("connected", timeout=180)
                cell.connected += int(message["ok"])  # type: ignore[call-overload]
                if message.get("errors"):
                    cell.notes.append(f"connect errors: {message['errors']}")
            cell.connect_s = time.monotonic() - t
        time.sleep(SETTLE)
        groups = Groups(
            {**fixed, "postgres": postgres_pids(), **server.groups(), "clients": [c.proc.pid for c in clients]}
        )
        before, t_before = groups.ticks(), time.monotonic()
        sent = sender.run(rate, SECONDS, SYNTHETIC)
        cell.load1 = load_1m()
        cell.rss_kb = server.rss_kb()
        ok = [s for s in sent if s.status == 200 and s.gift_id is not None]
        bad = [s for s in sent if not (s.status == 200 and s.gift_id is not None)]
        cell.gifts, cell.post_errors = len(ok), len(bad)
        if bad:
            cell.first_post_error = f"{bad[0].status} {bad[0].error}"[:160]
        durations = sorted((s.end - s.start) * 1000 for s in sent if s.status == 200)
        cell.post_p50_ms, cell.post_p99_ms = base.pct(durations, 50), base.pct(durations, 99)
        if len(sent) > 1:
            cell.send_rate = (len(sent) - 1) / max(1e-9, sent[-1].start - sent[0].start)
        if clients:
            gifts = {s.gift_id: s.start for s in ok if s.gift_id is not None}
            answers = {s.gift_id: s.end for s in ok if s.gift_id is not None}
            for c in clients:
                c.finish({g: (gifts[g], answers[g]) for g in gifts}, DRAIN)
            hist: dict[int, int] = {}
            after_hist: dict[int, int] = {}
            missed: set[int] = set()
            examples: list[object] = []
            worst = 0.0
            for c in clients:
                r = c.expect("result", timeout=DRAIN + 120)
                for k, v in r["hist_ms"].items():  # type: ignore[attr-defined]
                    hist[int(k)] = hist.get(int(k), 0) + int(v)
                for k, v in r["after_answer_ms"].items():  # type: ignore[attr-defined]
                    after_hist[int(k)] = after_hist.get(int(k), 0) + int(v)
                cell.delivered += int(r["delivered"])  # type: ignore[call-overload]
                cell.lost += int(r["lost"])  # type: ignore[call-overload]
                cell.incomplete_viewers += int(r["incomplete_viewers"])  # type: ignore[call-overload]
                missed.update(int(g) for g in r["gifts_missed"])  # type: ignore[attr-defined]
                examples.extend(r.get("examples") or [])  # type: ignore[arg-type]
                cell.duplicated += int(r["duplicated"])  # type: ignore[call-overload]
                cell.unexpected += int(r["unexpected"])  # type: ignore[call-overload]
                cell.within_1s += int(r["within_1s"])  # type: ignore[call-overload]
                worst = max(worst, float(r["max_s"]))  # type: ignore[arg-type]
                for k, v in r["stats"].items():  # type: ignore[attr-defined]
                    cell.client_stats[k] = cell.client_stats.get(k, 0) + int(v)
            cell.expected = cell.connected * len(gifts)
            if cell.lost:
                order = sorted(gifts, key=lambda g: gifts[g])
                positions = sorted(order.index(g) + 1 for g in missed)
                cell.notes.append(
                    f"{cell.lost:,} (viewer, gift) pairs not received within {DRAIN:g} s of the last gift: "
                    f"{cell.incomplete_viewers:,} viewers missed {len(missed)} distinct gifts "
                    f"(sent {positions[0]}th to {positions[-1]}th of {len(order)})"
                )
                (workdir / f"lost-{kind}-R{rate}-V{viewers}.json").write_text(
                    json.dumps({"gifts": {g: gifts[g] for g in order}, "examples": examples}, indent=1)
                )
            cell.p50_ms = hist_percentile(hist, 50, cell.lost)
            cell.p99_ms = hist_percentile(hist, 99, cell.lost)
            cell.after_answer_p99_ms = hist_percentile(after_hist, 99, cell.lost)
            cell.max_ms = (float("inf") if cell.lost else worst * 1000) if cell.expected else float("nan")
        after = groups.ticks()
        cell.window_s = time.monotonic() - t_before
        cell.cpu = cpu_delta(before, after)
        ours = sum(sum(v) for k, v in cell.cpu.items() if k != "machine")
        cell.cpu["others"] = [max(0.0, sum(cell.cpu.pop("machine", [0.0])) - ours)]
    finally:
        for c in clients:
            c.close()
        server.stop()
    return cell


# --- the report -------------------------------------------------------------------------------------------------


def fmt(v: float, digits: int = 0) -> str:
    if v != v:
        return "-"
    if v == float("inf"):
        return "inf"
    return f"{v:,.{digits}f}"


def cpu_text(values: list[float] | None) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{sum(values):.1f} (" + "+".join(f"{v:.1f}" for v in values) + ")"


def report(cells: list[CellResult]) -> None:
    baseline = {(c.server, c.rate): c for c in cells if c.viewers == 0}
    say()
    say(
        f"Delivery: gifts sent for {SECONDS:g} s at R/s through POST /@<handle>/gift/ (gunicorn, "
        f"{GUNICORN_WORKERS} sync workers); latency from the start of the gift's POST to each viewer receiving it "
        "(and, leaving the POST's own time out, from its answer); "
        "lost and duplicated count (viewer, gift) pairs"
    )
    say()
    say(
        "| server | R/s | V | connected | gifts | p50 ms | p99 ms | max ms | within 1 s | lost | dup "
        "| p99 ms after the POST's answer | POST p50 ms | POST p99 ms | POST p99 / V=0 | load 1m |"
    )
    say("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in cells:
        base_cell = baseline.get((c.server, c.rate))
        ratio = c.post_p99_ms / base_cell.post_p99_ms if base_cell and base_cell.post_p99_ms else float("nan")
        within = f"{100 * c.within_1s / c.expected:.1f} %" if c.expected else "-"
        say(
            f"| {c.server} | {c.rate} | {c.viewers:,} | {c.connected:,} | {c.gifts}"
            + (f" (+{c.post_errors} failed)" if c.post_errors else "")
            + f" | {fmt(c.p50_ms)} | {fmt(c.p99_ms)} | {fmt(c.max_ms)} | {within} | {c.lost:,} | {c.duplicated:,} "
            f"| {fmt(c.after_answer_p99_ms)} | {fmt(c.post_p50_ms, 1)} | {fmt(c.post_p99_ms, 1)} "
            f"| {fmt(ratio, 2)} | {c.load1:.2f} |"
        )
    say()
    say(
        "Resources over each cell (from the first gift to the last viewer's check): CPU seconds per process from "
        "/proc/<pid>/stat (event-server workers listed one by one; postgres: every backend; everything else: the "
        "rest of the machine's busy CPU time, other people's work included, from /proc/stat); the event server's "
        "resident memory above idle per 1,000 viewers; event-server CPU per delivered (viewer, gift) pair"
    )
    say()
    say(
        "| server | R/s | V | window s | event server CPU s | relay | gunicorn | redis | postgres | clients "
        "| everything else | us/delivery | MiB / 1,000 viewers |"
    )
    say("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in cells:
        worker = "uvicorn" if c.server == "builtin" else "nginx"
        total = {name: sum(c.cpu.get(name, [])) for name in ("gunicorn", "redis", "postgres", "clients", "others")}
        event_cpu = sum(c.cpu.get(worker, [])) + sum(c.cpu.get(f"{worker} master", []))
        per = event_cpu / c.delivered * 1e6 if c.delivered else float("nan")
        say(
            f"| {c.server} | {c.rate} | {c.viewers:,} | {c.window_s:.1f} | {cpu_text(c.cpu.get(worker))} "
            f"| {cpu_text(c.cpu.get('live_relay'))} | {total['gunicorn']:.1f} | {total['redis']:.1f} "
            f"| {total['postgres']:.1f} | {total['clients']:.1f} | {total['others']:.1f} "
            f"| {fmt(per, 1)} | {fmt(c.rss_per_1000_mib, 1)} |"
        )
    for c in cells:
        extra = []
        if c.first_post_error:
            extra.append(f"first failed POST: {c.first_post_error}")
        if c.unexpected:
            extra.append(f"{c.unexpected} deliveries of gifts not sent in this cell")
        if extra:
            c.notes.extend(extra)
    notes = [f"- {c.server} R={c.rate} V={c.viewers}: " + "; ".join(c.notes) for c in cells if c.notes]
    if notes:
        say()
        say("Notes:")
        for line in notes:
            say(line)
    stats: dict[str, int] = {}
    for c in cells:
        for k, v in c.client_stats.items():
            if k != "batches":
                stats[k] = stats.get(k, 0) + v
    if stats:
        say(f"client counters over all cells: {stats}")


def held(cells: list[CellResult], server: str, rate: int) -> int:
    """The largest V with p99 < 1 s, nothing lost and every viewer connected (0 if none)."""
    passing = [
        c.viewers
        for c in cells
        if c.server == server and c.rate == rate and c.viewers and c.viewers == c.connected
        if c.p99_ms < 1000 and c.lost == 0 and c.post_errors == 0
    ]
    return max(passing, default=0)


def targets(cells: list[CellResult]) -> None:
    say()
    say("## Targets")
    top = max(VIEWER_COUNTS) if VIEWER_COUNTS else 0
    for server in SERVERS:
        for rate in RATES:
            say(f"- {server} at {rate} gifts/s: viewers held with p99 < 1 s and 0 lost: {held(cells, server, rate):,}")
    if "builtin" in SERVERS:
        v = held(cells, "builtin", 20) if 20 in RATES else 0
        verdict = "MET" if v >= 5000 else "MISSED"
        say(f"- >= 5,000 viewers at 20 gifts/s with p99 < 1 s and 0 lost (built-in): {v:,} -> {verdict}")
        at_top = [c for c in cells if c.server == "builtin" and c.rate == 20 and c.viewers == top]
        zero = [c for c in cells if c.server == "builtin" and c.rate == 20 and c.viewers == 0]
        if at_top and zero and zero[0].post_p99_ms:
            r = at_top[0].post_p99_ms / zero[0].post_p99_ms
            say(
                f"- gift POST p99 at {top:,} viewers <= 1.5x at 0 (built-in, 20/s): {at_top[0].post_p99_ms:.0f} ms "
                f"/ {zero[0].post_p99_ms:.0f} ms = {r:.2f} -> {'MET' if r <= 1.5 else 'MISSED'}"
            )
        elif zero:
            say(f"- gift POST p99 at {top:,} viewers <= 1.5x at 0 (built-in, 20/s): not measured (the row stopped)")
    if "builtin" in SERVERS and "nchan" in SERVERS:
        for rate in RATES:
            b, n = held(cells, "builtin", rate), held(cells, "nchan", rate)
            ratio = b / n if n else float("nan")
            verdict = "MET" if n and ratio >= 0.5 else "MISSED" if n else "n/a"
            say(
                f"- built-in >= 0.5x nchan (viewers held at p99 < 1 s, {rate} gifts/s): {b:,} / {n:,} = "
                f"{fmt(ratio, 2)} -> {verdict}"
            )


# --- the run ----------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    base.PORT = GUNICORN_PORT
    base.GUNICORN_WORKERS = GUNICORN_WORKERS
    server = base.gunicorn_start(env)
    try:
        yield server
    finally:
        stop(server)


def sessions_for(data: object) -> list[tuple[str, str, str]]:
    base.PORT = GUNICORN_PORT
    base.VIEWERS = LOAD_VIEWERS
    path = Path(tempfile.mkstemp(prefix="coinshop-bench-live-sessions-")[1])
    try:
        base.http_sessions(data, path)
        rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    finally:
        path.unlink(missing_ok=True)
    return [(r[0], r[1], r[2]) for r in rows]


def software() -> str:
    nginx = base.sh(["nginx", "-v"]).stderr.strip().replace("nginx version: ", "")
    nchan = base.sh(["dpkg-query", "-W", "-f", "${Version}", "libnginx-mod-nchan"]).stdout.strip() or "?"
    uvicorn = base.sh([str(ROOT / ".venv" / "bin" / "uvicorn"), "--version"]).stdout.split(" with ")[0]
    uvicorn = uvicorn.removeprefix("Running ")
    return f"event servers: {uvicorn} (2 workers, uvloop, httptools); {nginx} with libnginx-mod-nchan {nchan}"


def main() -> int:
    started = time.monotonic()
    base.OUT.clear()
    static_root = tempfile.mkdtemp(prefix="coinshop-bench-live-static-")
    workdir = Path(tempfile.mkdtemp(prefix="coinshop-bench-live-"))
    workdir.chmod(0o755)  # nginx's workers (user nobody when started as root) write request bodies under it
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_", "DEBUG", "NCHAN_"))},
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "False",
        "DATABASE_URL": f"{base.PG_SERVER}/{DB_NAME}",
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": "coinshop-bench-live",
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.clear()
    os.environ.update(env)
    if "nchan" in SERVERS and not Path("/usr/lib/nginx/modules/ngx_nchan_module.so").exists():
        say("Installing nginx and libnginx-mod-nchan ...")
        base.sh([*base.root_or_sudo(), "apt-get", "install", "-y", "-qq", "nginx", "libnginx-mod-nchan"])
    base.ensure_services()
    sys.path.insert(0, str(ROOT))
    import django

    say("# Coinshop live rooms (bench/live.py, `make bench-live`)")
    say()
    ok, finished = True, False
    cells: list[CellResult] = []
    try:
        say(f"Creating database {DB_NAME} and running every migration (dj-stripe's takes ~45 s) ...")
        base.psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", f"CREATE DATABASE {DB_NAME}")
        base.sh(["redis-cli", "-u", REDIS_URL, "flushdb"])
        t = time.monotonic()
        for cmd in (["migrate", "--no-input"], ["collectstatic", "--no-input"]):
            result = base.sh([PY, "manage.py", *cmd], cwd=ROOT, env=env)
            if result.returncode != 0:
                sys.exit(f"manage.py {cmd[0]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        say(f"  migrated and collected static files in {time.monotonic() - t:.0f} s")
        django.setup()
        for line in base.machine():
            say(line)
        say(software())
        say()
        from .load import load

        data = load(viewers=LOAD_VIEWERS, creators=10, coins_each=1_000_000, log=say)
        say(
            f"Cells: servers {','.join(SERVERS)}; R = {','.join(map(str, RATES))} gifts/s; V = 0,"
            f"{','.join(map(str, VIEWER_COUNTS))} (a row stops after p99 > {STOP_P99:g} s); {SECONDS:g} s of gifts, "
            f"up to {DRAIN:g} s to drain; {PER_CLIENT:,} viewers per client process"
            + ("; SYNTHETIC batches published straight to nchan" if SYNTHETIC else "")
        )
        with gunicorn(env) as web:
            sender = GiftSender(sessions_for(data), data.hot_handle, data.gift_id, data.live_session_id)
            fixed = {
                "gunicorn": [web.pid, *children(web.pid)],
                "redis": [p for p in [redis_pid()] if p],
            }
            for kind in SERVERS:
                for rate in RATES:
                    for viewers in [0, *VIEWER_COUNTS]:
                        if SYNTHETIC and kind != "nchan":
                            continue
                        cell = run_cell(kind, rate, viewers, env, sender, fixed, workdir)
                        cells.append(cell)
                        say(
                            f"  {kind:7} R={rate:<2} V={viewers:<5} connected {cell.connected:,} in "
                            f"{cell.connect_s:.1f} s; {cell.gifts} gifts ({cell.send_rate:.1f}/s"
                            + (f", {cell.post_errors} failed: {cell.first_post_error}" if cell.post_errors else "")
                            + f"); delivery p50 {fmt(cell.p50_ms)} p99 {fmt(cell.p99_ms)} max {fmt(cell.max_ms)} ms "
                            f"(p99 {fmt(cell.after_answer_p99_ms)} ms after the POST's answer), "
                            f"lost {cell.lost:,}, dup {cell.duplicated:,}; POST p99 {fmt(cell.post_p99_ms)} ms; "
                            f"load {cell.load1:.2f}; {time.monotonic() - started:.0f} s so far"
                            + "".join(f"; {k} {v:,}" for k, v in cell.client_stats.items() if k != "batches")
                        )
                        if viewers and (cell.p99_ms > STOP_P99 * 1000 or cell.connected < viewers * 0.9):
                            say(f"  (row stops: p99 over {STOP_P99:g} s or viewers could not connect)")
                            break
        say()
        say("## Results")
        report(cells)
        targets(cells)
        ok &= base.ledger_check(env, "the live-room runs")
        say()
        say(f"total time: {time.monotonic() - started:.0f} s")
        finished = True
    finally:
        from django.apps import apps
        from django.db import connections

        if apps.ready:
            connections.close_all()
        if not KEEP_DB:
            base.psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        base.sh(["redis-cli", "-u", REDIS_URL, "flushdb"])
        shutil.rmtree(static_root, ignore_errors=True)
        if finished and ok and not any(c.lost or c.duplicated or c.post_errors for c in cells):
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            say(f"(logs of this run's servers and clients: {workdir})")
        (BENCH / "last-live-run.md").write_text("\n".join(base.OUT) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

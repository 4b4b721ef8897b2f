"""``make bench``: the hot-creator and page benchmarks of issue 7, printed as a table (never part of the test suite).

Steps: PostgreSQL and Redis (started if they are down), a fresh database ``coinshop_bench`` with every migration,
the data set (``bench/load.py``), then

1. service level: N worker processes calling ``gift_send`` (``bench/service.py``): (a) every gift to one creator,
   (b) spread over all creators; beside them pgbench running the same transaction in raw SQL
   (``bench/gift.pgbench.sql``) at the same concurrency, rounds interleaved, medians of ``BENCH_ROUNDS`` rounds;
2. HTTP level: gunicorn with the production settings (``bench/settings.py`` only adds ``/bench/bare/``), wrk at 32
   connections on the bare view, the wallet page, the creator page, the live room and the gift POST, logged in,
   with valid CSRF; the peak memory of the web workers afterwards;

and ``manage.py ledger_check`` after each. The database is dropped at the end (``BENCH_KEEP_DB=1`` keeps it).
Knobs (environment): BENCH_WORKERS=1,4,16,64  BENCH_ROUNDS=3  BENCH_WARMUP=1  BENCH_SECONDS=4  BENCH_HTTP_SECONDS=6
BENCH_HTTP_CONNECTIONS=32  BENCH_GUNICORN_WORKERS=(2 x cores + 1)  BENCH_VIEWERS=100000  BENCH_CREATORS=10000
BENCH_PHASES=service,http  BENCH_PORT=8765  BENCH_MEMORY_REQUESTS=10000.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB", "coinshop_bench")
DATABASE_URL = f"{PG_SERVER}/{DB_NAME}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")  # the benchmark's own Redis database


def _int_list(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip()]


WORKERS = _int_list(os.environ.get("BENCH_WORKERS", "1,4,16,64"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "1"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
HTTP_SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "6"))
HTTP_CONNECTIONS = int(os.environ.get("BENCH_HTTP_CONNECTIONS", "32"))
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
VIEWERS = int(os.environ.get("BENCH_VIEWERS", "100000"))
CREATORS = int(os.environ.get("BENCH_CREATORS", "10000"))
COINS_EACH = int(os.environ.get("BENCH_COINS_EACH", "100000"))
PHASES = set(os.environ.get("BENCH_PHASES", "service,http").split(","))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
KEEP_DB = os.environ.get("BENCH_KEEP_DB") == "1"
HTTP_SESSIONS = 64
MEMORY_REQUESTS = int(os.environ.get("BENCH_MEMORY_REQUESTS", "10000"))

OUT: list[str] = []  # everything printed, also written to bench/last-run.md


def say(line: str = "") -> None:
    print(line, flush=True)
    OUT.append(line)


def sh(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]


def root_or_sudo() -> list[str]:
    return [] if os.geteuid() == 0 else ["sudo"]


# --- services ---------------------------------------------------------------------------------------------------


def ensure_services() -> None:
    if sh(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode != 0:
        clusters = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(x) for x in v.split(".")])
        say(f"Starting PostgreSQL {clusters[-1]} ...")
        sh([*root_or_sudo(), "pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1], "main", "start"])
        for _ in range(60):
            if sh(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
                break
            time.sleep(1)
        else:
            sys.exit("PostgreSQL did not start")
    if sh(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"]).stdout.strip() != "PONG":
        say("Starting Redis ...")
        sh(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ]
        )
        time.sleep(1)
    for tool, package in (("pgbench", "postgresql-client"), ("wrk", "wrk")):
        if shutil.which(tool) is None:
            say(f"Installing {package} (for {tool}) ...")
            sh([*root_or_sudo(), "apt-get", "update", "-qq"])
            result = sh([*root_or_sudo(), "apt-get", "install", "-y", "-qq", package])
            if result.returncode != 0:
                sys.exit(f"could not install {package}: {result.stderr[-500:]}")


def psql(*commands: str, db: str = "postgres") -> str:
    args = ["psql", f"{PG_SERVER}/{db}", "-w", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"]
    for c in commands:
        args += ["-c", c]
    result = sh(args)
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stderr}")
    return result.stdout.strip()


def machine() -> list[str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    except (OSError, AttributeError):
        mem_kb = 0
    import django

    return [
        f"date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine: {os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.0f} GiB RAM, {platform.platform()}",
        f"software: Python {platform.python_version()}, Django {django.get_version()}, "
        f"{psql('SELECT version()').split(' on ')[0]}, "
        f"{sh(['redis-server', '--version']).stdout.split(' sha=')[0]}, "
        f"{sh(['pgbench', '--version']).stdout.strip()}, {sh(['wrk', '--version']).stdout.splitlines()[0][:20]}",
        f"postgres settings: shared_buffers={psql('SHOW shared_buffers')}, "
        f"synchronous_commit={psql('SHOW synchronous_commit')}, max_connections={psql('SHOW max_connections')}",
    ]


# --- statistics -------------------------------------------------------------------------------------------------


def pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


@dataclass
class Cell:
    rates: list[float] = field(default_factory=list)
    p50s: list[float] = field(default_factory=list)  # ms
    p99s: list[float] = field(default_factory=list)  # ms
    errors: list[str] = field(default_factory=list)

    def add(self, count: int, seconds: float, latencies_s: list[float], errors: list[str]) -> None:
        lat = sorted(latencies_s)
        self.rates.append(count / seconds)
        self.p50s.append(pct(lat, 50) * 1000)
        self.p99s.append(pct(lat, 99) * 1000)
        self.errors.extend(errors)

    @property
    def rate(self) -> float:
        return statistics.median(self.rates) if self.rates else float("nan")

    @property
    def p50(self) -> float:
        return statistics.median(self.p50s) if self.p50s else float("nan")

    @property
    def p99(self) -> float:
        return statistics.median(self.p99s) if self.p99s else float("nan")

    def spread(self) -> str:
        return f"{min(self.rates):,.0f}-{max(self.rates):,.0f}" if self.rates else "-"


# --- phase 1: service level -------------------------------------------------------------------------------------


def pgbench_round(clients: int, creators: int, data: object, workdir: Path) -> tuple[int, list[float], list[str]]:
    """One pgbench round; returns (transactions completed in the measured window, their latencies, errors)."""
    for old in workdir.glob("pg.*"):
        old.unlink()
    total = int(WARMUP + SECONDS + 1.999)
    cmd = [
        "pgbench", "-n", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres",
        "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)), "-T", str(total),
        "-f", str(BENCH / "gift.pgbench.sql"), "-l", f"--log-prefix={workdir / 'pg'}",
        "-D", f"viewers={data.viewers}", "-D", f"creators={creators}", "-D", f"shards={data.shards}",  # type: ignore[attr-defined]
        "-D", f"creator_account_base={data.creator_account_base}", "-D", f"gift={data.gift_id}",  # type: ignore[attr-defined]
        "-D", f"coins={data.gift_cost}", "-D", f"coin_sink={data.coin_sink_id}",  # type: ignore[attr-defined]
        "-D", f"diamond_issuance={data.diamond_issuance_id}", DB_NAME,  # type: ignore[attr-defined]
    ]  # fmt: skip
    result = sh(cmd)
    errors = []
    if result.returncode != 0 or "aborted" in result.stderr:
        errors.append(f"pgbench exit {result.returncode}: {result.stderr.strip()[-300:]}")
    done: list[tuple[float, float]] = []  # (completion epoch, latency s)
    for log in workdir.glob("pg.*"):
        for line in log.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 6:
                done.append((int(parts[4]) + int(parts[5]) / 1e6, int(parts[2]) / 1e6))
    if not done:
        return 0, [], [*errors, "pgbench logged no transaction"]
    start = min(t for t, _ in done) + WARMUP
    window = [lat for t, lat in done if start <= t < start + SECONDS]
    return len(window), window, errors


def service_phase(data: object) -> dict[tuple[int, str], Cell]:
    from accounts.models import CreatorProfile

    from .service import WorkerPool

    creators = list(CreatorProfile.objects.select_related("user").order_by("pk"))
    cells: dict[tuple[int, str], Cell] = {}
    workdir = Path(tempfile.mkdtemp(prefix="coinshop-bench-pg-"))
    kinds = ("hot", "spread", "pg_hot", "pg_spread")
    try:
        for n in WORKERS:
            pool = WorkerPool(n, viewers=VIEWERS, creators=creators, gift_id=data.gift_id)  # type: ignore[attr-defined]
            try:
                for round_no in range(ROUNDS):
                    line = []
                    for kind in kinds:
                        cell = cells.setdefault((n, kind), Cell())
                        if kind.startswith("pg_"):
                            pool.close_connections()  # pgbench's N connections instead of the workers' N
                            count, lat, errors = pgbench_round(n, 1 if kind == "pg_hot" else CREATORS, data, workdir)
                        else:
                            result = pool.run(kind, warmup=WARMUP, duration=SECONDS)
                            count, lat = len(result.latencies), result.latencies
                            errors = [f"{k} (x{v})" for k, v in result.errors.items()]
                        cell.add(count, SECONDS, lat, errors)
                        line.append(f"{kind} {cell.rates[-1]:,.0f}/s")
                    say(f"  N={n:<3} round {round_no + 1}/{ROUNDS}: " + ", ".join(line))
            finally:
                pool.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return cells


# --- phase 2: HTTP level ----------------------------------------------------------------------------------------


def gunicorn_start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), "coinshop.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
        "--workers", str(GUNICORN_WORKERS), "--worker-class", "sync", "--timeout", "60", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=5) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    sys.exit("gunicorn did not answer /healthz")


def worker_pids(master: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


def memory_kb(pid: int) -> tuple[int, int]:
    text = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    hwm = int(re.search(r"VmHWM:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    return rss, hwm


def http_sessions(data: object, path: Path) -> None:
    """Log in HTTP_SESSIONS viewers (the session a login makes), then fetch each one's CSRF token from a page."""
    from django.test import Client

    from accounts.models import User

    lines = []
    users = User.objects.filter(pk__gt=VIEWERS - HTTP_SESSIONS, pk__lte=VIEWERS).order_by("pk")
    for user in users:
        client = Client()
        client.force_login(user)
        sid = client.cookies["sessionid"].value
        request = urllib.request.Request(
            f"http://127.0.0.1:{PORT}/live/{data.live_session_id}/",  # type: ignore[attr-defined]
            headers={"Cookie": f"sessionid={sid}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            html = response.read().decode()
            cookie = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie.load(header)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if token is None or "csrftoken" not in cookie:
            sys.exit("the live room did not give a CSRF token to a logged-in viewer")
        lines.append(f"{sid} {cookie['csrftoken'].value} {token.group(1)}")
    path.write_text("\n".join(lines) + "\n")


def wrk(path: str, sessions: Path, seconds: int, extra: list[str] | None = None, mode: str = "get") -> dict[str, int]:
    cmd = [
        "wrk", "-t1", f"-c{HTTP_CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(BENCH / "wrk" / "session.lua"), f"http://127.0.0.1:{PORT}{path}",
        "--", str(sessions), mode, path, *(extra or []),
    ]  # fmt: skip
    result = sh(cmd)
    match = re.search(r"^BENCH (.*)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or match is None:
        sys.exit(f"wrk failed: {result.stdout}\n{result.stderr}")
    return {k: int(v) for k, v in (kv.split("=") for kv in match.group(1).split())}


@dataclass
class HttpCell:
    rps: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    bad: int = 0
    requests: int = 0
    first_bad: int = 0

    def add(self, r: dict[str, int]) -> None:
        self.rps.append(r["requests"] / (r["duration_us"] / 1e6))
        self.p50.append(r["p50_us"] / 1000)
        self.p99.append(r["p99_us"] / 1000)
        self.bad += r["bad"] + r["connect"] + r["read"] + r["write"] + r["timeout"]
        self.first_bad = self.first_bad or r["first_bad"]
        self.requests += r["requests"]


def http_phase(data: object, env: dict[str, str]) -> tuple[dict[str, HttpCell], dict[str, object]]:
    from gifts.models import GiftSend

    d = data
    endpoints = [
        ("bare view", "/bench/bare/", "get", []),
        ("wallet page", "/wallet/", "get", []),
        ("creator page", f"/@{d.hot_handle}/", "get", []),  # type: ignore[attr-defined]
        ("live room", f"/live/{d.live_session_id}/", "get", []),  # type: ignore[attr-defined]
        ("gift POST", f"/@{d.hot_handle}/gift/", "gift", [str(d.gift_id), str(d.live_session_id)]),  # type: ignore[attr-defined]
    ]
    cells = {name: HttpCell() for name, *_ in endpoints}
    info: dict[str, object] = {}
    server = gunicorn_start(env)
    sessions = Path(tempfile.mkstemp(prefix="coinshop-bench-sessions-")[1])
    try:
        http_sessions(data, sessions)
        pids = worker_pids(server.pid)
        info["workers"] = len(pids)
        before = GiftSend.objects.filter(live_session_id=d.live_session_id).count()  # type: ignore[attr-defined]
        for _, path, mode, extra in endpoints:  # warm-up: every code path imported and compiled in every worker
            wrk(path, sessions, 2, extra, mode)
        info["rss_after_warmup_kb"] = max(memory_kb(p)[0] for p in pids)
        for round_no in range(ROUNDS):
            line = []
            for name, path, mode, extra in endpoints:
                r = wrk(path, sessions, HTTP_SECONDS, extra, mode)
                cells[name].add(r)
                line.append(f"{name} {cells[name].rps[-1]:,.0f}/s")
            say(f"  round {round_no + 1}/{ROUNDS}: " + ", ".join(line))
        # Memory after (at least) MEMORY_REQUESTS requests: keep cycling through the endpoints until the server has
        # answered that many since it started, then read every worker's peak and current resident memory.
        served = sum(c.requests for c in cells.values())
        soaked = 0
        while served + soaked < MEMORY_REQUESTS:
            for _, path, mode, extra in endpoints:
                soaked += wrk(path, sessions, 3, extra, mode)["requests"]
        info["soak_requests"] = soaked
        time.sleep(1)
        info["gifts_recorded"] = GiftSend.objects.filter(live_session_id=d.live_session_id).count() - before  # type: ignore[attr-defined]
        info["requests_total"] = served + soaked
        mem = [memory_kb(p) for p in pids]
        info["rss_kb"] = max(m[0] for m in mem)
        info["hwm_kb"] = max(m[1] for m in mem)
        info["hot_creator_gifts"] = GiftSend.objects.filter(creator_id=d.hot_creator_id).count()  # type: ignore[attr-defined]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        sessions.unlink(missing_ok=True)
    return cells, info


# --- the run ----------------------------------------------------------------------------------------------------


def ledger_check(env: dict[str, str], after: str) -> bool:
    result = sh([PY, "manage.py", "ledger_check"], cwd=ROOT, env=env)
    say(f"$ manage.py ledger_check   # after {after}")
    for line in (result.stdout + result.stderr).strip().splitlines():
        say(f"    {line}")
    return result.returncode == 0


def fmt(v: float, digits: int = 0) -> str:
    return "-" if v != v else f"{v:,.{digits}f}"  # NaN


def main() -> int:
    started = time.monotonic()
    static_root = tempfile.mkdtemp(prefix="coinshop-bench-static-")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_", "DEBUG"))},
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "False",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": "coinshop-bench",
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.clear()
    os.environ.update(env)
    ensure_services()
    sys.path.insert(0, str(ROOT))
    import django

    say("# Coinshop benchmarks (bench/run.py, `make bench`)")
    say()
    ok = True
    try:
        say(f"Creating database {DB_NAME} and running every migration (dj-stripe's takes ~45 s) ...")
        psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", f"CREATE DATABASE {DB_NAME}")
        t = time.monotonic()
        for cmd in (["migrate", "--no-input"], ["collectstatic", "--no-input"]):
            result = sh([PY, "manage.py", *cmd], cwd=ROOT, env=env)
            if result.returncode != 0:
                sys.exit(f"manage.py {cmd[0]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        say(f"  migrated and collected static files in {time.monotonic() - t:.0f} s")
        django.setup()
        for line in machine():
            say(line)
        say()
        from .load import load

        say(f"Loading {VIEWERS:,} viewers ({COINS_EACH:,} coins each) and {CREATORS:,} creators ...")
        data = load(viewers=VIEWERS, creators=CREATORS, coins_each=COINS_EACH, log=say)
        ok &= ledger_check(env, "loading")

        service: dict[tuple[int, str], Cell] = {}
        if "service" in PHASES:
            say()
            say(
                f"Service level: {ROUNDS} rounds per cell of {WARMUP:g} s warm-up + {SECONDS:g} s measured; "
                f"gift '{data.gift_id}' ({data.gift_cost} coins) ..."
            )
            service = service_phase(data)
            ok &= ledger_check(env, "the service-level and pgbench runs")

        http: dict[str, HttpCell] = {}
        info: dict[str, object] = {}
        if "http" in PHASES:
            say()
            say(
                f"HTTP level: gunicorn ({GUNICORN_WORKERS} sync workers, production settings), wrk -t1 "
                f"-c{HTTP_CONNECTIONS}, {ROUNDS} rounds of {HTTP_SECONDS} s per endpoint after a 2 s warm-up ..."
            )
            http, info = http_phase(data, env)
            ok &= ledger_check(env, "the HTTP runs")

        say()
        say("## Results (medians over rounds; the range of the rounds' rates in brackets)")
        if service:
            say()
            say(
                f"Service level: `gift_send` in N processes vs pgbench (`bench/gift.pgbench.sql`) on PostgreSQL; "
                f"{ROUNDS} x {SECONDS:g} s per cell"
            )
            say()
            say(
                "| N | (a) hot gifts/s | p50 ms | p99 ms | (b) spread gifts/s | p50 ms | p99 ms "
                "| pgbench hot tps | p50 ms | p99 ms | pgbench spread tps | (a)/(b) | (a)/pgbench hot |"
            )
            say("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for n in WORKERS:
                a, b, pa, pb = (service[(n, k)] for k in ("hot", "spread", "pg_hot", "pg_spread"))
                say(
                    f"| {n} | {fmt(a.rate)} [{a.spread()}] | {fmt(a.p50, 1)} | {fmt(a.p99, 1)} "
                    f"| {fmt(b.rate)} [{b.spread()}] | {fmt(b.p50, 1)} | {fmt(b.p99, 1)} "
                    f"| {fmt(pa.rate)} [{pa.spread()}] | {fmt(pa.p50, 1)} | {fmt(pa.p99, 1)} "
                    f"| {fmt(pb.rate)} [{pb.spread()}] | {a.rate / b.rate:.2f} | {a.rate / pa.rate:.2f} |"
                )
            errors = [e for cell in service.values() for e in cell.errors]
            say(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
            ok &= not errors
        if http:
            say()
            say(
                f"HTTP level: wrk, {HTTP_CONNECTIONS} connections, {ROUNDS} x {HTTP_SECONDS} s per endpoint; "
                f"gunicorn {GUNICORN_WORKERS} sync workers"
            )
            say()
            say("| endpoint | requests/s | p50 ms | p99 ms | ratio to bare view | non-200 |")
            say("|---|---:|---:|---:|---:|---:|")
            bare = statistics.median(http["bare view"].rps)
            for name, cell in http.items():
                rps = statistics.median(cell.rps)
                lo, hi = min(cell.rps), max(cell.rps)
                say(
                    f"| {name} | {rps:,.0f} [{lo:,.0f}-{hi:,.0f}] | {statistics.median(cell.p50):.1f} "
                    f"| {statistics.median(cell.p99):.1f} | {rps / bare:.2f} | {cell.bad}"
                    + (f" (first: {cell.first_bad})" if cell.bad else "")
                    + " |"
                )
                ok &= cell.bad == 0
            gift_cell = http["gift POST"]
            say(
                f"gift POST: {gift_cell.requests:,} answered 200 to wrk, {info['gifts_recorded']:,} GiftSend rows "
                f"written (wrk stops counting requests still in flight when it ends)"
            )
            hwm, rss, warm = (int(info[k]) // 1024 for k in ("hwm_kb", "rss_kb", "rss_after_warmup_kb"))  # type: ignore[call-overload]
            total, workers = int(info["requests_total"]), max(1, int(info["workers"]))  # type: ignore[call-overload]
            say(
                f"web worker memory: peak RSS (VmHWM) {hwm} MiB, RSS now {rss} MiB (after warm-up {warm} MiB), "
                f"after {total:,} requests over {workers} workers (about {total // workers:,} each; "
                f"{int(info['soak_requests']):,} of them after the rounds, cycling the endpoints)"  # type: ignore[call-overload]
            )
            say(f"the hot creator has {info['hot_creator_gifts']:,} gifts (its page's leaderboards read them)")
        say()
        say("## Targets")
        if service:
            for n in (16, 64):
                if (n, "hot") in service:
                    r = service[(n, "hot")].rate / service[(n, "spread")].rate
                    say(f"- hot creator at {n} workers >= 0.9x spread: {r:.2f} -> {'MET' if r >= 0.9 else 'MISSED'}")
            if (16, "hot") in service:
                r = service[(16, "hot")].rate / service[(16, "pg_hot")].rate
                say(f"- service >= 0.3x pgbench at 16 workers: {r:.2f} -> {'MET' if r >= 0.3 else 'MISSED'}")
        if http:
            bare = statistics.median(http["bare view"].rps)
            for name in ("wallet page", "creator page", "live room"):
                r = statistics.median(http[name].rps) / bare
                say(f"- {name} >= 0.5x bare view: {r:.2f} -> {'MET' if r >= 0.5 else 'MISSED'}")
            p99 = statistics.median(http["gift POST"].p99)
            verdict = "MET" if p99 < 100 else "MISSED"
            say(f"- gift POST p99 < 100 ms at {HTTP_CONNECTIONS} connections: {p99:.0f} ms -> {verdict}")
        say(f"- ledger_check after every run: {'passed' if ok else 'FAILED (see above)'}")
        say()
        say(f"total time: {time.monotonic() - started:.0f} s")
    finally:
        from django.apps import apps
        from django.db import connections

        if apps.ready:
            connections.close_all()
        if not KEEP_DB:
            psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        sh(["redis-cli", "-u", REDIS_URL, "flushdb"])
        shutil.rmtree(static_root, ignore_errors=True)
        (BENCH / "last-run.md").write_text("\n".join(OUT) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

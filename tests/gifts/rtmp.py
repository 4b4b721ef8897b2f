"""The real video ingest for tests: nginx with the RTMP module from ``deploy/nginx-rtmp.conf`` (filled in as
``bin/stack`` fills it), and ffmpeg publishing a generated test pattern to it, as OBS would."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")


def available() -> bool:
    return Path(NGINX).exists() and RTMP_MODULE.exists() and shutil.which("ffmpeg") is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.1)


@dataclass(frozen=True)
class Ingest:
    rtmp_url: str  # what a creator pastes into OBS as the server
    hls_base: str  # where the playlists are served: <hls_base>/<session id>.m3u8
    prefix: Path


def fill(template: str, **values: str) -> str:
    for name, value in values.items():
        template = template.replace(f"@{name}@", value)
    assert "@" not in "".join(line.split("#")[0] for line in template.splitlines()), "a placeholder is left"
    return template


@contextmanager
def rtmp_ingest(tmp_path: Path, *, callback_base: str, secret: str) -> Iterator[Ingest]:
    prefix = tmp_path / "nginx-rtmp"
    for sub in ("logs", "tmp", "hls"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    rtmp_port, http_port = free_port(), free_port()
    conf = prefix / "nginx-rtmp.conf"
    conf.write_text(
        fill(
            (ROOT / "deploy" / "nginx-rtmp.conf").read_text(),
            RTMP_LISTEN=f"127.0.0.1:{rtmp_port}",
            HTTP_LISTEN=f"127.0.0.1:{http_port}",
            HLS_DIR=str(prefix / "hls"),
            CALLBACK_BASE=callback_base,
            CALLBACK_SECRET=secret,
            USER=getpass.getuser(),  # the test's own user: the workers write into its temporary directory
        )
    )
    process = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", f"{prefix}/", "-e", "logs/error.log", "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_port(rtmp_port, process, "nginx (RTMP)")
        yield Ingest(f"rtmp://127.0.0.1:{rtmp_port}/live", f"http://127.0.0.1:{http_port}/hls", prefix)
    finally:
        process.terminate()
        process.wait(timeout=10)


def publish(ingest: Ingest, key: str, *, seconds: int = 60) -> subprocess.Popen[bytes]:
    """ffmpeg sending a moving test pattern with a tone, as OBS would (H.264 + AAC over RTMP, a keyframe a second)."""
    return subprocess.Popen(
        [
            shutil.which("ffmpeg") or "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-re",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=size=640x360:rate=25:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "25",
            "-c:a",
            "aac",
            "-f",
            "flv",
            f"{ingest.rtmp_url}/{key}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

"""Video fixtures: generated sample files (a real 2-second MP4, the same cut in half, a text file renamed .mp4, an
AVI), a videos storage folder per test, and ready-made videos."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import CreatorProfile
from videos import services
from videos.models import Video


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, timeout=60)  # noqa: S607


def ffprobe(path: Path) -> dict[str, Any]:
    args = ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)]
    out = subprocess.run(args, check=True, capture_output=True, timeout=60)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    if not shutil.which("ffmpeg") or not shutil.which("ffprobe"):
        pytest.fail("The video tests need ffmpeg and ffprobe: apt-get install -y ffmpeg")
    folder = tmp_path_factory.mktemp("video-samples")
    mp4 = folder / "sample.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine",
        "-t", "2", "-c:v", "libx264", "-c:a", "aac", str(mp4),
    )  # fmt: skip
    avi = folder / "sample.avi"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "1", "-c:v", "mpeg4", str(avi))
    data = mp4.read_bytes()
    return {
        "mp4": data,
        "truncated": data[: len(data) // 2],
        "text": b"Dear diary, this is not a video at all.\n" * 20,
        "avi": avi.read_bytes(),
    }


@pytest.fixture(autouse=True)
def video_root(settings: Any, tmp_path: Path) -> Path:
    """The videos storage: a folder of this test's own (what tests check to prove nothing was left behind)."""
    root = tmp_path / "videos"
    settings.STORAGES = {
        **settings.STORAGES,
        "videos": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


def stored_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload_file(name: str, data: bytes, content_type: str = "video/mp4") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def make_video(samples: dict[str, bytes], django_capture_on_commit_callbacks: Any) -> Callable[..., Video]:
    """``make_video(creator, audience="public")``: uploaded and processed (the task runs eagerly on commit)."""

    def make(creator: CreatorProfile, *, audience: str = "public", title: str = "Sunset timelapse") -> Video:
        with django_capture_on_commit_callbacks(execute=True):
            video = services.video_upload_create(
                creator=creator, upload=upload_file("sunset.mp4", samples["mp4"]), title=title, audience=audience
            )
        video.refresh_from_db()
        assert video.status == "ready", video.failure_reason
        return video

    return make

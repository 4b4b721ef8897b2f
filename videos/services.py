"""Video writes: the upload (checked with ffprobe before anything is saved), the conversion into a web copy and a
poster (``video_process``, run by a Celery task), deletion, and gifts sent on a video.

Every file goes through Django's storage API (``video_storage()``, ``settings.STORAGES["videos"]``): ffmpeg works
on temporary files, and only finished outputs are stored. A refused upload writes nothing: no row, no file.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.models import CreatorProfile, User
from coinshop.celery import task_enqueue
from gifts.models import Gift, GiftSend
from gifts.sending.services import GiftRefused, gift_send

from .models import Audience, Video, VideoGift, VideoStatus
from .selectors import video_access_problem

log = logging.getLogger(__name__)

EXTENSIONS = (".mp4", ".m4v", ".mov", ".webm")
# ffprobe's demuxer names (its ``format_name``, comma-separated) for the containers we take: MP4 and MOV share one
# demuxer ("mov,mp4,m4a,3gp,3g2,mj2"), WebM is read by the Matroska one ("matroska,webm").
CONTAINERS = {"mp4": "MP4", "mov": "MOV", "webm": "WebM"}
ACCEPTED = "Upload an MP4, WebM or MOV video."
DAMAGED = (
    "This video is damaged or incomplete (it may have been cut off while copying or uploading). "
    "Export or copy it again and upload the whole file."
)
NOT_A_VIDEO = f"This file is not a video. {ACCEPTED}"


class VideoRefused(ValidationError):
    """An upload (or a stored original) that cannot become a video, with the reason in words."""


class VideoBusy(Exception):
    """Another worker is converting this video now (its lease has not expired): try again later."""


@dataclass(frozen=True)
class VideoFacts:
    """What ffprobe says about a file that passed every check."""

    container: str
    duration: Decimal  # seconds
    width: int
    height: int
    has_audio: bool


def video_storage() -> Storage:
    return storages["videos"]


def _duration_words(seconds: float) -> str:
    minutes = round(seconds / 60)
    if seconds < 60:
        return f"{round(seconds)} seconds"
    if minutes < 60:
        return f"{minutes} minutes"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _looks_like_a_video_container(path: Path) -> bool:
    """The first bytes of an MP4/MOV (an ``ftyp``, ``moov``, ``mdat``... box) or a WebM (EBML): a file that starts
    like a video but that ffprobe cannot read is a damaged video rather than something else renamed."""
    with path.open("rb") as f:
        head = f.read(12)
    return head[4:8] in {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"} or head[:4] == b"\x1aE\xdf\xa3"


def _run(args: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed binaries from settings, file paths we made
        args, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
    )


def video_probe(*, path: Path) -> VideoFacts:
    """Check a file with ffprobe (and decode its last second with ffmpeg): a video in an accepted container, not
    damaged, not too long. Raises ``VideoRefused`` with the reason in words."""
    timeout = settings.VIDEO_PROBE_SECONDS
    args = [settings.FFPROBE_BINARY, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)]
    try:
        probe = _run(args, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise VideoRefused(f"Checking this file took more than {timeout} seconds; it may be damaged.") from exc
    try:
        info: dict[str, Any] = json.loads(probe.stdout or "{}")
    except json.JSONDecodeError:
        info = {}
    fmt = info.get("format") or {}
    if probe.returncode != 0 or not fmt:
        raise VideoRefused(DAMAGED if _looks_like_a_video_container(path) else NOT_A_VIDEO)
    demuxers = set(str(fmt.get("format_name", "")).split(","))
    container = next((c for c in CONTAINERS if c in demuxers), None)
    if container is None:
        name = fmt.get("format_long_name") or fmt.get("format_name") or "unknown"
        raise VideoRefused(f"This format ({name}) is not supported. {ACCEPTED}")
    streams = info.get("streams") or []
    pictures = [
        s for s in streams if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    if not pictures:
        raise VideoRefused(f"This file has no moving picture (only sound or a still image). {ACCEPTED}")
    picture = pictures[0]
    try:
        duration = Decimal(str(fmt.get("duration") or picture.get("duration") or "0")).quantize(Decimal("0.001"))
        width, height = int(picture.get("width") or 0), int(picture.get("height") or 0)
    except (ArithmeticError, ValueError):
        raise VideoRefused(DAMAGED) from None
    if duration <= 0 or not width or not height:
        raise VideoRefused(DAMAGED)
    if duration > settings.VIDEO_MAX_SECONDS:
        raise VideoRefused(
            f"This video is too long ({_duration_words(float(duration))}). "
            f"Videos can be at most {_duration_words(settings.VIDEO_MAX_SECONDS)} long."
        )
    # A file cut short whose index is at the start (a "fast start" MP4) passes ffprobe: its last second does not
    # decode. Seeking there is quick whatever the length.
    args = [settings.FFMPEG_BINARY, "-nostdin", "-v", "error", "-sseof", "-1", "-i", str(path), "-f", "null", "-"]
    try:
        tail = _run(args, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise VideoRefused(f"Checking this file took more than {timeout} seconds; it may be damaged.") from exc
    if tail.returncode != 0 or "partial file" in tail.stderr or "Invalid data found" in tail.stderr:
        raise VideoRefused(DAMAGED)
    has_audio = any(s.get("codec_type") == "audio" for s in streams)
    return VideoFacts(container=container, duration=duration, width=width, height=height, has_audio=has_audio)


@contextmanager
def _local_path(upload: UploadedFile, suffix: str) -> Iterator[Path]:
    """A path on disk holding the upload: Django's own temporary file for large uploads, else a copy."""
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        yield Path(temporary())
        return
    with tempfile.TemporaryDirectory(prefix="coinshop-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        yield path


def video_upload_create(
    *,
    creator: CreatorProfile,
    upload: UploadedFile,
    title: str,
    description: str = "",
    audience: str = Audience.PUBLIC,
) -> Video:
    """Check an upload and, if it is a video we take, store it and queue its conversion.

    Refused (``VideoRefused``) before anything is written: a file that is not a video, damaged or cut short, too
    large, too long, or in another format.
    """
    filename = upload.name or ""
    suffix = Path(filename).suffix.lower()
    title = title.strip()
    if not title:
        raise VideoRefused("Give the video a title.")
    if audience not in Audience.values:
        raise VideoRefused("Choose who may watch the video: everyone or subscribers only.")
    if suffix not in EXTENSIONS:
        raise VideoRefused(f"{ACCEPTED} This file is not one (a .mp4, .webm or .mov file).")
    size = upload.size or 0
    if size == 0:
        raise VideoRefused("This file is empty.")
    if size > settings.VIDEO_MAX_BYTES:
        raise VideoRefused(
            f"This file is too large ({filesizeformat(size)}). "
            f"Videos can be at most {filesizeformat(settings.VIDEO_MAX_BYTES)}."
        )
    with _local_path(upload, suffix) as path:
        facts = video_probe(path=path)
    video = Video(
        creator=creator,
        title=title,
        description=description.strip(),
        audience=audience,
        status=VideoStatus.PROCESSING,
        uploaded_filename=Path(filename).name[:255],
        size_bytes=size,
        duration_seconds=facts.duration,
        width=facts.width,
        height=facts.height,
    )
    storage = video_storage()
    stored = ""
    try:
        with transaction.atomic():
            upload.seek(0)
            stored = storage.save(f"{video.public_id}/original{suffix}", upload)
            video.original_name = stored
            video.save()
            transaction.on_commit(lambda: _queue_processing(video.pk))
    except BaseException:
        if stored:
            storage.delete(stored)
        raise
    return video


def _queue_processing(video_id: int) -> None:
    task_enqueue("videos.tasks.video_process_task", video_id)


def _ffmpeg(args: list[str], *, timeout: float) -> None:
    """Run ffmpeg; a failure or a timeout becomes ``VideoRefused`` with the reason in words."""
    try:
        result = _run([settings.FFMPEG_BINARY, "-nostdin", "-v", "error", "-y", *args], timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise VideoRefused(
            f"Converting this video took more than {_duration_words(timeout)}. Upload a shorter or smaller file."
        ) from exc
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no details"])[-1][:140]
        raise VideoRefused(f"This video could not be converted; the file may be damaged (ffmpeg said: {detail}).")


def _delete_files(storage: Storage, names: list[str]) -> None:
    for name in names:
        if name:
            try:
                storage.delete(name)
            except OSError:
                log.warning("could not delete video file %s", name, exc_info=True)


def _lease() -> timedelta:
    return timedelta(seconds=settings.VIDEO_PROCESS_SECONDS + 60)


def video_process(*, video_id: int, now: datetime | None = None) -> str:
    """Make a video's web copy (H.264/AAC MP4, fast start) and poster; returns the video's status afterwards.

    Safe to run twice: a video already ready or failed is left alone, and while one worker converts a video (its
    lease, ``processing_started_at``) another gets ``VideoBusy`` and tries later. On failure the video is marked
    failed with the reason and its files are deleted.
    """
    now = now or timezone.now()
    claimed = (
        Video.objects.filter(pk=video_id, status=VideoStatus.PROCESSING)
        .filter(Q(processing_started_at__isnull=True) | Q(processing_started_at__lt=now - _lease()))
        .update(processing_started_at=now)
    )
    if not claimed:
        status = Video.objects.filter(pk=video_id).values_list("status", flat=True).first()
        if status is None:
            return "deleted"
        if status != VideoStatus.PROCESSING:
            return status
        raise VideoBusy(f"video {video_id} is being converted by another worker")
    video = Video.objects.get(pk=video_id)
    storage = video_storage()
    outputs: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="coinshop-video-") as folder:
            tmp = Path(folder)
            source = tmp / f"original{Path(video.original_name).suffix}"
            with storage.open(video.original_name, "rb") as stored, source.open("wb") as out:
                shutil.copyfileobj(stored, out, 1024 * 1024)
            video_probe(path=source)
            web, poster = tmp / "web.mp4", tmp / "poster.jpg"
            max_height = settings.VIDEO_MAX_HEIGHT
            _ffmpeg(
                [
                    "-i", str(source),
                    "-map", "0:v:0", "-map", "0:a:0?",
                    "-vf", f"scale=-2:'trunc(min({max_height},ih)/2)*2'",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "128k", "-ac", "2",
                    "-movflags", "+faststart", "-f", "mp4", str(web),
                ],
                timeout=settings.VIDEO_PROCESS_SECONDS,
            )  # fmt: skip
            facts = video_probe(path=web)
            at = min(Decimal(1), facts.duration / 2)
            _ffmpeg(
                ["-ss", str(at), "-i", str(web), "-frames:v", "1", "-q:v", "3", "-update", "1", str(poster)],
                timeout=settings.VIDEO_PROBE_SECONDS,
            )
            if not poster.exists():
                raise VideoRefused("No poster frame could be taken from this video; the file may be damaged.")
            for path in (web, poster):
                name = f"{video.public_id}/{path.name}"
                if storage.exists(name):  # left by a run that died halfway
                    storage.delete(name)
                with path.open("rb") as content:
                    outputs.append(storage.save(name, File(content, name=path.name)))
    except VideoRefused as exc:
        _delete_files(storage, [*outputs, video.original_name])
        return _video_fail(video_id=video.pk, reason=exc.messages[0])
    except BaseException:
        _delete_files(storage, outputs)
        Video.objects.filter(pk=video.pk, processing_started_at=now).update(processing_started_at=None)
        raise
    with transaction.atomic():
        current = Video.objects.select_for_update().filter(pk=video.pk).first()
        if current is None or current.status != VideoStatus.PROCESSING:  # deleted, or finished by another run
            keep = {current.web_name, current.poster_name} if current else set()
            transaction.on_commit(lambda: _delete_files(storage, [n for n in outputs if n not in keep]))
            return current.status if current else "deleted"
        current.status = VideoStatus.READY
        current.web_name, current.poster_name = outputs
        current.duration_seconds, current.width, current.height = facts.duration, facts.width, facts.height
        current.processed_at = timezone.now()
        current.processing_started_at = None
        current.failure_reason = ""
        current.save()
    return VideoStatus.READY


def _video_fail(*, video_id: int, reason: str) -> str:
    Video.objects.filter(pk=video_id, status=VideoStatus.PROCESSING).update(
        status=VideoStatus.FAILED,
        failure_reason=reason[:300],
        original_name="",
        processing_started_at=None,
        processed_at=timezone.now(),
    )
    return VideoStatus.FAILED


def video_fail(*, video_id: int, reason: str) -> str:
    """Give up on a video (the task ran out of retries): failed with the reason, its files deleted."""
    video = Video.objects.filter(pk=video_id, status=VideoStatus.PROCESSING).first()
    if video is None:
        return "unchanged"
    name = f"{video.public_id}/"
    _delete_files(video_storage(), [video.original_name, name + "web.mp4", name + "poster.jpg"])
    return _video_fail(video_id=video_id, reason=reason)


def video_delete(*, video: Video, by: User) -> None:
    """The creator deletes a video and its files. One that received gifts stays: the gifts and earnings refer to it."""
    if video.creator.user_id != by.pk:
        raise VideoRefused("Only the creator can delete this video.")
    with transaction.atomic():
        locked = Video.objects.select_for_update().get(pk=video.pk)
        if VideoGift.objects.filter(video=locked).exists():
            raise VideoRefused("This video has received gifts, so it cannot be deleted.")
        names = [locked.original_name, locked.web_name, locked.poster_name]
        locked.delete()
        storage = video_storage()
        transaction.on_commit(lambda: _delete_files(storage, names))


def video_gift_send(
    *,
    sender: User,
    video: Video,
    gift: Gift,
    quantity: int = 1,
    visibility: str | None = None,
    idempotency_key: uuid.UUID | None = None,
    now: datetime | None = None,
) -> GiftSend:
    """Send a gift to the video's creator, recorded with the video: ``gifts.sending.services.gift_send`` and the
    ``VideoGift`` row in one transaction, with the same rules (and the same idempotency key) as any gift."""
    now = now or timezone.now()
    if not video.is_ready:
        raise GiftRefused("This video is not ready yet.")
    problem = video_access_problem(video=video, user=sender, at=now)
    if problem:
        raise GiftRefused(problem)
    with transaction.atomic():
        send = gift_send(
            sender=sender,
            creator=video.creator,
            gift=gift,
            quantity=quantity,
            visibility=visibility,
            idempotency_key=idempotency_key,
            now=now,
        )
        if send.created_at == now:  # sent now (a repeated form gets the earlier send back, already recorded)
            VideoGift.objects.create(video=video, gift_send=send, created_at=now)
    return send

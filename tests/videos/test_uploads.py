"""Uploading: what is refused (with the reason, leaving nothing behind), and what is converted into a web copy and a
poster by the task."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from videos import services
from videos.models import Video
from videos.services import VideoBusy, VideoRefused, video_storage

from .conftest import ffmpeg, ffprobe, stored_files, upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator(make_creator):
    return make_creator("vera")


def _post(client, creator, name: str, data: bytes, **fields):
    client.force_login(creator.user)
    return client.post(
        "/videos/new/",
        {"file": upload_file(name, data), "title": "My clip", "audience": "public", **fields},
    )


@pytest.mark.parametrize(
    ("sample", "name", "reason"),
    [
        ("text", "notes.mp4", "This file is not a video. Upload an MP4, WebM or MOV video."),
        ("truncated", "cut.mp4", "This video is damaged or incomplete"),
        ("avi", "old.mp4", "This format (AVI (Audio Video Interleaved)) is not supported."),
        ("mp4", "clip.txt", "Upload an MP4, WebM or MOV video. This file is not one"),
    ],
)
def test_a_file_that_is_not_a_video_we_take_is_refused_and_leaves_nothing(
    client, creator, samples, video_root, django_capture_on_commit_callbacks, sample, name, reason
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _post(client, creator, name, samples[sample])
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not Video.objects.exists()
    assert stored_files(video_root) == []
    assert callbacks == []  # no task queued


def test_too_large_and_too_long_are_refused_with_the_limits(client, creator, samples, settings, video_root):
    settings.VIDEO_MAX_BYTES = 10_000
    response = _post(client, creator, "clip.mp4", samples["mp4"])
    assert response.status_code == 400
    assert "This file is too large" in response.content.decode()
    assert "Videos can be at most 9.8\xa0KB." in response.content.decode()
    settings.VIDEO_MAX_BYTES = 500 * 1024 * 1024
    settings.VIDEO_MAX_SECONDS = 1
    response = _post(client, creator, "clip.mp4", samples["mp4"])
    assert "This video is too long (2 seconds). Videos can be at most 1 seconds long." in response.content.decode()
    assert not Video.objects.exists()
    assert stored_files(video_root) == []


def test_a_video_cut_short_that_starts_with_its_index_is_refused_too(creator, tmp_path, samples):
    """A "fast start" MP4 (its index first) cut in half still passes ffprobe; its last second does not decode."""
    source, faststart = tmp_path / "in.mp4", tmp_path / "fs.mp4"
    source.write_bytes(samples["mp4"])
    ffmpeg("-i", str(source), "-c", "copy", "-movflags", "+faststart", str(faststart))
    data = faststart.read_bytes()
    with pytest.raises(VideoRefused, match="damaged or incomplete"):
        services.video_upload_create(creator=creator, upload=upload_file("fs.mp4", data[: len(data) // 2]), title="x")
    assert not Video.objects.exists()


def test_an_upload_is_stored_then_converted_to_a_web_copy_and_a_poster(
    client, creator, samples, video_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _post(client, creator, "Holiday Clip.MP4", samples["mp4"], audience="subscribers")
    video = Video.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/v/{video.public_id}/"
    assert len(callbacks) == 1  # the conversion was queued on commit (and ran: eager)
    assert video.status == "ready"
    assert video.audience == "subscribers"
    assert video.uploaded_filename == "Holiday Clip.MP4"
    assert video.size_bytes == len(samples["mp4"])
    assert float(video.duration_seconds) == pytest.approx(2.0, abs=0.1)
    assert (video.width, video.height) == (320, 240)
    pid = video.public_id
    assert stored_files(video_root) == [f"{pid}/original.mp4", f"{pid}/poster.jpg", f"{pid}/web.mp4"]
    web = video_root / video.web_name
    info = ffprobe(web)
    codecs = {s["codec_type"]: s["codec_name"] for s in info["streams"]}
    assert codecs == {"video": "h264", "audio": "aac"}
    assert [s["pix_fmt"] for s in info["streams"] if s["codec_type"] == "video"] == ["yuv420p"]
    data = web.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat"), "the web copy is not fast start"
    assert (video_root / video.poster_name).read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG
    page = client.get(f"/v/{pid}/").content.decode()
    assert f'src="/v/{pid}/video.mp4"' in page
    assert f'poster="/v/{pid}/poster.jpg"' in page


def test_a_video_without_sound_is_fine(creator, tmp_path, django_capture_on_commit_callbacks):
    silent = tmp_path / "silent.webm"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "1", "-c:v", "libvpx", str(silent))
    with django_capture_on_commit_callbacks(execute=True):
        video = services.video_upload_create(
            creator=creator, upload=upload_file("silent.webm", silent.read_bytes(), "video/webm"), title="Quiet"
        )
    video.refresh_from_db()
    assert video.status == "ready", video.failure_reason
    assert video.web_name.endswith("web.mp4")


def test_processing_twice_changes_nothing_and_a_busy_video_waits(creator, samples, video_root, make_video):
    video = make_video(creator)
    before = stored_files(video_root)
    assert services.video_process(video_id=video.pk) == "ready"
    assert stored_files(video_root) == before
    # While one worker holds a video (its lease), another is told to try later.
    with pytest.raises(VideoBusy):
        other = services.video_upload_create(creator=creator, upload=upload_file("b.mp4", samples["mp4"]), title="B")
        Video.objects.filter(pk=other.pk).update(processing_started_at=other.created_at)
        services.video_process(video_id=other.pk, now=other.created_at)


def test_a_stored_file_that_cannot_be_converted_fails_with_the_reason_and_its_files_are_deleted(
    creator, samples, video_root
):
    video = services.video_upload_create(creator=creator, upload=upload_file("a.mp4", samples["mp4"]), title="A")
    storage = video_storage()
    storage.delete(video.original_name)  # the stored original is damaged after the upload's check
    storage.save(video.original_name, ContentFile(samples["truncated"]))
    assert services.video_process(video_id=video.pk) == "failed"
    video.refresh_from_db()
    assert video.status == "failed"
    assert video.failure_reason.startswith("This video is damaged or incomplete")
    assert stored_files(video_root) == []


def test_the_creator_sees_processing_then_ready_and_failed_with_the_reason(client, creator, samples, make_user):
    video = services.video_upload_create(creator=creator, upload=upload_file("a.mp4", samples["mp4"]), title="A")
    client.force_login(creator.user)
    page = client.get(f"/v/{video.public_id}/").content.decode()
    assert "Processing" in page
    assert client.get(f"/v/{video.public_id}/status.json").json()["status"] == "processing"
    assert "Processing" in client.get("/videos/mine/").content.decode()
    client.force_login(make_user())  # nobody else sees a video before it is ready
    assert client.get(f"/v/{video.public_id}/").status_code == 404
    Video.objects.filter(pk=video.pk).update(status="failed", failure_reason="This video is damaged or incomplete.")
    client.force_login(creator.user)
    page = client.get(f"/v/{video.public_id}/").content.decode()
    assert "Failed</strong>: This video is damaged or incomplete." in page
    assert client.get(f"/v/{video.public_id}/status.json").json() == {
        "status": "failed",
        "label": "Failed",
        "reason": "This video is damaged or incomplete.",
    }


def test_only_creators_upload(client, viewer):
    client.force_login(viewer)
    response = client.get("/videos/new/")
    assert response.status_code == 302
    assert response["Location"] == "/creator/become/"
    assert client.get("/videos/new/", follow=False).status_code == 302
    client.logout()
    assert client.get("/videos/new/")["Location"].startswith("/accounts/login/")


def test_the_creator_deletes_a_video_and_its_files(
    client, creator, make_video, video_root, django_capture_on_commit_callbacks
):
    video = make_video(creator)
    client.force_login(creator.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/v/{video.public_id}/delete/")
    assert response.status_code == 302
    assert not Video.objects.exists()
    assert stored_files(video_root) == []

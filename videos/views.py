"""Thin video views: upload, the creator's list, the video page (player, gift panel, the video's gifts), the file and
poster (each access-checked), status polling, gifts on a video, deletion."""

from __future__ import annotations

import mimetypes
import os
import re
import uuid
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.selectors import creator_get_for_user
from coinshop.http import request_user
from gifts.models import GiftSend
from gifts.sending.views import gift_form_parse, gift_panel_context, gift_send_answer
from gifts.subscriptions.selectors import subscriber_is_current

from . import selectors, services
from .forms import VideoUploadForm
from .models import Video

RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$", re.ASCII)  # ASCII digits only, at most 18
CHUNK = 64 * 1024


def _video_or_404(public_id: uuid.UUID, request: HttpRequest) -> Video:
    """The video, if it exists and is ready (or the creator is asking: they see it while it processes or failed)."""
    video = selectors.video_get(public_id=public_id)
    if video is None or not (video.is_ready or selectors.video_is_own(video=video, user=request_user(request))):
        raise Http404("No such video.")
    return video


@login_required
def video_upload(request: HttpRequest) -> HttpResponse:
    creator = creator_get_for_user(user=request_user(request))
    if creator is None:
        messages.info(request, "Become a creator to upload videos.")
        return redirect("creator_become")
    form = VideoUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            video = services.video_upload_create(
                creator=creator,
                upload=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                audience=form.cleaned_data["audience"],
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages[0])
        else:
            messages.success(
                request, f"“{video.title}” is uploaded and being processed. This page shows when it is ready."
            )
            return redirect(video)
    return render(request, "videos/upload.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def video_mine(request: HttpRequest) -> HttpResponse:
    creator = creator_get_for_user(user=request_user(request))
    if creator is None:
        return redirect("creator_become")
    return render(request, "videos/mine.html", {"videos": selectors.video_list_mine(creator=creator)})


def video_page(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    video = _video_or_404(public_id, request)
    user = request_user(request)
    problem = selectors.video_access_problem(video=video, user=user)
    if problem:
        return render(request, "videos/locked.html", {"video": video, "problem": problem}, status=403)
    subscriber = subscriber_is_current(subscriber=user, creator=video.creator)
    return render(
        request,
        "videos/page.html",
        {
            "video": video,
            "profile": video.creator,
            "is_own_video": selectors.video_is_own(video=video, user=user),
            "summary": selectors.video_gift_summary(video=video) if video.is_ready else None,
            "gift_action": reverse("video_gift_send", args=[video.public_id]),
            **gift_panel_context(request, video.creator, subscriber),
        },
    )


def _file_response(request: HttpRequest, name: str) -> HttpResponseBase:
    """A stored file, after the access check: by nginx (X-Accel-Redirect), from the folder (with HTTP Range
    support: browsers seek in a video with byte ranges), or by a signed URL of the object store."""
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    storage = services.video_storage()
    if settings.VIDEO_ACCEL_REDIRECT_PREFIX:
        accel = HttpResponse(content_type=content_type)  # nginx sends the file (an `internal` location)
        accel["X-Accel-Redirect"] = settings.VIDEO_ACCEL_REDIRECT_PREFIX.rstrip("/") + "/" + quote(name)
        accel["Cache-Control"] = "private, max-age=3600"
        return accel
    try:
        path = storage.path(name)
    except NotImplementedError:  # an object store (S3-compatible): a short-lived signed URL
        redirect_response = HttpResponseRedirect(storage.url(name))
        redirect_response["Cache-Control"] = "private, no-store"
        return redirect_response
    try:
        size = os.path.getsize(path)
        file = open(path, "rb")  # noqa: SIM115 - closed by the response
    except FileNotFoundError:
        raise Http404("This file is missing.") from None
    response: HttpResponseBase
    match = RANGE.match(request.headers.get("Range", "").strip())
    if match and (match.group(1) or match.group(2)):
        first, last = match.group(1), match.group(2)
        start, end = (int(first), int(last) if last else size - 1) if first else (max(0, size - int(last)), size - 1)
        end = min(end, size - 1)
        if start > end or start >= size:
            file.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        file.seek(start)
        response = StreamingHttpResponse(_read(file, end - start + 1), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    else:
        response = FileResponse(file, content_type=content_type)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _read(file: BinaryIO, length: int) -> Iterator[bytes]:
    try:
        while length > 0:
            chunk = file.read(min(CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        file.close()


def _watchable_file(request: HttpRequest, public_id: uuid.UUID, field: str) -> HttpResponseBase:
    video = selectors.video_get(public_id=public_id)
    if video is None or not video.is_ready:
        raise Http404("No such video.")
    problem = selectors.video_access_problem(video=video, user=request_user(request))
    if problem:
        return HttpResponseForbidden(problem, content_type="text/plain; charset=utf-8")
    return _file_response(request, getattr(video, field))


@require_safe
def video_file(request: HttpRequest, public_id: uuid.UUID) -> HttpResponseBase:
    return _watchable_file(request, public_id, "web_name")


@require_safe
def video_poster(request: HttpRequest, public_id: uuid.UUID) -> HttpResponseBase:
    return _watchable_file(request, public_id, "poster_name")


@never_cache
def video_status(request: HttpRequest, public_id: uuid.UUID) -> JsonResponse:
    video = _video_or_404(public_id, request)
    return JsonResponse({"status": video.status, "label": video.get_status_display(), "reason": video.failure_reason})


def _send_from_form(request: HttpRequest, video: Video) -> GiftSend | str:
    """Parse the gift panel's form and send on the video; returns the send, or the reason it was refused."""
    parsed = gift_form_parse(request)
    if isinstance(parsed, str):
        return parsed
    data, gift = parsed
    try:
        return services.video_gift_send(
            sender=request_user(request),
            video=video,
            gift=gift,
            quantity=data["quantity"],
            visibility=data["visibility"],
            idempotency_key=data["idempotency_key"],
        )
    except ValidationError as exc:
        return str(exc.messages[0])


@login_required
@require_POST
def video_gift_send(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The gift panel on a video page posts here: the same answers as ``gifts.sending.views.gift_send`` (JSON for
    the page's script, a redirect back otherwise), the gift recorded with the video."""
    video = _video_or_404(public_id, request)
    return gift_send_answer(
        request,
        _send_from_form(request, video),
        describe=lambda send: (
            f"You sent {send.quantity} × {send.gift.name} to {video.creator.display_name} on “{video.title}”."
        ),
        back=video.get_absolute_url(),
    )


@login_required
@require_POST
def video_delete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    video = selectors.video_get(public_id=public_id)
    if video is None or not selectors.video_is_own(video=video, user=request_user(request)):
        raise Http404("No such video.")
    try:
        services.video_delete(video=video, by=request_user(request))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect(video)
    messages.success(request, f"“{video.title}” is deleted.")
    return redirect("video_mine")

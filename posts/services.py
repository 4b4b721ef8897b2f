"""Post writes: create, edit, delete (the creator), hide and show again (staff, audited). Images are re-encoded with
Pillow (what is stored is an image we wrote, never the upload's bytes) into the private videos storage."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.audit import audit_record
from accounts.models import CreatorProfile, User
from videos.models import Video
from videos.services import video_storage

from .models import Post, PostAudience

IMAGE_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
TEASER_MAX_LENGTH = 200


class PostRefused(ValidationError):
    """A post that may not be written as asked, with the reason in words. Nothing was written."""


@dataclass(frozen=True)
class PostContent:
    text: str
    teaser: str = ""
    audience: str = PostAudience.EVERYONE
    min_coins: int | None = None
    window_days: int | None = None
    video: Video | None = None


def post_storage() -> Storage:
    return video_storage()  # private: never served under MEDIA_URL (see settings: POST_*)


def _too_big(width: int | None = None, height: int | None = None) -> PostRefused:
    size = "" if width is None or height is None else f" {width} × {height} pixels."
    return PostRefused(
        f"The image is too big:{size} At most {settings.POST_IMAGE_MAX_PIXELS:,} pixels (width × height) are taken: "
        "make it smaller and try again."
    )


def _image_encode(upload: UploadedFile) -> tuple[bytes, str, int, int]:
    """The upload as an image we wrote: oriented, scaled down to ``POST_IMAGE_MAX_SIDE``, metadata dropped; JPEG,
    or PNG when it has transparency. Raises ``PostRefused`` with the reason for anything else.

    Memory stays bounded: the size is read from the header (``Image.open`` decodes nothing) and refused above
    ``POST_IMAGE_MAX_PIXELS`` before any decoding; ``thumbnail`` then decodes a JPEG at a reduced scale (``draft``)
    and shrinks others by an integer factor (``reduce``) before resampling, and only the small picture is turned,
    converted and encoded."""
    if upload.size is not None and upload.size > settings.POST_IMAGE_MAX_BYTES:
        limit = settings.POST_IMAGE_MAX_BYTES / (1024 * 1024)
        raise PostRefused(f"The image is too large: the limit is {limit:g} MB.")
    upload.seek(0)
    side = settings.POST_IMAGE_MAX_SIDE
    try:
        with Image.open(upload) as image:
            width, height = image.size
            if image.format not in IMAGE_FORMATS:
                raise PostRefused("Upload a PNG, JPEG, GIF or WebP image.")
            if width * height > settings.POST_IMAGE_MAX_PIXELS:
                raise _too_big(width, height)
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            mode = "RGBA" if has_alpha else "RGB"
            image.draft(None, (side, side))  # a JPEG decodes at 1/2, 1/4 or 1/8 scale, never below ``side``
            picture: Image.Image = image
            if picture.mode not in ("RGB", "RGBA", "L", "LA"):
                picture = picture.convert(mode)  # palette and 1-bit images scale badly (nearest) as they are
            picture.thumbnail((side, side))  # draft (JPEG) / reduce, then resample: the rest works on the small one
            picture = ImageOps.exif_transpose(picture) or picture
            picture = picture.convert(mode)
            out = io.BytesIO()
            if has_alpha:
                picture.save(out, format="PNG", optimize=True)
            else:
                picture.save(out, format="JPEG", quality=85, optimize=True)
            return out.getvalue(), "png" if has_alpha else "jpg", picture.width, picture.height
    except PostRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_big() from None  # Pillow's own limit (far above ours), met while opening
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise PostRefused("This file is not an image we can read. Upload a PNG, JPEG, GIF or WebP image.") from None


def _check(*, creator: CreatorProfile, content: PostContent, image: bool) -> None:
    if not content.text.strip():
        raise PostRefused("Write the post's text.")
    if len(content.text) > settings.POST_MAX_LENGTH:
        raise PostRefused(
            f"A post can be at most {settings.POST_MAX_LENGTH:,} characters; yours has {len(content.text):,}."
        )
    if len(content.teaser) > TEASER_MAX_LENGTH:
        raise PostRefused(f"The teaser can be at most {TEASER_MAX_LENGTH} characters.")
    if content.audience not in PostAudience.values:
        raise PostRefused("Choose who may see the post.")
    if content.audience == PostAudience.SUPPORTERS and not (
        content.min_coins and content.min_coins > 0 and content.window_days and content.window_days > 0
    ):
        raise PostRefused("For supporters, say how many coins they gifted and in how many days.")
    if content.video is not None and content.video.creator_id != creator.pk:
        raise PostRefused("A post can show only one of your own videos.")
    if content.video is not None and image:
        raise PostRefused("Add an image or a video, not both.")


def _store_image(upload: UploadedFile, post_id: uuid.UUID) -> tuple[str, int, int]:
    data, ext, width, height = _image_encode(upload)
    name = post_storage().save(f"posts/{post_id}/{uuid.uuid4().hex}.{ext}", ContentFile(data))
    return name, width, height


def _delete_file_on_commit(name: str) -> None:
    if name:
        transaction.on_commit(lambda: post_storage().delete(name))


def post_create(*, creator: CreatorProfile, content: PostContent, image: UploadedFile | None = None) -> Post:
    _check(creator=creator, content=content, image=image is not None)
    post = Post(creator=creator)
    _apply(post, content)
    if image is not None:
        post.image_name, post.image_width, post.image_height = _store_image(image, post.public_id)
    try:
        post.save()
    except Exception:
        if post.image_name:
            post_storage().delete(post.image_name)
        raise
    return post


def _apply(post: Post, content: PostContent) -> None:
    post.text = content.text.strip()
    post.teaser = content.teaser.strip()
    post.audience = content.audience
    supporters = content.audience == PostAudience.SUPPORTERS
    post.min_coins = content.min_coins if supporters else None
    post.window_days = content.window_days if supporters else None
    post.video = content.video


def _own(post: Post, by: User) -> None:
    if post.creator.user_id != by.pk:
        raise PostRefused("Only the post's creator can change it.")


def post_update(
    *, post: Post, by: User, content: PostContent, image: UploadedFile | None = None, remove_image: bool = False
) -> Post:
    """Edit a post: its text, audience, image (replaced, removed or kept) and video."""
    _own(post, by)
    keeps_image = bool(post.image_name) and not remove_image and image is None
    _check(creator=post.creator, content=content, image=image is not None or keeps_image)
    old_image = post.image_name
    new_image = ("", None, None) if image is None else _store_image(image, post.public_id)
    try:
        with transaction.atomic():
            post = Post.objects.select_for_update().select_related("creator").get(pk=post.pk)
            _apply(post, content)
            if image is not None or remove_image:
                post.image_name, post.image_width, post.image_height = new_image
                _delete_file_on_commit(old_image)
            post.edited_at = timezone.now()
            post.save()
    except Exception:
        if new_image[0]:
            post_storage().delete(new_image[0])
        raise
    return post


def post_delete(*, post: Post, by: User) -> None:
    _own(post, by)
    with transaction.atomic():
        Post.objects.filter(pk=post.pk).delete()
        _delete_file_on_commit(post.image_name)


def post_hide(*, post: Post, by: User, hidden: bool, reason: str = "") -> Post:
    """Staff hide a post (nobody but its creator sees it, and an attached video stays refused), or show it again."""
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.is_hidden == hidden:
            return post
        post.hidden_at = timezone.now() if hidden else None
        post.hidden_by = by if hidden else None
        post.save(update_fields=["hidden_at", "hidden_by"])
        audit_record(actor=by, action="post.hide" if hidden else "post.show", obj=post, reason=reason)
    return post


def posts_erase(*, creator: CreatorProfile) -> int:
    """A closing account (``coinshop.closing``): the creator's posts go, their texts now and their image files once
    committed. Returns how many posts were deleted."""
    images = list(Post.objects.filter(creator=creator).exclude(image_name="").values_list("image_name", flat=True))
    deleted, _ = Post.objects.filter(creator=creator).delete()
    for name in images:
        _delete_file_on_commit(name)
    return deleted

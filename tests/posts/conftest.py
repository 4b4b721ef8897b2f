"""Post fixtures: a creator with a subscription plan, the people who look at posts (a stranger, a subscriber, a
supporter who gifted recently, the creator), real images made with Pillow, and the videos fixtures."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import CreatorProfile, User
from gifts.models import Gift, SubscriptionPlan
from gifts.sending.services import gift_send
from gifts.subscriptions.services import subscription_start
from posts.models import Post
from posts.services import PostContent, post_create
from tests.videos.conftest import make_video, samples, video_root  # noqa: F401 (fixtures)


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 40, 90) if mode == "RGB" else (200, 40, 90, 128)).save(out, format=fmt)
    return out.getvalue()


def huge_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of ``width`` x ``height`` pixels that is only a few kilobytes (its rows of zeros
    compress to almost nothing), written row by row so making it needs no memory: what a decompression bomb looks
    like."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then 1 bit a pixel
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def upload(name: str = "photo.png", data: bytes | None = None, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type=content_type)


@pytest.fixture
def creator(make_creator: Callable[..., CreatorProfile]) -> CreatorProfile:
    creator = make_creator("vera")
    SubscriptionPlan.objects.create(creator=creator, name="Inner circle", coins_per_month=100)
    return creator


@pytest.fixture
def rose(db: None) -> Gift:
    return Gift.objects.create(slug="rose", name="Rose", coin_cost=10, artwork="gifts/rose.svg")


@pytest.fixture
def people(creator: CreatorProfile, make_user: Any, fund: Any, rose: Gift) -> dict[str, User | None]:
    subscriber = make_user("sub@example.com", nickname="Sub")
    fund(subscriber, 500)
    subscription_start(subscriber=subscriber, creator=creator)
    supporter = make_user("fan@example.com", nickname="Fan")
    fund(supporter, 1000)
    gift_send(sender=supporter, creator=creator, gift=rose, quantity=50)  # 500 coins today
    return {
        "anonymous": None,
        "stranger": make_user("stranger@example.com"),
        "subscriber": subscriber,
        "supporter": supporter,
        "creator": creator.user,
    }


@pytest.fixture
def make_post(creator: CreatorProfile, django_capture_on_commit_callbacks: Any) -> Callable[..., Post]:
    def make(*, image: bool = True, creator: CreatorProfile = creator, **content: Any) -> Post:
        content.setdefault("text", "Behind the scenes of the winter show.")
        return post_create(creator=creator, content=PostContent(**content), image=upload() if image else None)

    return make

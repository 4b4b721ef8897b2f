"""Test settings: the development defaults plus speed-ups. Real services come in through the same env vars."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-key-not-secret"  # noqa: S105
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = env.path("MEDIA_ROOT", default="/tmp/coinshop-test-media")  # noqa: S108
VIDEO_ROOT = env.path("VIDEO_ROOT", default="/tmp/coinshop-test-videos")  # noqa: S108
if STORAGES["videos"]["BACKEND"].endswith("FileSystemStorage"):  # noqa: F405
    STORAGES["videos"]["OPTIONS"]["location"] = VIDEO_ROOT  # noqa: F405 (tests/videos use a folder per test)

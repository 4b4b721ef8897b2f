"""Helpers for tests that must start Django afresh (settings are read once per process)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Variables a settings module reads that must not leak from the test run (or CI) into a fresh process.
SETTINGS_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set for the browser tests; check --deploy rightly refuses it
    "PAYMENT_PROVIDER",
    "DEMO_MODE",
    "SANDBOX_WEBHOOK_SECRET",
    "STRIPE_LIVE_MODE",
    "STRIPE_TEST_SECRET_KEY",
    "STRIPE_LIVE_SECRET_KEY",
    "ALLAUTH_TRUSTED_PROXY_COUNT",
    "ALLAUTH_TRUSTED_CLIENT_IP_HEADER",
)

RunDjango = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_django() -> RunDjango:
    """``run_django(args, settings=..., **env)`` runs ``python <args>`` from the repository in a clean environment."""

    def run(args: list[str], *, settings: str, **env: str) -> subprocess.CompletedProcess[str]:
        clean = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
        clean.update(env, DJANGO_SETTINGS_MODULE=settings)
        return subprocess.run(
            [sys.executable, *args],
            cwd=REPO,
            env=clean,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run

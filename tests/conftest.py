"""Fixtures shared by the whole suite: people, 2FA helpers, service requirements."""

from __future__ import annotations

import datetime
import os
import subprocess
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.models import CreatorProfile, User
from coinshop.celery import app as celery_app
from wallet.ledger import Posting, ledger_account_for_user, ledger_system_account, ledger_transaction_post
from wallet.models import Asset, SystemAccount

if TYPE_CHECKING:
    from celery.worker import WorkController

PASSWORD = "correct-horse-battery-9"
REQUIRE_SERVICES = os.environ.get("COINSHOP_REQUIRE_SERVICES") == "1"


def _ingest_available() -> bool:
    from tests.gifts.rtmp import available

    return available()


def _nchan_available() -> bool:
    from tests.gifts.rtmp import NGINX

    return os.path.exists(NGINX) and os.path.exists("/usr/lib/nginx/modules/ngx_nchan_module.so")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``postgres`` tests skip on SQLite, except when the run promises real services: then they fail loudly."""
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    has_broker = bool(settings.CELERY_BROKER_URL)
    for item in items:
        if "postgres" in item.keywords and not on_postgres and not REQUIRE_SERVICES:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL; .ci/run does)"))
        if "ingest" in item.keywords and not REQUIRE_SERVICES and not _ingest_available():
            item.add_marker(pytest.mark.skip(reason="needs nginx with the RTMP module and ffmpeg (bin/test has them)"))
        if "nchan" in item.keywords and not REQUIRE_SERVICES and not _nchan_available():
            item.add_marker(pytest.mark.skip(reason="needs nginx with the nchan module (bin/test has it)"))
        if "redis" in item.keywords and not settings.REDIS_URL and not REQUIRE_SERVICES:
            item.add_marker(pytest.mark.skip(reason="needs Redis (set REDIS_URL; .ci/run does)"))
        if "real_worker" in item.keywords and not has_broker and not REQUIRE_SERVICES:
            item.add_marker(pytest.mark.skip(reason="needs a Celery broker (set CELERY_BROKER_URL; .ci/run does)"))


@pytest.fixture(autouse=True)
def _isolation(request: pytest.FixtureRequest, settings: Any, tmp_path: Any) -> Any:
    """Fresh cache (rate limits, throttles) and media folder per test; tasks eager unless a real worker is asked for."""
    cache.clear()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    if REQUIRE_SERVICES:
        if "postgres" in request.keywords:
            assert connection.vendor == "postgresql", "COINSHOP_REQUIRE_SERVICES=1 but the database is not PostgreSQL"
        if "redis" in request.keywords:
            assert settings.REDIS_URL, "COINSHOP_REQUIRE_SERVICES=1 but REDIS_URL is not set"
        if "real_worker" in request.keywords:
            assert settings.CELERY_BROKER_URL, "COINSHOP_REQUIRE_SERVICES=1 but CELERY_BROKER_URL is not set"
    eager_before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = "real_worker" not in request.keywords
    yield
    celery_app.conf.task_always_eager = eager_before


@pytest.fixture(autouse=True)
def _ledger_invariants_hold(request: pytest.FixtureRequest) -> Any:
    """After every test that touched the database, every ledger invariant still holds (``manage.py ledger_check``).

    Tests that corrupt the ledger on purpose, to show the check catches it, are marked ``corrupts_ledger``.
    """
    uses_db = request.node.get_closest_marker("django_db") is not None or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if not uses_db or "corrupts_ledger" in request.keywords:
        yield
        return
    request.getfixturevalue("_django_db_helper")  # set up first, so this check runs before the database is reset
    yield
    from wallet.invariants import ledger_check

    report = ledger_check()
    assert report.ok, f"ledger invariants broken after this test: {report.violations}"


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    counter = {"n": 0}

    def make(
        email: str | None = None,
        *,
        password: str = PASSWORD,
        date_of_birth: datetime.date | None = datetime.date(1990, 1, 1),
        verified: bool = True,
        **extra: Any,
    ) -> User:
        counter["n"] += 1
        email = email or f"person{counter['n']}@example.com"
        # New accounts are private by default (tests/accounts checks it); the suite's people chose to be shown.
        extra.setdefault("show_on_leaderboards", True)
        extra.setdefault("default_gift_visibility", "public")
        user = User.objects.create_user(email=email, password=password, date_of_birth=date_of_birth, **extra)
        EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
        return user

    return make


@pytest.fixture
def viewer(make_user: Callable[..., User]) -> User:
    return make_user("viewer@example.com")


@pytest.fixture
def make_creator(make_user: Callable[..., User]) -> Callable[..., CreatorProfile]:
    def make(handle: str = "creator", **kwargs: Any) -> CreatorProfile:
        user = make_user(f"{handle}@example.com", **kwargs)
        return CreatorProfile.objects.create(user=user, handle=handle, display_name=handle.title())

    return make


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or ``steps_ahead`` 30-second steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def enable_2fa() -> Callable[[User], tuple[TOTPDevice, list[str]]]:
    """Give a person a confirmed TOTP device and ten backup codes, as the setup page does."""

    def enable(user: User) -> tuple[TOTPDevice, list[str]]:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        codes = account_services.otp_backup_codes_regenerate(user=user)
        return device, codes

    return enable


def fresh_totp_code(device: TOTPDevice) -> str:
    """A code the device still accepts: the current one, or a later step's when the current one was already used
    (django-otp refuses a step at or before ``last_t``; its tolerance accepts one step ahead)."""
    device.refresh_from_db()
    now_t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
    steps_ahead = max(0, device.last_t + 1 - now_t)
    assert steps_ahead <= device.tolerance, "this device's codes for now and the next step are both used up"
    return totp_code(device, steps_ahead=steps_ahead)


def password_login(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": password})


def otp_login(client: Client, email: str, code: str, *, next_url: str = "/") -> Any:
    """Password login, then the code step (authenticator or backup code). Returns the code step's response."""
    response = password_login(client, email)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/verify/"), response
    return client.post("/accounts/2fa/verify/", {"code": code, "next": next_url})


@pytest.fixture
def real_celery_worker(transactional_db: None) -> Iterator[WorkController]:
    """A real Celery worker (a thread, solo pool) consuming from ``CELERY_BROKER_URL`` for the test's duration.

    Use it with ``@pytest.mark.real_worker`` and ``@pytest.mark.django_db(transaction=True)``: the worker has its own
    database connection, so it only sees committed rows (and the test only sees the worker's rows once committed).
    """
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        pytest.fail("real_celery_worker needs CELERY_BROKER_URL (a real broker), e.g. redis://127.0.0.1:6379/15")
    celery_app.conf.task_always_eager = False  # the autouse _isolation fixture restores it afterwards
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING") as worker:
        yield worker


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Real ``celery worker`` processes a test starts (``tests.concurrency.start_worker``), stopped afterwards."""
    from .concurrency import stop_workers

    started: list[subprocess.Popen[bytes]] = []
    yield started
    stop_workers(started)


@pytest.fixture
def purged_broker() -> None:
    """An empty task queue, so a real worker only sees this test's tasks."""
    celery_app.control.purge()


@pytest.fixture
def fund() -> Callable[[User, int], None]:
    """Give someone coins (a staff adjustment: most tests are not about buying)."""
    counter = {"n": 0}

    def fund(user: User, coins: int) -> None:
        counter["n"] += 1
        ledger_transaction_post(
            kind="adjustment",
            idempotency_key=f"fund-{user.pk}-{counter['n']}-{coins}",
            postings=[
                Posting(ledger_account_for_user(user=user, asset=Asset.COIN), coins),
                Posting(ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.COIN), -coins),
            ],
        )

    return fund

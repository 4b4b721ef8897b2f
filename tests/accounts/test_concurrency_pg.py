"""One code submitted twice at the same moment lets in one session only (django-otp locks the device row).

SQLite ignores ``select_for_update``, so these run on PostgreSQL only (see tests/conftest.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connections
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken

from tests.conftest import password_login, totp_code

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VERIFY_URL = "/accounts/2fa/verify/"


def _submit_at_once(email: str, code: str, *, attempts: int = 2) -> list[tuple[int, str]]:
    """Log ``attempts`` clients in with the password, then post ``code`` from all of them at the same moment."""
    clients = []
    for _ in range(attempts):
        client = Client()
        response = password_login(client, email)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY_URL)
        clients.append(client)
    barrier = threading.Barrier(attempts)
    results: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def submit(client: Client) -> None:
        try:
            barrier.wait(timeout=10)
            response = client.post(VERIFY_URL, {"code": code, "next": "/accounts/preferences/"})
            results.append((response.status_code, response.content.decode()))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert len(results) == attempts
    return results


def _assert_exactly_one_got_in(results: list[tuple[int, str]]) -> None:
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (len(results) - 1) + [302]
    for status, body in results:
        if status == 200:
            assert "That code is not valid" in body


def test_one_authenticator_code_sent_twice_at_once_lets_in_one_session(
    make_user: Callable, enable_2fa: Callable
) -> None:
    person = make_user("ada@example.com")
    device, _ = enable_2fa(person)

    results = _submit_at_once(person.email, totp_code(device))

    _assert_exactly_one_got_in(results)
    device.refresh_from_db()
    assert device.last_t >= 0


def test_one_backup_code_sent_twice_at_once_lets_in_one_session(make_user: Callable, enable_2fa: Callable) -> None:
    person = make_user("ada@example.com")
    _, codes = enable_2fa(person)

    results = _submit_at_once(person.email, codes[0])

    _assert_exactly_one_got_in(results)
    assert not StaticToken.objects.filter(device__user=person, token=codes[0]).exists()
    assert StaticToken.objects.filter(device__user=person).count() == 9

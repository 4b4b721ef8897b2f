"""Request helpers every app's views share (one place: the signed-in person, JSON or a page, where to go back)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

if TYPE_CHECKING:
    from accounts.models import User


def request_user(request: HttpRequest) -> User:
    """The signed-in person (views behind ``login_required``), typed as Coinshop's user."""
    return request.user  # type: ignore[return-value]


def wants_json(request: HttpRequest) -> bool:
    """The page's script asked (``Accept: application/json``): answer with data instead of a redirect."""
    return "application/json" in request.headers.get("Accept", "")


def next_url(request: HttpRequest, default: str) -> str:
    """The ``next`` the form (or the address) carries when it is a page of this site, else ``default`` (never an open
    redirect; over HTTPS, never one to plain HTTP). A path ("/...") or a URL of this site: ``redirect`` would take
    any other word ("0") for a view's name and fail."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith(("/", "http://", "https://")) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


MAX_ID_DIGITS = 18  # below 2**63 (a bigint id); longer is no id of ours, and ``int`` of 4,300+ digits raises


def int_or_none(value: str | None) -> int | None:
    """An id typed in a URL or a form: ASCII digits only (``str.isdigit`` accepts "²" and "①", which ``int``
    refuses), at most ``MAX_ID_DIGITS`` of them; None when it is no such number."""
    if not value or len(value) > MAX_ID_DIGITS or not (value.isascii() and value.isdecimal()):
        return None
    return int(value)


class HandleConverter:
    """``<handle:...>`` in a URL: a creator's handle as ``accounts.models.handle_validator`` allows it (anything else,
    a NUL byte included, is a 404 before a query)."""

    regex = "[a-z0-9][a-z0-9_-]{1,28}[a-z0-9]"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TokenConverter(HandleConverter):
    """``<token:...>`` in a URL: a secret or id we issued (letters, digits, ``-`` and ``_``)."""

    regex = "[A-Za-z0-9_-]{1,100}"

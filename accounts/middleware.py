from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from .selectors import OTP_PENDING_SESSION_KEY

ALWAYS_ALLOWED_PREFIXES = ("/static/", "/healthz", "/favicon")


class OTPStepMiddleware:
    """After a password login, a person with a 2FA device sees only the code step until they pass it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated and request.session.get(OTP_PENDING_SESSION_KEY) and not user.is_verified()  # type: ignore[union-attr]
        ):
            allowed = (reverse("otp_verify"), reverse("account_logout"))
            if request.path not in allowed and not request.path.startswith(ALWAYS_ALLOWED_PREFIXES):
                return HttpResponseRedirect(f"{reverse('otp_verify')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from .selectors import OTP_PENDING_SESSION_KEY, user_has_2fa

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
            if not user_has_2fa(user=user):  # type: ignore[arg-type]
                # 2FA was turned off meanwhile (e.g. support removed a lost phone): nothing is owed any more, and
                # the code step, which sends people without 2FA onwards, would otherwise redirect in a loop.
                del request.session[OTP_PENDING_SESSION_KEY]
                return self.get_response(request)
            allowed = (reverse("otp_verify"), reverse("account_logout"))
            if request.path not in allowed and not request.path.startswith(ALWAYS_ALLOWED_PREFIXES):
                return HttpResponseRedirect(f"{reverse('otp_verify')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from .selectors import otp_recently_verified, user_has_2fa

View = Callable[..., HttpResponse]


def recent_otp_required(view: View) -> View:
    """The person must have 2FA on and have passed a code in the last ``OTP_RECENT_SECONDS`` (5 minutes).

    Otherwise they are sent to set 2FA up, or to the re-verification page, which brings them back here.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_has_2fa(user=request.user):  # type: ignore[arg-type]
            messages.info(request, "Turn on two-factor authentication first; this page needs it.")
            return HttpResponseRedirect(reverse("otp_index"))
        if not otp_recently_verified(request=request):
            back = request.get_full_path() if request.method == "GET" else request.META.get("HTTP_REFERER", "/")
            return HttpResponseRedirect(f"{reverse('otp_reverify')}?{urlencode({'next': back})}")
        return view(request, *args, **kwargs)

    return wrapper

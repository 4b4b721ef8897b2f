"""allauth and django-otp do not know each other (STACK.md): this is where the code step joins the login."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from .security import login_noticed
from .selectors import OTP_PENDING_SESSION_KEY, user_has_2fa


class AccountAdapter(DefaultAccountAdapter):
    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse:
        response = super().post_login(request, user, **kwargs)
        login_noticed(request=request, user=user, response=response, signup=bool(kwargs.get("signup")))
        if user_has_2fa(user=user):
            # The password was right; the person now owes a code before any other page (OTPStepMiddleware).
            request.session[OTP_PENDING_SESSION_KEY] = True
            next_url = response.get("Location") or reverse("home")
            step = HttpResponseRedirect(f"{reverse('otp_verify')}?{urlencode({'next': next_url})}")
            step.cookies = response.cookies  # the known-browser cookie set above
            return step
        return response

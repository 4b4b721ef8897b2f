"""The admin site: staff only, and only after passing a 2FA code (django-otp's ``OTPAdminSite``).

Its login page is not used: staff sign in through the site's login, which allauth rate-limits, then pass the
code step; so the admin login cannot be used to guess passwords without limits.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp.admin import OTPAdminSite

from accounts.selectors import user_has_2fa


class CoinshopAdminSite(OTPAdminSite):
    site_header = "Coinshop staff"
    site_title = "Coinshop staff"
    index_title = "Run Coinshop"

    def get_urls(self) -> list[Any]:
        from django.urls import path

        from payouts.admin import staff_overview_view

        return [path("overview/", self.admin_view(staff_overview_view), name="staff_overview"), *super().get_urls()]

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        """dj-stripe's models mean nothing to staff unless Stripe is the payment provider: hidden then."""
        apps = super().get_app_list(request, app_label)
        if settings.PAYMENT_PROVIDER != "stripe":
            apps = [app for app in apps if app["app_label"] != "djstripe"]
        return apps

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        next_url = request.GET.get("next") or reverse("admin:index")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index")
        user = request.user
        if not user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("Staff only.")
        if not user_has_2fa(user=user):  # type: ignore[arg-type]
            messages.warning(request, "Staff must turn on two-factor authentication before opening the admin.")
            return HttpResponseRedirect(reverse("otp_index"))
        return HttpResponseRedirect(f"{reverse('otp_reverify')}?{urlencode({'next': next_url})}")

"""Response headers Django has no setting for, and what the Content-Security-Policy needs from other settings."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


class PermissionsPolicyMiddleware:
    """Adds ``Permissions-Policy`` (``settings.PERMISSIONS_POLICY``): no page may use the camera, microphone,
    location or payment APIs; video may play and go full screen.

    It also lets the live rooms' video through the Content-Security-Policy (django-csp's ``_csp_update``, read by
    ``csp.middleware.CSPMiddleware``, which sits before this one in ``MIDDLEWARE``): when ``LIVE_HLS_URL`` is on
    another host, hls.js fetches the playlist and segments from there."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        hls_origin = _origin(settings.LIVE_HLS_URL)
        if hls_origin and not hasattr(response, "_csp_update"):
            response._csp_update = {"connect-src": [hls_origin], "media-src": [hls_origin]}  # type: ignore[attr-defined]
        return response

"""The project's URLs plus ``/bench/bare/``: a view that does nothing, behind the same middleware (the baseline)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("", include("coinshop.urls")),
]

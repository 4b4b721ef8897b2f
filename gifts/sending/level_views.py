"""The public "Gifter levels" page: the published table of thresholds, and (logged in) the person's own level."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .levels import gifter_levels_table


@require_safe
def gifter_levels(request: HttpRequest) -> HttpResponse:
    return render(request, "gifts/levels.html", {"table": gifter_levels_table()})

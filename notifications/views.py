"""The inbox and the preferences page: parse, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from coinshop.http import int_or_none, next_url, request_user

from .forms import NotificationPreferencesForm
from .selectors import notification_list, notification_preferences_get
from .services import notification_mark_read, notification_preferences_set, notifications_mark_all_read

PAGE_SIZE = 20


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    page = Paginator(notification_list(user_id=user.pk), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page, "notifications": page.object_list})


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    notification_id = int_or_none(request.POST.get("notification"))
    if notification_id is None or not notification_mark_read(user_id=user.pk, notification_id=notification_id):
        messages.error(request, "That notification was not found in your inbox.")
    return redirect(next_url(request, "notifications"))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    marked = notifications_mark_all_read(user_id=request_user(request).pk)
    messages.success(request, f"Marked {marked:,} notification{'' if marked == 1 else 's'} read.")
    return redirect(next_url(request, "notifications"))


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    data = request.POST if request.method == "POST" else None  # every box unticked posts nothing, and is a choice
    form = NotificationPreferencesForm(data, current=notification_preferences_get(user_id=user.pk))
    if request.method == "POST" and form.is_valid():
        notification_preferences_set(user_id=user.pk, choices=form.choices())
        messages.success(request, "Your notification settings are saved.")
        return redirect("notification_preferences")
    return render(request, "notifications/preferences.html", {"form": form})

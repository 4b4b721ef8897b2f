"""Thin views for viewers' reports to staff: a chat message, or a creator."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import CreatorProfile
from accounts.selectors import creator_get_by_handle
from coinshop.http import next_url, request_user

from ..chat.models import ChatMessage
from .forms import ReportForm
from .reports import MessageNotReportable, message_reportable_check, report_create, report_exists
from .selectors import chat_message_get, chat_name


def _report(request: HttpRequest, *, creator: CreatorProfile, message: ChatMessage | None, back: str) -> HttpResponse:
    user = request_user(request)
    form = ReportForm(request.POST or None)
    already = report_exists(reporter=user, creator=creator, message=message)
    if request.method == "POST" and form.is_valid():
        try:
            report_create(
                reporter=user,
                creator=creator,
                message=message,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Thank you: your report went to Coinshop's staff. They will look at it.")
            return redirect(back)
    status = 400 if form.errors else 200
    context = {
        "form": form,
        "creator": creator,
        "message": message,
        "sender_name": chat_name(message.sender) if message is not None else "",
        "already": already,
        "back": back,
    }
    return render(request, "gifts/moderation/report.html", context, status=status)


@login_required
def report_message(request: HttpRequest, message_id: int) -> HttpResponse:
    message = chat_message_get(message_id=message_id)
    if message is None:
        raise Http404("No such chat message.")
    back = next_url(request, message.session.get_absolute_url())
    try:
        message_reportable_check(message=message)
    except MessageNotReportable as exc:
        status = 410 if exc.code == "removed" else 404
        return render(
            request,
            "gifts/moderation/denied.html",
            {"title": "This message cannot be reported", "text": exc.messages[0], "back": back},
            status=status,
        )
    return _report(request, creator=message.session.creator, message=message, back=back)


@login_required
def report_creator(request: HttpRequest, handle: str) -> HttpResponse:
    creator = creator_get_by_handle(handle=handle)
    if creator is None:
        raise Http404("No creator with that handle.")
    return _report(request, creator=creator, message=None, back=next_url(request, creator.get_absolute_url()))

"""Follow buttons and the creator's thank-you pages: parse, call one service, render."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import CreatorProfile
from coinshop.http import next_url, request_user

from .forms import ThankYouForm
from .selectors import ThanksScope, gifters_for, thanks_scope_live, thanks_scope_video, thanks_sessions_for
from .services import follow_set, thank_everyone_start, thank_you_send

GIFTERS_PER_PAGE = 50


@login_required
@require_POST
def follow(request: HttpRequest, handle: str) -> HttpResponse:
    creator = get_object_or_404(CreatorProfile.objects.select_related("user"), handle=handle)
    wanted = request.POST.get("follow") == "1"
    try:
        follow_set(follower=request_user(request), creator=creator, follow=wanted)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        name = creator.display_name
        messages.success(
            request,
            f"You follow {name}: you will hear when they go live." if wanted else f"You no longer follow {name}.",
        )
    return redirect(next_url(request, creator.get_absolute_url()))


def _own_creator(request: HttpRequest) -> CreatorProfile:
    creator = getattr(request_user(request), "creator", None)
    if creator is None:
        raise Http404("Only creators thank gifters.")
    return creator


@login_required
def thanks_sessions(request: HttpRequest) -> HttpResponse:
    creator = _own_creator(request)
    return render(request, "supporters/thanks_index.html", {"items": thanks_sessions_for(creator=creator)})


def _thanks(request: HttpRequest, scope: ThanksScope | None) -> HttpResponse:
    if scope is None:
        raise Http404("No such stream or video of yours.")
    form = ThankYouForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            tokens, note, by = form.tokens(), form.cleaned_data["note"], request_user(request)
            try:
                if tokens is None:
                    result = thank_everyone_start(scope=scope, by=by, note=note)
                else:
                    result = thank_you_send(scope=scope, by=by, tokens=tokens, note=note)
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
                status = 400
            else:
                gifters = f"{result.sent:,} gifter{'s' if result.sent > 1 else ''}"
                if result.sent and tokens is None:
                    messages.success(request, f"Thanking {gifters}: each finds your thank-you in their notifications.")
                elif result.sent:
                    messages.success(request, f"Thank-you sent to {gifters}.")
                if result.already:
                    messages.info(request, f"Already thanked: {result.already:,}.")
                if not result.sent and not result.already:
                    messages.info(request, "Nobody gifted here yet.")
                return redirect(request.get_full_path())  # the same page of gifters
        else:
            status = 400
    gifters = gifters_for(scope=scope)
    page = Paginator(gifters, GIFTERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "supporters/thanks.html",
        {"scope": scope, "gifters": gifters, "page_obj": page, "form": form},
        status=status,
    )


@login_required
def thanks_live(request: HttpRequest, session_id: int) -> HttpResponse:
    creator = _own_creator(request)
    return _thanks(request, thanks_scope_live(creator=creator, session_id=session_id))


@login_required
def thanks_video(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    creator = _own_creator(request)
    return _thanks(request, thanks_scope_video(creator=creator, public_id=public_id))

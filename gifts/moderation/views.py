"""Thin moderation views: a moderator's action on a chat line in the live room, and the moderation page (slow mode,
blocked words, moderators, people kept out, the action log). Refusals are 403 or 404 in words, never a 500."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import CreatorProfile, User
from accounts.selectors import creator_get_by_handle, creator_get_for_user
from coinshop.http import int_or_none, request_user, wants_json

from ..live.selectors import live_session_get
from .forms import ModeratorAppointForm, RoomActionForm, RoomRulesForm
from .selectors import (
    can_moderate,
    chat_message_get,
    chat_name,
    chat_standing_get,
    creators_moderated,
    moderation_actions_list,
    moderation_log_rows,
    moderators_list,
    restrictions_list,
    room_rules_get,
    time_shown,
)
from .services import (
    ModerationDenied,
    chat_message_remove,
    moderator_appoint,
    moderator_appoint_from_chat,
    moderator_remove,
    restriction_lift,
    room_rules_set,
    viewer_ban,
    viewer_timeout,
)


def denied(request: HttpRequest, text: str, status: int = 403) -> HttpResponse:
    """A refusal in words: JSON for the page's script, a page otherwise."""
    if wants_json(request):
        return JsonResponse({"ok": False, "error": text}, status=status)
    return render(request, "gifts/moderation/denied.html", {"text": text}, status=status)


@login_required
@require_POST
def room_moderate(request: HttpRequest, session_id: int) -> HttpResponse:
    """Delete a chat line, time out or ban its sender, or (the creator) appoint its sender, from the live room."""
    session = live_session_get(session_id=session_id, with_creator=True)
    if session is None:
        return denied(request, "No such live stream.", 404)
    user = request_user(request)
    if not can_moderate(user=user, creator=session.creator):
        return denied(request, f"Only {session.creator.display_name} and their moderators can moderate this room.")
    form = RoomActionForm(request.POST)
    if not form.is_valid():
        return _room_answer(request, session.get_absolute_url(), False, str(next(iter(form.errors.values()))[0]), 400)
    message_id = int_or_none(form.cleaned_data["message"])
    message = chat_message_get(message_id=message_id) if message_id is not None else None
    if message is None or message.session_id != session.pk:
        return denied(request, "That message is not in this room's chat.", 404)
    action, reason, target = form.cleaned_data["action"], form.cleaned_data["reason"], message.sender
    try:
        if action == "delete":
            chat_message_remove(message=message, by=user, reason=reason)
            text = "Message deleted."
        elif action == "appoint":
            moderator_appoint_from_chat(creator=session.creator, by=user, message=message)
            text = f"{chat_name(target)} is now a moderator of your rooms."
        elif action == "timeout":
            until = viewer_timeout(
                creator=session.creator,
                by=user,
                target=target,
                seconds=form.cleaned_data["seconds"],
                reason=reason,
                message=message,
            )
            text = f"{chat_name(target)} is timed out until {time_shown(until)}."
        else:
            viewer_ban(creator=session.creator, by=user, target=target, reason=reason, message=message)
            text = f"{chat_name(target)} is banned from chatting in {session.creator.display_name}'s rooms."
    except ModerationDenied as exc:
        return denied(request, str(exc))
    except ValidationError as exc:
        return _room_answer(request, session.get_absolute_url(), False, exc.messages[0], 400)
    return _room_answer(request, session.get_absolute_url(), True, text, 200)


def _room_answer(request: HttpRequest, url: str, ok: bool, text: str, status: int) -> HttpResponse:
    if wants_json(request):
        body = {"ok": True, "message": text} if ok else {"ok": False, "error": text}
        return JsonResponse(body, status=status)
    (messages.success if ok else messages.error)(request, text)
    return HttpResponseRedirect(url)


@login_required
def moderation_home(request: HttpRequest) -> HttpResponse:
    """The creator's own moderation page; for a moderator, the creators whose rooms they moderate."""
    user = request_user(request)
    own = creator_get_for_user(user=user)
    moderated = creators_moderated(user=user)
    if own is not None and not moderated:
        return redirect("moderation_page", handle=own.handle)
    return render(request, "gifts/moderation/home.html", {"own": own, "moderated": moderated})


def _rules(request: HttpRequest, creator: CreatorProfile) -> RoomRulesForm:
    form = RoomRulesForm(request.POST)
    if form.is_valid():
        changed = room_rules_set(
            creator=creator,
            by=request_user(request),
            slow_mode_seconds=form.cleaned_data["slow_mode_seconds"],
            blocked_words=form.cleaned_data["blocked_words"],
        )
        messages.success(request, "Room rules saved." if changed else "Nothing changed.")
    return form


def _appoint(request: HttpRequest, creator: CreatorProfile) -> ModeratorAppointForm:
    form = ModeratorAppointForm(request.POST)
    if form.is_valid():
        try:
            moderator = moderator_appoint(creator=creator, by=request_user(request), handle=form.cleaned_data["handle"])
        except ValidationError as exc:
            form.add_error("handle", exc)
        else:
            messages.success(request, f"{moderator.user.public_name} is now a moderator of your rooms.")
    return form


def _remove(request: HttpRequest, creator: CreatorProfile) -> None:
    moderator_id = int_or_none(request.POST.get("moderator"))
    if moderator_id is None:
        raise ValidationError("Choose a moderator to remove.")
    moderator_remove(creator=creator, by=request_user(request), moderator_id=moderator_id)
    messages.success(request, "Moderator removed.")


def _lift(request: HttpRequest, creator: CreatorProfile) -> None:
    restriction_id = int_or_none(request.POST.get("restriction"))
    if restriction_id is None:
        raise ValidationError("Choose whom to let back in.")
    messages.success(
        request, restriction_lift(creator=creator, by=request_user(request), restriction_id=restriction_id)
    )


ACTIONS: dict[str, Callable[[HttpRequest, CreatorProfile], object]] = {
    "rules": _rules,
    "appoint": _appoint,
    "remove_moderator": _remove,
    "lift": _lift,
}


@login_required
def moderation_page(request: HttpRequest, handle: str) -> HttpResponse:
    creator = creator_get_by_handle(handle=handle)
    if creator is None:
        raise Http404("No creator with that handle.")
    user = request_user(request)
    if not can_moderate(user=user, creator=creator):
        return denied(request, f"Only {creator.display_name} and their moderators can see this page.")
    rules = room_rules_get(creator=creator)
    forms: dict[str, object] = {}
    if request.method == "POST":
        step = ACTIONS.get(request.POST.get("action", ""))
        if step is None:
            return denied(request, "Choose something to do on this page.", 400)
        try:
            form = step(request, creator)
        except ModerationDenied as exc:
            return denied(request, str(exc))
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            form = None
        if form is not None and getattr(form, "errors", None):
            forms[request.POST["action"]] = form
        else:
            return redirect(reverse("moderation_page", kwargs={"handle": creator.handle}))
    page = Paginator(moderation_actions_list(creator=creator), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "gifts/moderation/page.html",
        {
            "creator": creator,
            "is_creator": creator.user_id == user.pk,
            "rules_form": forms.get("rules")
            or RoomRulesForm(
                initial={"slow_mode_seconds": rules.slow_mode_seconds, "blocked_words": rules.blocked_words}
            ),
            "appoint_form": forms.get("appoint") or ModeratorAppointForm(),
            "moderators": moderators_list(creator=creator),
            "restrictions": restrictions_list(creator=creator),
            "page": page,
            "log": moderation_log_rows(page.object_list),
        },
        status=400 if forms else 200,
    )


def room_moderation_context(*, user: User, creator: CreatorProfile) -> dict[str, object]:
    """What the live room's chat box needs (one query): whether this person moderates here (then the moderator
    controls), why they cannot chat if they cannot, and slow mode."""
    standing = chat_standing_get(creator_id=creator.pk, user=user)
    notice = standing.notice(timezone.now())
    return {
        "can_moderate": standing.moderator,
        "chat_notice": notice[0] if notice else "",
        "slow_mode_seconds": 0 if standing.moderator else standing.slow_mode_seconds,
        "mod_form": RoomActionForm(auto_id="mod_%s") if standing.moderator else None,
    }

"""Thin post views: a creator's posts, a post's page (or its locked teaser), its image (access-checked), and the
creator's create, edit and delete."""

from __future__ import annotations

import mimetypes
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.selectors import creator_get_by_handle, creator_get_for_user
from coinshop.http import request_user

from . import selectors, services
from .forms import PostForm
from .models import Post

PER_PAGE = 10


def _post_or_404(request: HttpRequest, public_id: uuid.UUID) -> Post:
    post = selectors.post_get(public_id=public_id, user=request_user(request))
    if post is None:
        raise Http404("No such post.")
    return post


def _own_post_or_404(request: HttpRequest, public_id: uuid.UUID) -> Post:
    post = _post_or_404(request, public_id)
    if post.creator.user_id != request.user.pk:
        raise Http404("No such post.")
    return post


@require_safe
def creator_posts(request: HttpRequest, handle: str) -> HttpResponse:
    creator = creator_get_by_handle(handle=handle)
    if creator is None:
        raise Http404("No creator with that handle.")
    user = request_user(request)
    page = Paginator(selectors.post_list_for_creator(creator=creator, user=user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "posts/list.html",
        {
            "profile": creator,
            "page": page,
            "posts": selectors.posts_with_access(posts=list(page.object_list), creator=creator, user=user),
            "is_own_page": user.is_authenticated and creator.user_id == user.pk,
        },
    )


@require_safe
def post_page(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    post = _post_or_404(request, public_id)
    access = selectors.post_access(post=post, user=request_user(request))
    return render(
        request,
        "posts/page.html",
        {"post": post, "access": access, "profile": post.creator},
        status=200 if access.allowed else 403,
    )


@require_safe
def post_image(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    post = _post_or_404(request, public_id)
    if not post.image_name:
        raise Http404("This post has no image.")
    access = selectors.post_access(post=post, user=request_user(request))
    if not access.allowed:
        return HttpResponseForbidden(
            f"This image is part of an exclusive post. {access.unlock.rstrip('.')}.",
            content_type="text/plain; charset=utf-8",
        )
    try:
        with services.post_storage().open(post.image_name, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise Http404("This image is missing.") from None
    response = HttpResponse(data, content_type=mimetypes.guess_type(post.image_name)[0] or "application/octet-stream")
    response["Cache-Control"] = "private, no-cache"  # asked again each time: access ends with a subscription
    return response


@login_required
def post_create(request: HttpRequest) -> HttpResponse:
    creator = creator_get_for_user(user=request_user(request))
    if creator is None:
        messages.info(request, "Become a creator to publish posts.")
        return redirect("creator_become")
    form = PostForm(request.POST or None, request.FILES or None, creator=creator)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(creator=creator, content=form.content(), image=form.cleaned_data["image"])
        except ValidationError as exc:
            form.add_error("image" if form.cleaned_data["image"] else None, exc.messages[0])
        else:
            messages.success(request, "Your post is published.")
            return redirect(post)
    return render(request, "posts/form.html", {"form": form, "post": None}, status=400 if form.errors else 200)


@login_required
def post_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    post = _own_post_or_404(request, public_id)
    initial = {
        "text": post.text,
        "teaser": post.teaser,
        "audience": post.audience,
        "min_coins": post.min_coins,
        "window_days": post.window_days,
        "video": post.video_id,
    }
    form = PostForm(
        request.POST or None, request.FILES or None, creator=post.creator, has_image=bool(post.image_name),
        initial=initial,
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_update(
                post=post,
                by=request_user(request),
                content=form.content(),
                image=form.cleaned_data["image"],
                remove_image=bool(form.cleaned_data.get("remove_image")),
            )
        except ValidationError as exc:
            form.add_error("image" if form.cleaned_data["image"] else None, exc.messages[0])
        else:
            messages.success(request, "Your post is saved.")
            return redirect(post)
    return render(request, "posts/form.html", {"form": form, "post": post}, status=400 if form.errors else 200)


@login_required
@require_POST
def post_delete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    post = _own_post_or_404(request, public_id)
    services.post_delete(post=post, by=request_user(request))
    messages.success(request, "The post is deleted.")
    return redirect("creator_posts", handle=post.creator.handle)

"""The account-closing page: what will be lost, then the password (and 2FA code) to confirm. It sits with the flow it
calls (``coinshop.closing``), above every app it touches."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.forms import DeleteAccountForm
from accounts.models import User
from accounts.selectors import user_has_2fa

from .closing import account_close, account_close_summary


@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = DeleteAccountForm(request.POST or None, user=user, needs_code=user_has_2fa(user=user))
    if request.method == "POST" and form.is_valid():
        account_close(user=user)
        logout(request)
        messages.success(
            request, "Your account was deleted. Your coins and diamonds were forfeited and your personal data erased."
        )
        return redirect("home")
    return render(
        request,
        "accounts/delete.html",
        {"form": form, "summary": account_close_summary(user=user)},
        status=400 if form.errors else 200,
    )

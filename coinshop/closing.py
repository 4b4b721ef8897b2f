"""Closing an account: one flow, at the top of the import order (it uses accounts, wallet, gifts and payouts; none
of them imports it), so no app needs a signal from another for any step to happen.

``account_close`` does it all in one database transaction, under the person's row lock:

1. Subscriptions end now. The person's own: no refund (the month paid goes with the rest of what is forfeited) and no
   renewal. A creator's: the plan stops and every subscription to it ends, so no subscriber is charged again; what
   they paid for the current month is not refunded (the creator's diamonds for it are forfeited with the rest).
2. Payouts not yet sent (waiting for review, or approved and queued) are cancelled: their diamonds come back to the
   creator first, through the ledger's payout return. A payout already being sent cannot be stopped: it completes,
   and if it fails later its diamonds are forfeited when they come back.
3. Every coin and diamond left, on hold or not, is forfeited through the ledger (``wallet.services``).
4. Payout bank details, follows and moderator appointments (both ways), a creator's posts (their image files once
   committed) and personal data are erased, and the account is marked closed.
5. The closing goes on the audit log, with what was forfeited.

Money that arrives afterwards (a payment confirmed late, a payout that fails, a dispute won) is forfeited as it
arrives (``wallet.services.closed_account_forfeit``): a closed account never holds a balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import CreatorProfile, User
from accounts.services import user_personal_data_erase
from gifts.models import Subscription
from gifts.moderation.services import moderators_erase
from gifts.subscriptions.selectors import subscriber_count, subscription_current_q
from gifts.subscriptions.services import subscriptions_end_now
from payouts.models import Payout, PayoutStatus
from payouts.selectors import creator_diamonds_summary
from payouts.services import CANCELLABLE, payout_cancel, payout_details_erase
from posts.services import posts_erase
from supporters.services import follows_erase
from wallet.models import Asset
from wallet.selectors import wallet_balance_get
from wallet.services import user_balances_forfeit


@dataclass(frozen=True)
class ClosingSummary:
    """What closing the account would lose, for the confirmation page."""

    coins: int
    diamonds_available: int
    diamonds_on_hold: int  # earned recently: still in the payout hold
    diamonds_in_payouts: int  # in payouts not yet sent: they come back and are forfeited
    diamonds_being_sent: int  # in payouts already being sent: these complete
    subscriptions: list[Subscription]  # the person's current subscriptions (ended, no refund)
    subscribers: int  # a creator's current subscribers (their subscriptions end)
    is_creator: bool

    @property
    def diamonds_lost(self) -> int:
        return self.diamonds_available + self.diamonds_on_hold + self.diamonds_in_payouts


def account_close_summary(*, user: User, now: datetime | None = None) -> ClosingSummary:
    now = now or timezone.now()
    profile = CreatorProfile.objects.filter(user=user).first()
    subscriptions = list(
        Subscription.objects.filter(subscription_current_q(now), subscriber=user)
        .select_related("plan", "plan__creator")
        .order_by("current_period_end", "pk")
    )
    if profile is None:
        return ClosingSummary(
            coins=wallet_balance_get(user=user),
            diamonds_available=wallet_balance_get(user=user, asset=Asset.DIAMOND),
            diamonds_on_hold=0,
            diamonds_in_payouts=0,
            diamonds_being_sent=0,
            subscriptions=subscriptions,
            subscribers=0,
            is_creator=False,
        )
    diamonds = creator_diamonds_summary(creator=profile, now=now)
    cancellable = Payout.objects.filter(creator=profile, status__in=CANCELLABLE).aggregate(t=Sum("diamonds"))["t"] or 0
    return ClosingSummary(
        coins=wallet_balance_get(user=user),
        diamonds_available=diamonds.available,
        diamonds_on_hold=diamonds.pending,
        diamonds_in_payouts=cancellable,
        diamonds_being_sent=diamonds.in_payout - cancellable,
        subscriptions=subscriptions,
        subscribers=subscriber_count(creator=profile, at=now),
        is_creator=True,
    )


def account_close(*, user: User, actor: User | None = None) -> dict[str, int]:
    """Close ``user``'s account (see the module docstring); ``actor`` is who asked (the person, or staff). The
    caller has checked the password and, with 2FA, a code. Returns what was forfeited per asset; closing an account
    already closed does nothing and returns ``{}``."""
    with transaction.atomic():
        # Lock order: the person, their creator profile, subscriptions, payouts, then ledger rows (as every flow that
        # credits money late takes the person first: ``wallet.services.user_lock_for_credit``). The person and the
        # profile are locked "no key": a gift in flight holds a diamond row the closing waits for, and checks its
        # foreign keys (a key-share lock on the profile) only as it commits; a full lock here would make the two wait
        # on each other until PostgreSQL aborted one (tests/accounts/test_closing_pg.py).
        user = User.objects.select_for_update(no_key=True).get(pk=user.pk)
        if user.is_deleted:
            return {}
        profile = CreatorProfile.objects.select_for_update(no_key=True).filter(user=user).first()
        now = timezone.now()

        own, subscribers_lost = subscriptions_end_now(person=user, now=now)
        payouts: list[Payout] = []
        if profile is not None:
            payouts = list(
                Payout.objects.select_for_update().filter(creator=profile, status__in=CANCELLABLE).order_by("pk")
            )
            for payout in payouts:
                payout_cancel(payout=payout, reason="The creator closed their account.", actor=actor or user)
            payout_details_erase(creator=profile)
        posts_erased = posts_erase(creator=profile) if profile is not None else 0

        forfeited = user_balances_forfeit(user=user)
        follows_erase(user=user)
        moderators_erased = moderators_erase(user=user)
        being_sent = Payout.objects.filter(creator=profile, status=PayoutStatus.PROCESSING).count() if profile else 0
        user_personal_data_erase(user=user)
        audit_record(
            actor=actor or user,
            action="user.close",
            obj=user,
            coins=forfeited.get(Asset.COIN, 0),
            diamonds=forfeited.get(Asset.DIAMOND, 0),
            payouts_cancelled=len(payouts),
            payouts_being_sent=being_sent,
            subscriptions_ended=len(own),
            subscribers_lost=len(subscribers_lost),
            posts_erased=posts_erased,
            moderators_erased=moderators_erased,
        )
    return forfeited

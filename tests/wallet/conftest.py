"""Wallet fixtures: packages, a sandbox purchase driven like a person would, signed sandbox webhooks, and Stripe
on 127.0.0.1 (``stripe_fake``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stripe
from django.test import Client

from accounts.models import User
from wallet import services
from wallet.invariants import ledger_check
from wallet.models import CoinPackage, Purchase, SandboxPayment
from wallet.providers.sandbox import SIGNATURE_HEADER, sandbox_sign

from .stripe_fake import StripeFake, serve

SECRET_KEY = "sk_test_Coinshop0fake0secret0key0000"
PUBLIC_KEY = "pk_test_Coinshop0fake0public0key0000"


@pytest.fixture
def stripe_fake(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFake]:
    """Stripe, on 127.0.0.1: the SDK (ours and dj-stripe's) talks to it and to nothing else."""
    fake = StripeFake()
    server = serve(fake)
    monkeypatch.setattr(stripe, "api_base", fake.url)  # what dj-stripe does with STRIPE_API_HOST at import time
    settings.STRIPE_API_HOST = fake.url
    settings.STRIPE_LIVE_MODE = False
    settings.STRIPE_TEST_SECRET_KEY = SECRET_KEY
    settings.STRIPE_TEST_PUBLIC_KEY = PUBLIC_KEY
    settings.PAYMENT_PROVIDER = "stripe"
    yield fake
    server.shutdown()
    server.server_close()
    assert not fake.unexpected, f"calls the fake does not know (would they reach the real Stripe?): {fake.unexpected}"


@pytest.fixture
def packages(db: None) -> dict[int, CoinPackage]:
    from wallet.demo import PACKAGES

    return {
        coins: CoinPackage.objects.create(coins=coins, price_minor=cents, currency="USD", sort_order=i)
        for i, (coins, cents) in enumerate(PACKAGES)
    }


@pytest.fixture
def start_purchase(packages: dict[int, CoinPackage]) -> Callable[..., Purchase]:
    """Review + confirm through the pages, as a person does; returns the pending purchase."""

    def start(client: Client, coins: int = 350, method: str = "card") -> Purchase:
        package = packages[coins]
        review = client.get("/wallet/recharge/review/", {"package": package.pk, "method": method})
        assert review.status_code == 200, review.content.decode()[:2000]
        key = review.context["idempotency_key"]
        response = client.post(
            "/wallet/recharge/confirm/", {"package": package.pk, "method": method, "idempotency_key": str(key)}
        )
        assert response.status_code == 302
        purchase = Purchase.objects.get(public_id=key)
        assert response["Location"] == f"/wallet/sandbox/checkout/{purchase.provider_ref}/"
        return purchase

    return start


def sandbox_event(
    purchase: Purchase, event_type: str = "payment.succeeded", event_id: str | None = None, **data: Any
) -> bytes:
    return json.dumps(
        {
            "id": event_id or f"evt_test_{purchase.pk}_{event_type}",
            "type": event_type,
            "created": int(time.time()),
            "data": {"payment_id": purchase.provider_ref, "purchase_id": str(purchase.public_id), **data},
        }
    ).encode()


def post_webhook(client: Client, payload: bytes, signature: str | None = "sign", **extra: Any) -> Any:
    headers = {}
    if signature == "sign":
        signature = sandbox_sign(payload)
    if signature is not None:
        headers[f"HTTP_{SIGNATURE_HEADER.upper().replace('-', '_')}"] = signature
    return client.post("/wallet/webhooks/sandbox/", data=payload, content_type="application/json", **headers, **extra)


def mark_sandbox_paid(purchase: Purchase) -> None:
    """The bank side says paid (as the TEST MODE page's "succeed" would), without delivering a webhook."""
    SandboxPayment.objects.filter(pk=purchase.provider_ref).update(status=SandboxPayment.Status.SUCCEEDED)


def assert_ledger_ok() -> None:
    report = ledger_check()
    assert report.ok, report.violations


@pytest.fixture
def buyer(make_user: Callable[..., User]) -> User:
    return make_user("buyer@example.com")


@pytest.fixture
def buyer_client(client: Client, buyer: User) -> Client:
    client.force_login(buyer)
    return client


@pytest.fixture
def paid_purchase(buyer: User, packages: dict[int, CoinPackage]) -> Callable[..., Purchase]:
    """A purchase fully paid through the sandbox and confirmed (coins credited)."""

    def make(coins: int = 350, user: User | None = None) -> Purchase:
        quote = services.recharge_quote(package_id=packages[coins].pk, custom_coins=None, payment_method="card")
        purchase = services.purchase_create(user=user or buyer, quote=quote)
        services.purchase_checkout_start(purchase=purchase, base_url="http://testserver")
        purchase.refresh_from_db()
        mark_sandbox_paid(purchase)
        return services.purchase_confirm(purchase_id=purchase.pk)

    return make

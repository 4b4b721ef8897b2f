"""A small local fake of the Stripe API endpoints Coinshop and dj-stripe call, for tests without the network.

It answers on 127.0.0.1 in Stripe's real shapes: every object starts as Stripe's own example for its resource
(``shared/stripe/fixtures3.json``, the data stripe-mock serves), with ids, amounts, status and metadata set per test.
It keeps what the code created (checkout sessions, by idempotency key as Stripe does), records every request, and
answers anything it does not know with Stripe's 404 so an unexpected call fails loudly (``unexpected``).

It also builds webhook events the way Stripe does (the example event with the object inside) and signs them exactly
as Stripe signs them: ``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload" with the endpoint secret>``.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# The repository sits at <root>/main with shared/ beside it at <root>/shared; the nearest one up from here (a copy
# of the repository one level down, such as mutmut's mutants/, finds the same one).
FIXTURES = next(
    (
        p / "shared" / "stripe" / "fixtures3.json"
        for p in Path(__file__).resolve().parents[3:]
        if (p / "shared" / "stripe" / "fixtures3.json").exists()
    ),
    Path(__file__).resolve().parents[3] / "shared" / "stripe" / "fixtures3.json",
)

ACCOUNT_ID = "acct_1CoinshopTestAccount00"
API_VERSION = "2026-05-27.dahlia"


@cache
def _fixtures() -> dict[str, Any]:
    return json.loads(FIXTURES.read_text())["resources"]


def example(resource: str, **overrides: Any) -> dict[str, Any]:
    """A fresh copy of Stripe's example object for ``resource`` (e.g. "checkout.session"), with overrides."""
    return {**copy.deepcopy(_fixtures()[resource]), **overrides}


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def stripe_signature(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe sends with ``payload``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (``a[b][0][c]=v``) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def listify(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: listify(v) for k, v in node.items()}
            if node and all(k.isdigit() for k in node):
                return [node[k] for k in sorted(node, key=int)]
        return node

    return listify(root)


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class StripeFake:
    """The fake's state: Stripe's side of the world, by object id."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    idempotent: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse_next: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- the objects -----------------------------------------------------------------------

    def account(self) -> dict[str, Any]:
        return example("account", id=ACCOUNT_ID, email="owner@coinshop.test", charges_enabled=True)

    def checkout_session_create(self, params: dict[str, Any], idempotency_key: str | None) -> dict[str, Any]:
        if idempotency_key and idempotency_key in self.idempotent:
            return self.idempotent[idempotency_key]
        session_id = new_id("cs_test")
        intent = self.add(
            example(
                "payment_intent",
                id=new_id("pi"),
                status="requires_payment_method",
                last_payment_error=None,
                next_action=None,
                canceled_at=None,
                transfer_data=None,
                latest_charge=None,
                metadata=dict((params.get("payment_intent_data") or {}).get("metadata") or {}),
            )
        )
        line_items = []
        total = 0
        currency = None
        for i, item in enumerate(params.get("line_items") or []):
            price_data = item["price_data"]
            quantity = int(item.get("quantity", 1))
            amount = int(price_data["unit_amount"]) * quantity
            total += amount
            currency = price_data["currency"]
            line_items.append(
                example(
                    "item",
                    id=f"li_{session_id}_{i}",
                    amount_subtotal=amount,
                    amount_total=amount,
                    currency=currency,
                    description=price_data["product_data"]["name"],
                    quantity=quantity,
                    discounts=[],
                    taxes=[],
                )
            )
        intent.update(amount=total, currency=currency)
        session = example(
            "checkout.session",
            id=session_id,
            mode=params.get("mode"),
            status="open",
            payment_status="unpaid",
            amount_subtotal=total,
            amount_total=total,
            currency=currency,
            metadata=dict(params.get("metadata") or {}),
            client_reference_id=params.get("client_reference_id"),
            payment_method_types=list(params.get("payment_method_types") or ["card"]),
            payment_method_options=params.get("payment_method_options") or {},
            success_url=params.get("success_url"),
            cancel_url=params.get("cancel_url"),
            payment_intent=intent["id"],
            url=f"https://checkout.stripe.com/c/pay/{session_id}",
            shipping_cost=None,
            shipping_address_collection=None,
            total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            currency_conversion=None,
            invoice_creation=None,
            expires_at=int(time.time()) + 24 * 3600,
            created=int(time.time()),
        )
        session["_line_items"] = line_items
        self.add(session)
        if idempotency_key:
            self.idempotent[idempotency_key] = session
        return session

    def connect_account_create(self, params: dict[str, Any], idempotency_key: str | None) -> dict[str, Any]:
        """A connected Express account, not onboarded yet (``connect_account_onboarded`` finishes it)."""
        if idempotency_key and idempotency_key in self.idempotent:
            return self.idempotent[idempotency_key]
        account = self.add(
            example(
                "account",
                id=new_id("acct"),
                type=params.get("type"),
                email=params.get("email"),
                metadata=dict(params.get("metadata") or {}),
                charges_enabled=False,
                payouts_enabled=False,
                details_submitted=False,
                created=int(time.time()),
            )
        )
        if idempotency_key:
            self.idempotent[idempotency_key] = account
        return account

    def connect_account_onboarded(self, account_id: str) -> None:
        self.get(account_id).update(details_submitted=True, payouts_enabled=True, charges_enabled=True)

    def account_link_create(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("account") not in self.objects:
            raise KeyError(params.get("account"))  # answered as Stripe's resource_missing
        return example(
            "account_link",
            url=f"https://connect.stripe.com/setup/e/{params['account']}/{secrets.token_hex(8)}",
            created=int(time.time()),
            expires_at=int(time.time()) + 300,
        )

    def transfer_create(self, params: dict[str, Any], idempotency_key: str | None) -> dict[str, Any]:
        if idempotency_key and idempotency_key in self.idempotent:
            return self.idempotent[idempotency_key]
        transfer = self.add(
            example(
                "transfer",
                id=new_id("tr"),
                amount=int(params["amount"]),
                currency=params["currency"],
                destination=params["destination"],
                transfer_group=params.get("transfer_group"),
                metadata=dict(params.get("metadata") or {}),
                reversed=False,
                amount_reversed=0,
                created=int(time.time()),
            )
        )
        if idempotency_key:
            self.idempotent[idempotency_key] = transfer
        return transfer

    def transfer_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first, filtered by destination and creation time as Stripe's list does."""
        with self.lock:
            transfers = [o for o in self.objects.values() if o.get("object") == "transfer"]
        if "destination" in params:
            transfers = [t for t in transfers if t["destination"] == params["destination"]]
        if "gte" in (params.get("created") or {}):
            transfers = [t for t in transfers if t["created"] >= int(params["created"]["gte"])]
        limit = int(params.get("limit", 10))
        data = transfers[::-1][:limit]
        return {"object": "list", "url": "/v1/transfers", "has_more": len(transfers) > limit, "data": data}

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.objects[obj["id"]] = obj
        return obj

    def get(self, object_id: str) -> dict[str, Any]:
        return self.objects[object_id]

    def session_pay(self, session_id: str, *, amount_total: int | None = None, delayed: bool = False) -> dict[str, Any]:
        """The person paid on Stripe's page (``delayed``: a bank method that confirms later). Returns the charge."""
        session = self.get(session_id)
        intent = self.get(session["payment_intent"])
        if amount_total is not None:
            session["amount_total"] = session["amount_subtotal"] = amount_total
            intent["amount"] = amount_total
        charge = self.add(
            example(
                "charge",
                id=new_id("ch"),
                amount=intent["amount"],
                amount_captured=intent["amount"],
                currency=intent["currency"],
                captured=True,
                paid=not delayed,
                status="pending" if delayed else "succeeded",
                payment_intent=intent["id"],
                balance_transaction=None,
                payment_method=None,
                source=None,
                transfer_data=None,
                description=None,
                metadata={},
            )
        )
        session["status"] = "complete"
        session["payment_status"] = "unpaid" if delayed else "paid"
        intent.update(status="processing" if delayed else "succeeded", latest_charge=charge["id"])
        intent["amount_received"] = 0 if delayed else intent["amount"]
        return charge

    def async_payment_result(self, session_id: str, *, succeeded: bool) -> None:
        session = self.get(session_id)
        intent = self.get(session["payment_intent"])
        charge = self.get(intent["latest_charge"])
        if succeeded:
            session["payment_status"] = "paid"
            intent.update(status="succeeded", amount_received=intent["amount"])
            charge.update(status="succeeded", paid=True)
        else:
            intent.update(
                status="requires_payment_method",
                last_payment_error={"type": "card_error", "message": "The bank declined the transfer."},
            )
            charge.update(status="failed", paid=False, failure_message="The bank declined the transfer.")

    def session_expire(self, session_id: str) -> None:
        session = self.get(session_id)
        session["status"] = "expired"
        self.get(session["payment_intent"])["status"] = "canceled"

    def charge_refund(self, charge_id: str, *, amount: int | None = None) -> dict[str, Any]:
        charge = self.get(charge_id)
        charge["amount_refunded"] = charge["amount"] if amount is None else amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        return charge

    def dispute_open(self, charge_id: str, *, status: str = "needs_response") -> dict[str, Any]:
        charge = self.get(charge_id)
        charge["disputed"] = True
        return self.add(
            example(
                "dispute",
                id=new_id("dp"),
                amount=charge["amount"],
                currency=charge["currency"],
                charge=charge_id,
                payment_intent=None,  # as in Stripe's example: found through the charge
                status=status,
                balance_transactions=[],
                created=int(time.time()),
            )
        )

    def dispute_close(self, dispute_id: str, *, status: str) -> dict[str, Any]:
        dispute = self.get(dispute_id)
        dispute["status"] = status
        return dispute

    # --- events ----------------------------------------------------------------------------

    def event(self, event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> bytes:
        """A webhook event as Stripe sends it: its own snapshot of the object at the time of the event."""
        snapshot = {k: v for k, v in copy.deepcopy(obj).items() if not k.startswith("_")}
        event = example(
            "event",
            id=event_id or new_id("evt"),
            type=event_type,
            api_version=API_VERSION,
            created=int(time.time()),
            livemode=False,
            pending_webhooks=1,
            request={"id": None, "idempotency_key": None},
            data={"object": snapshot},
        )
        event["account"] = None
        return json.dumps(event).encode()

    # --- answering -------------------------------------------------------------------------

    def _expanded(self, obj: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}
        for path in expand:
            head, _, rest = path.partition(".")
            if head == "line_items" and obj.get("object") == "checkout.session":
                out["line_items"] = {
                    "object": "list",
                    "data": copy.deepcopy(obj["_line_items"]),
                    "has_more": False,
                    "url": f"/v1/checkout/sessions/{obj['id']}/line_items",
                }
            elif head == "total_details" and rest == "breakdown":
                out["total_details"] = {**(out.get("total_details") or {}), "breakdown": {"discounts": [], "taxes": []}}
            elif isinstance(out.get(head), str) and out[head] in self.objects:
                out[head] = self._expanded(self.objects[out[head]], [rest] if rest else [])
        return out

    def answer(self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        with self.lock:
            self.requests.append(Request(method, path, params, headers))
            if self.refuse_next and f"{method} {path}".startswith(self.refuse_next[0][0]):
                _, status, error = self.refuse_next.pop(0)
                return status, error
        expand = list(params.get("expand") or [])
        routes: list[tuple[str, str, Callable[..., dict[str, Any]]]] = [
            ("GET", r"/v1/account", lambda: self.account()),
            ("POST", r"/v1/accounts", lambda: self.connect_account_create(params, headers.get("idempotency-key"))),
            ("POST", r"/v1/account_links", lambda: self.account_link_create(params)),
            ("POST", r"/v1/transfers", lambda: self.transfer_create(params, headers.get("idempotency-key"))),
            ("GET", r"/v1/transfers", lambda: self.transfer_list(params)),
            (
                "POST",
                r"/v1/checkout/sessions",
                lambda: self._expanded(self.checkout_session_create(params, headers.get("idempotency-key")), expand),
            ),
        ]
        for method_, pattern, handler in routes:
            if method == method_ and re.fullmatch(pattern, path):
                try:
                    return 200, handler()
                except KeyError as exc:  # a reference to an object Stripe does not have
                    error = {"type": "invalid_request_error", "code": "resource_missing"}
                    return 400, {"error": {**error, "message": f"No such object: '{exc.args[0]}'"}}
        match = re.fullmatch(
            r"/v1/(checkout/sessions|payment_intents|charges|disputes|accounts|transfers)/([A-Za-z0-9_]+)", path
        )
        if method == "GET" and match and match.group(2) in self.objects:
            return 200, self._expanded(self.objects[match.group(2)], expand)
        self.unexpected.append(f"{method} {path}")
        message = f"Unrecognized request URL ({method}: {path})."
        if match:
            message = f"No such object: '{match.group(2)}'"
        return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": message}}

    def refuse(self, status: int = 400, message: str = "Invalid currency: xyz", *, request: str = "") -> None:
        """The next request (the next one ``request`` begins, e.g. "POST /v1/transfers") gets a Stripe error instead
        of its answer: an invalid request for a 4xx, Stripe's own failure (an API error) for a 5xx."""
        kind = "api_error" if status >= 500 else "invalid_request_error"
        self.refuse_next.append((request, status, {"error": {"type": kind, "message": message}}))

    def calls(self, method: str, path_prefix: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]


def serve(fake: StripeFake) -> ThreadingHTTPServer:
    """Start answering for ``fake`` on 127.0.0.1 at a free port (``fake.url``); ``shutdown()`` the result."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            params = decode_form(
                parse_qsl(split.query, keep_blank_values=True) + parse_qsl(body, keep_blank_values=True)
            )
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload = fake.answer(self.command, split.path, params, headers)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", new_id("req"))
            self.send_header("Stripe-Should-Retry", "false")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="stripe-fake", daemon=True).start()
    return server

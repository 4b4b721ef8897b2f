"""Issue 12: odd input answers in words and writes nothing: a plan's gift id of 2**63, and a gift form whose
idempotency key belongs to someone else's gift."""

from __future__ import annotations

import uuid

import pytest

from gifts.models import GiftSend, SubscriptionPlan
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw", [str(2**63), str(2**64), "9" * 30, "-1", "x"])
def test_a_plan_gift_id_out_of_range_is_refused_in_words(client, creator, catalog, raw):
    client.force_login(creator.user)
    response = client.post(
        "/subscriptions/plan/", {"name": "Fans", "coins_per_month": "50", "active": "on", "subscriber_gifts": [raw]}
    )
    assert response.status_code == 400
    assert "That gift is not in the catalog any more: pick again." in response.content.decode()
    assert not SubscriptionPlan.objects.exists()


def test_a_gift_key_that_is_someone_elses_is_refused_and_writes_nothing(
    client, make_user, viewer, creator, catalog, fund, nothing_written
):
    other = make_user("other@example.com")
    fund(other, 100)
    fund(viewer, 100)
    key = uuid.uuid4()
    client.force_login(other)
    form = {"gift": catalog["rose"].pk, "quantity": 1, "visibility": "public", "idempotency_key": str(key)}
    client.post(f"/@{creator.handle}/gift/", form)
    assert GiftSend.objects.count() == 1
    client.force_login(viewer)
    with nothing_written():
        response = client.post(f"/@{creator.handle}/gift/", form, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "This gift form has expired. Reload the page and send the gift again."
    assert wallet_balance_get(user=viewer) == 100

"""Ids typed in a form or a URL that are no ids: "²" and "①" (``str.isdigit`` says yes, ``int`` says no) and 4,400
digits (``int`` refuses more than 4,300). Every entry point answers in words or a 4xx, never a 500, and writes
nothing."""

from __future__ import annotations

import uuid

import pytest

from coinshop.http import int_or_none

pytestmark = pytest.mark.django_db

ODD = ["²", "①", "9" * 4400, "9" * 19, "-1"]  # for every id a view reads
RAW_ODD = [*ODD, "٣", " 1", "1.0"]  # Django's IntegerField reads these three as 3, 1 and 1; ``int_or_none`` does not


@pytest.mark.parametrize("raw", RAW_ODD)
def test_int_or_none_refuses_what_is_no_id(raw):
    assert int_or_none(raw) is None


def test_int_or_none_reads_plain_ascii_digits():
    assert (int_or_none("42"), int_or_none("9" * 18), int_or_none("9" * 19), int_or_none("")) == (
        42,
        10**18 - 1,
        None,
        None,
    )


def _refused(response) -> None:
    assert response.status_code < 500
    if response.status_code < 400:  # a page or a redirect that says why, in words
        assert response.status_code in (200, 302)


@pytest.mark.parametrize("raw", RAW_ODD)
def test_the_gift_forms_live_session_and_gift(client, viewer, creator, live, catalog, fund, nothing_written, raw):
    fund(viewer, 1000)
    client.force_login(viewer)
    base = {"gift": catalog["heart"].pk, "quantity": 1, "visibility": "public"}
    odd_ids = [{**base, "live_session": raw}]  # read by ``int_or_none``
    if raw in ODD:  # read by the form's IntegerField
        odd_ids += [{**base, "gift": raw}, {**base, "quantity": raw}]
    for data in odd_ids:
        with nothing_written():
            response = client.post(
                f"/@{creator.handle}/gift/",
                {**data, "idempotency_key": str(uuid.uuid4())},
                HTTP_ACCEPT="application/json",
            )
        assert response.status_code == 400
        assert response.json()["error"]


@pytest.mark.parametrize("raw", RAW_ODD)
def test_the_shop_and_the_inventory(client, viewer, shop_items, fund, nothing_written, raw):
    fund(viewer, 1000)
    client.force_login(viewer)
    if raw in ODD:  # the buy form's IntegerField
        with nothing_written():
            response = client.post("/shop/buy/", {"item": raw}, HTTP_ACCEPT="application/json")
        assert response.status_code == 400
        assert response.json()["error"]
    with nothing_written():
        response = client.post("/inventory/effect/", {"item": raw}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["That item does not exist."]


@pytest.mark.parametrize("raw", ODD)
def test_the_chat_sticker(client, viewer, live, shop_items, nothing_written, raw):
    client.force_login(viewer)
    with nothing_written():
        response = client.post(f"/live/{live.pk}/chat/", {"text": "hi", "sticker": raw}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize("raw", ["²", "①", "9" * 4400, "9" * 19])
@pytest.mark.parametrize("path", ["/live/{}/", "/live/{}/feed.json", "/live/{}/events"])
def test_the_live_urls(client, viewer, raw, path):
    client.force_login(viewer)
    assert client.get(path.format(raw)).status_code == 404


@pytest.mark.parametrize("raw", ["²", "①", "9" * 4400, "9" * 19])
@pytest.mark.parametrize("path", ["/live/{}/end/", "/live/{}/chat/"])
def test_the_live_urls_posted(client, viewer, nothing_written, raw, path):
    client.force_login(viewer)
    with nothing_written():
        assert client.post(path.format(raw), {"text": "hi"}).status_code == 404

"""What gifts and subscriptions write to the cache once they commit (``coinshop.cache.cache_write_many``): a changed
leaderboard version (pages recompute the creator's boards) and the sender's gifter-level totals, moved by each gift
and undo. Found by mutation testing (tests/MUTATION.md): nothing checked these writes after the gift path began to
make them in one round trip."""

from __future__ import annotations

from django.core.cache import cache

from gifts.models import SubscriptionPlan
from gifts.sending.leaderboards import leaderboard_version_key
from gifts.sending.levels import gifter_coins_many
from gifts.sending.services import gift_send, gift_undo
from gifts.subscriptions.services import subscription_start


def _totals(user_id: int) -> tuple[object, object]:
    """The sender's cached totals (all their gifts, those sent with the name shown), without computing them."""
    return cache.get(f"gifts:gifted:{user_id}"), cache.get(f"gifts:gifted-public:{user_id}")


def test_a_gift_and_its_undo_move_the_senders_cached_level_totals(
    viewer, creator, catalog, fund, django_capture_on_commit_callbacks
):
    fund(viewer, 5_000)
    gifter_coins_many(user_ids=[viewer.pk])  # both totals cached (0 coins)
    assert _totals(viewer.pk) == (0, 0)
    with django_capture_on_commit_callbacks(execute=True):
        crown = gift_send(sender=viewer, creator=creator, gift=catalog["crown"], visibility="public")
    assert _totals(viewer.pk) == (crown.coins, crown.coins)
    with django_capture_on_commit_callbacks(execute=True):
        rose = gift_send(sender=viewer, creator=creator, gift=catalog["rose"], visibility="anonymous")
    assert _totals(viewer.pk) == (crown.coins + rose.coins, crown.coins)  # an anonymous gift: only their own total
    with django_capture_on_commit_callbacks(execute=True):
        gift_undo(send=crown, by=viewer)
    assert _totals(viewer.pk) == (rose.coins, 0)  # the undo takes the crown off both
    assert gifter_coins_many(user_ids=[viewer.pk]) == {viewer.pk: rose.coins}  # as the database says


def test_a_gift_and_a_new_subscriber_make_the_creators_leaderboards_stale(
    viewer, creator, catalog, fund, make_creator, django_capture_on_commit_callbacks
):
    fund(viewer, 5_000)
    key = leaderboard_version_key(creator_id=creator.pk)
    other = leaderboard_version_key(creator_id=make_creator("bea").pk)
    assert cache.get(key) is None
    with django_capture_on_commit_callbacks(execute=True):
        gift_send(sender=viewer, creator=creator, gift=catalog["rose"])
    after_gift = cache.get(key)
    assert isinstance(after_gift, int)
    SubscriptionPlan.objects.create(creator=creator, coins_per_month=100)
    with django_capture_on_commit_callbacks(execute=True):
        subscription_start(subscriber=viewer, creator=creator)  # the subscriber badge on the boards
    assert isinstance(cache.get(key), int) and cache.get(key) != after_gift
    assert cache.get(other) is None  # another creator's boards are not touched


def test_a_level_read_after_a_gift_commits_but_before_its_cache_writes_counts_the_gift_once(
    viewer, creator, catalog, fund, django_capture_on_commit_callbacks
):
    """Another viewer's page can read the sender's level in the moment between the gift's commit and its cache
    writes: it computes the total from the database (with the gift in it), and the gift's own write must not then
    add the gift a second time (CI saw "Lv 2" for one 5-coin Heart this way)."""
    fund(viewer, 5_000)
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        rose = gift_send(sender=viewer, creator=creator, gift=catalog["rose"], visibility="public")
    # Committed (this test's reads see it), its cache writes not yet made: a page renders the level now.
    assert gifter_coins_many(user_ids=[viewer.pk], public_only=True) == {viewer.pk: rose.coins}
    for write in after_commit:
        write()
    assert gifter_coins_many(user_ids=[viewer.pk]) == {viewer.pk: rose.coins}
    assert gifter_coins_many(user_ids=[viewer.pk], public_only=True) == {viewer.pk: rose.coins}
    with django_capture_on_commit_callbacks(execute=True):
        gift_send(sender=viewer, creator=creator, gift=catalog["rose"], visibility="public")
    assert gifter_coins_many(user_ids=[viewer.pk]) == {viewer.pk: 2 * rose.coins}  # and the next gift moves it

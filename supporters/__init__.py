"""Supporters: following creators for free, and thank-yous from a creator to the people who gifted them.

Placed ABOVE ``videos`` (and ``posts``) in the import order: it reads gifts' and videos' rows, and writes through
``notifications``. Nothing below imports it: the go-live code in ``gifts.live`` queues
``supporters.tasks.followers_notify_live_task`` by name (``coinshop.celery.task_enqueue``), and gifts' templates show
the follow button through this app's template tag (``{% load supporters_tags %}``), so the imports point one way.
The creators' "gifts received" summaries are made here too, by Celery beat, from the gifts already recorded: the
gift path itself does no extra work for them.
"""

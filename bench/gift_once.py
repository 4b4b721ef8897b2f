"""One process, 400 gifts to one creator: wall and CPU ms per ``gift_send`` and its statements, for comparing two
checkouts of Coinshop on the same data, alternately (bench/RESULTS.md "The gift path before and after issues 11..14").

Run from a checkout whose benchmark database was loaded and kept (and works with older checkouts, whose ``gift_send``
was in ``gifts.services``):

    BENCH_KEEP_DB=1 BENCH_PHASES=none BENCH_VIEWERS=2000 BENCH_CREATORS=200 BENCH_DB=coinshop_prof \
        .venv/bin/python -m bench.run
    BENCH_DB=coinshop_prof .venv/bin/python bench/gift_once.py
"""

from __future__ import annotations

import os
import sys
import time

sys.path[0] = os.getcwd()  # the checkout, not bench/ (whose profile.py would hide the standard library's)
sys.argv = sys.argv[:1]

import bench.profile as profile  # noqa: E402  (sets the environment up and calls django.setup())
from accounts.models import CreatorProfile, User  # noqa: E402
from gifts.models import Gift  # noqa: E402

try:
    from gifts.sending.services import gift_send
except ImportError:  # before issue 11 split the gifts app
    from gifts.services import gift_send  # type: ignore[no-redef]

GIFTS = 400

heart = Gift.objects.select_related("event").get(slug="heart")
hot = CreatorProfile.objects.select_related("user").get(pk=1)
senders = list(User.objects.filter(pk__lte=200))
count = {"i": 0}


def one() -> None:
    count["i"] += 1
    gift_send(sender=senders[count["i"] % len(senders)], creator=hot, gift=heart)


for _ in range(50):  # warm up: connections, caches, imports
    one()
wall, cpu = time.perf_counter(), time.process_time()
for _ in range(GIFTS):
    one()
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
statements = profile.statements_of(one)
print(f"wall {wall / GIFTS * 1000:.3f} ms  cpu {cpu / GIFTS * 1000:.3f} ms  statements {len(statements)}")

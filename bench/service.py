"""Service level: N worker processes calling ``gifts.services.gift_send`` for a fixed time.

The parent has run ``django.setup()`` and loaded the creators once; it closes its database connections and forks,
so every worker is a set-up Django process that opens its own PostgreSQL connection on first use. Each worker
sends from its own slice of viewers (a person does not gift from two devices at once; the sender side is spread
anyway), to creator 1 (scenario ``hot``) or to a random one of all creators (``spread``).

A round: every worker starts at the same monotonic instant, gifts through a warm-up, then records the latency of
every gift that completes inside the measured window. Gifts/s = gifts completed in the window / its length.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from django.db import connections

from accounts.models import CreatorProfile, User
from gifts.models import Gift

SENDERS_PER_WORKER = 500


@dataclass
class RoundResult:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


def _worker(conn: Connection, index: int, workers: int, viewers: int, creators: list[CreatorProfile], gift_id: int):  # type: ignore[no-untyped-def]
    from gifts.sending.services import gift_send

    rng = random.Random(index * 7919 + workers)
    try:
        # This worker's own viewers: ids congruent to its index modulo the number of workers.
        ids = rng.sample(range(index + 1, viewers + 1, workers), k=min(SENDERS_PER_WORKER, viewers // workers))
        senders = list(User.objects.filter(pk__in=ids))
        gift = Gift.objects.select_related("event").get(pk=gift_id)
        hot = creators[0]
        conn.send("ready")
        while True:
            command = conn.recv()
            if command[0] == "stop":
                return
            if command[0] == "close":
                connections.close_all()
                conn.send("closed")
                continue
            _, scenario, start_at, measure_at, end_at = command
            result = RoundResult()
            while time.monotonic() < start_at:
                time.sleep(0.001)
            while True:
                t0 = time.perf_counter()
                if time.monotonic() >= end_at:
                    break
                creator = hot if scenario == "hot" else creators[rng.randrange(len(creators))]
                try:
                    gift_send(sender=senders[rng.randrange(len(senders))], creator=creator, gift=gift)
                except Exception as exc:
                    result.errors[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1
                    connections.close_all()  # a broken connection would fail every later gift too
                    continue
                finished = time.monotonic()
                if measure_at <= finished < end_at:
                    result.latencies.append(time.perf_counter() - t0)
            conn.send(result)
    except Exception:
        conn.send(("crashed", traceback.format_exc()))


class WorkerPool:
    def __init__(self, workers: int, *, viewers: int, creators: list[CreatorProfile], gift_id: int) -> None:
        connections.close_all()  # the children must not share the parent's socket
        ctx = mp.get_context("fork")
        self.pipes: list[Connection] = []
        self.processes = []
        for i in range(workers):
            parent_end, child_end = ctx.Pipe()
            process = ctx.Process(target=_worker, args=(child_end, i, workers, viewers, creators, gift_id), daemon=True)
            process.start()
            self.pipes.append(parent_end)
            self.processes.append(process)
        for reply in self._gather():
            if reply != "ready":
                raise RuntimeError(f"a worker failed to start: {reply}")

    def _gather(self) -> list[object]:
        return [pipe.recv() for pipe in self.pipes]

    def run(self, scenario: str, *, warmup: float, duration: float) -> RoundResult:
        start_at = time.monotonic() + 0.2
        measure_at = start_at + warmup
        end_at = measure_at + duration
        for pipe in self.pipes:
            pipe.send(("run", scenario, start_at, measure_at, end_at))
        total = RoundResult()
        for reply in self._gather():
            if not isinstance(reply, RoundResult):
                raise RuntimeError(f"a worker crashed: {reply}")
            total.latencies.extend(reply.latencies)
            total.errors.update(reply.errors)
        return total

    def close_connections(self) -> None:
        for pipe in self.pipes:
            pipe.send(("close",))
        self._gather()

    def stop(self) -> None:
        for pipe in self.pipes:
            pipe.send(("stop",))
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()

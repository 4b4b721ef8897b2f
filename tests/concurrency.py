"""Helpers for the real-services tests: threads released together, real worker processes, waiting on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection, connections, transaction

REPO = Path(__file__).resolve().parents[1]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def run_concurrently(jobs: list[Callable[[], object]]) -> list[object]:
    """Run each job in its own thread (own database connection), all released at once; exceptions are results."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def worker(i: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = job()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def start_worker(name: str) -> subprocess.Popen[bytes]:
    """A real ``celery worker`` process on the test database and broker, quick to redeliver a dead worker's task."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="coinshop.settings.test",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        CELERY_VISIBILITY_TIMEOUT="3",  # redeliver a dead worker's task after 3 s, not the default 2 minutes
        CELERY_RESTORE_INTERVAL="1",
    )
    command = [sys.executable, "-m", "celery", "-A", "coinshop", "worker", "--pool=solo", "-n", f"{name}@%h"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
    return subprocess.Popen(command, cwd=REPO, env=env)


def kill_worker_mid_task(
    *, enqueue: Callable[[], object], blocker: Callable[[], object], lock_query: str, name: str, workers: list
) -> None:
    """Hold a row the task needs (``blocker`` writes it, uncommitted), queue the task, start a worker process and
    let it block on that row, SIGKILL it there, then roll the row back as if it never existed. The task stays
    unacknowledged: the broker redelivers it to the next worker."""
    with transaction.atomic():
        blocker()
        enqueue()
        doomed = start_worker(name)
        workers.append(doomed)
        wait_for(lambda: backend_waiting_on_lock(lock_query), 30, f"worker {name} to block mid-task")
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
        transaction.set_rollback(True)
    assert doomed.returncode == -signal.SIGKILL


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for process in workers:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def backend_waiting_on_lock(query_like: str) -> bool:
    """Is some PostgreSQL backend waiting for a lock while running a query like ``query_like``?"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view is otherwise frozen
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE %s", [query_like]
        )
        return cursor.fetchone()[0] > 0


def broker_idle() -> bool:
    """No task waiting in the Redis broker's queue and none delivered but unacknowledged.

    Tasks are acknowledged late (after they ran, including what they queued on commit), so once this holds every
    task sent so far has finished.
    """
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return client.llen("celery") == 0 and client.hlen("unacked") == 0


def first_then_second(first: Callable[[], object], second: Callable[[], object]) -> None:
    """Run ``first`` in a transaction kept open until ``second`` (started once ``first`` did its work) waits for a
    lock ``first`` holds; then commit ``first`` and let ``second`` finish. Each runs on its own connection."""
    worked, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def run_first() -> None:
        try:
            with transaction.atomic():
                first()
                worked.set()
                release.wait(30)
        except BaseException as exc:
            errors.append(exc)
            worked.set()
        finally:
            connections.close_all()

    def run_second() -> None:
        try:
            second()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    one = threading.Thread(target=run_first)
    one.start()
    assert worked.wait(30)
    two = threading.Thread(target=run_second)
    two.start()
    try:
        wait_for(lambda: backend_waiting_on_lock("%"), 30, "the second to wait for the first's row locks")
    finally:
        release.set()
        one.join(60)
        two.join(60)
    assert not errors, errors

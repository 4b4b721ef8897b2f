"""Celery configuration (DESIGN.md "Background work"), and proof that a real worker runs our tasks."""

from __future__ import annotations

import time

import pytest
from celery.result import EagerResult
from django.contrib.auth.models import Group

from coinshop.celery import app

from .conftest import RunDjango

DEV = "coinshop.settings.dev"

# Runs in a fresh process: a trivial task, queued the way the apps queue theirs.
QUEUE_ONE_TASK = """
import django
django.setup()
from coinshop.celery import app

@app.task
def add(x, y):
    return x + y

result = add.delay(2, 3)
print(app.conf.task_always_eager, type(result).__name__, result.get() if app.conf.task_always_eager else "-")
"""


def test_without_a_broker_tasks_run_eagerly_in_process(run_django: RunDjango) -> None:
    result = run_django(["-c", QUEUE_ONE_TASK], settings=DEV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "EagerResult", "5"]


def test_with_a_broker_tasks_are_not_eager(run_django: RunDjango) -> None:
    script = "import django; django.setup(); from coinshop.celery import app; print(app.conf.task_always_eager)"
    result = run_django(["-c", script], settings=DEV, CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_tasks_are_acknowledged_late_and_requeued_if_the_worker_dies() -> None:
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_redis_redelivers_unacknowledged_tasks_well_within_an_hour() -> None:
    assert app.conf.broker_transport_options["visibility_timeout"] < 60 * 60


@app.task(name="tests.coinshop.group_create")
def group_create(name: str) -> None:
    """A trivial task whose effect (a committed row) the test can see from outside the worker."""
    Group.objects.create(name=name)


@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_queued_task(real_celery_worker: object) -> None:
    result = group_create.delay("made by the worker")

    assert not isinstance(result, EagerResult), "the task ran in-process: not a real worker"
    deadline = time.monotonic() + 30
    while not Group.objects.filter(name="made by the worker").exists():
        assert time.monotonic() < deadline, "the worker did not run the task within 30 s"
        time.sleep(0.1)

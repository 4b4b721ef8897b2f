"""The Celery app. Tasks live in each app's ``tasks.py`` and are autodiscovered.

Without ``CELERY_BROKER_URL`` the settings turn on eager mode, so tasks run in-process
(the quick-start default); with it they run on real workers.
"""

import importlib
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coinshop.settings.dev")

app = Celery("coinshop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_enqueue(name: str, *args: object, countdown: float | None = None) -> None:
    """Queue the task registered as ``name`` ("wallet.tasks.purchase_confirm_task") now.

    Services and providers queue work through this, by name, so they never import a ``tasks`` module (tasks import
    services: importing back would make a loop). Callers inside a transaction wrap it in ``transaction.on_commit``.
    """
    if name not in app.tasks:  # a web process imports an app's tasks module only when it first queues one
        importlib.import_module(name.rpartition(".")[0])
    app.tasks[name].apply_async(args=args, countdown=countdown)

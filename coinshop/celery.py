"""The Celery app. Tasks live in each app's ``tasks.py`` and are autodiscovered.

Without ``CELERY_BROKER_URL`` the settings turn on eager mode, so tasks run in-process
(the quick-start default); with it they run on real workers.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coinshop.settings.dev")

app = Celery("coinshop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

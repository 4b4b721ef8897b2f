"""Settings for a Coinshop with only the bottom of the import order (accounts, wallet): no payouts (the app that
used to keep the audit log through a signal receiver), no gifts, no videos. Used by ``test_audit`` in a subprocess,
so those apps are never imported, their ``ready()`` never runs, and the tables come from the real migrations."""

from coinshop.settings.test import *  # noqa: F403
from coinshop.settings.test import INSTALLED_APPS as ALL_APPS

LEFT_OUT = {"payouts", "gifts", "videos", "posts", "supporters"}
INSTALLED_APPS = [app for app in ALL_APPS if app not in LEFT_OUT]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
MIGRATION_MODULES = {"djstripe": None}  # its migrations alone take ~40 s; its tables come from its models (syncdb)

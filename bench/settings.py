"""The product's production settings, with one change: ``bench.urls`` adds a bare view as the HTTP baseline.

Everything else (middleware, sessions, CSRF, caches, database options) is exactly what ``coinshop.settings.production``
gives for the environment ``bench/run.py`` sets (SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL, ...).
"""

from coinshop.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

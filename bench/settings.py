"""The product's production settings, with one change: ``bench.urls`` adds a bare view as the HTTP baseline.

Everything else (middleware, sessions, CSRF, caches, database options) is exactly what ``coinshop.settings.production``
gives for the environment ``bench/run.py`` sets (SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL, ...).

The benchmarks run on the sandbox provider, which production settings accept only for a demonstration site: unless
the environment says otherwise, DEMO_MODE is on (payouts are not measured), the sandbox webhook secret is derived from
the run's own SECRET_KEY (the same in every process of a run, never the published default), and the count of trusted
proxies is 0 (the load client talks to gunicorn directly; login rate limits are not measured).
"""

import hashlib
import os

os.environ.setdefault("DEMO_MODE", "true")
os.environ.setdefault("ALLAUTH_TRUSTED_PROXY_COUNT", "0")
if os.environ.get("SECRET_KEY"):
    _derived = hashlib.sha256(f"sandbox-webhook:{os.environ['SECRET_KEY']}".encode()).hexdigest()
    os.environ.setdefault("SANDBOX_WEBHOOK_SECRET", _derived)

from coinshop.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

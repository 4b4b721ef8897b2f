"""Production: refuses to start without its secrets or with an unsafe configuration, each time with a message that
says what to set; passes ``manage.py check --deploy``."""

import os
import re

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SANDBOX_WEBHOOK_SECRET, SANDBOX_WEBHOOK_SECRET_DEFAULT, SECRET_KEY, STORAGES, env

DEBUG = False
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment for production settings.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in the environment (comma-separated host names).")
# Links in emails sent from tasks: the site's own address, not the development default. Without SITE_URL, the first
# of ALLOWED_HOSTS when it is a plain host name ("*" or ".example.com" name no one address).
SITE_URL = env.str("SITE_URL", default="")
if not SITE_URL:
    if not re.fullmatch(
        r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*", ALLOWED_HOSTS[0]
    ):
        raise ImproperlyConfigured(
            f"SITE_URL must be set (e.g. https://coinshop.example): links in emails start with it, and the first of "
            f"ALLOWED_HOSTS ({ALLOWED_HOSTS[0]!r}) is not a plain host name to make it from."
        )
    SITE_URL = f"https://{ALLOWED_HOSTS[0]}"

PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="sandbox")
DEMO_MODE = env.bool("DEMO_MODE", default=False)
if PAYMENT_PROVIDER == "stripe":
    _key = "STRIPE_LIVE_SECRET_KEY" if env.bool("STRIPE_LIVE_MODE", default=False) else "STRIPE_TEST_SECRET_KEY"
    if not env.str(_key, default=""):
        raise ImproperlyConfigured(f"PAYMENT_PROVIDER=stripe needs {_key} in the environment.")
elif PAYMENT_PROVIDER == "sandbox":
    # The sandbox's "Pay successfully" button mints coins that become payable diamonds.
    if not DEMO_MODE:
        raise ImproperlyConfigured(
            "PAYMENT_PROVIDER is sandbox (the default), whose test checkout gives coins away: "
            "set PAYMENT_PROVIDER=stripe (with its keys) for real payments, "
            "or DEMO_MODE=true for a demonstration site (a banner on every page, payouts off)."
        )
    if SANDBOX_WEBHOOK_SECRET == SANDBOX_WEBHOOK_SECRET_DEFAULT:
        raise ImproperlyConfigured(
            "SANDBOX_WEBHOOK_SECRET must be set to a secret of your own (e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`): "
            "the default is published in the repository."
        )
else:
    raise ImproperlyConfigured(f"PAYMENT_PROVIDER must be stripe or sandbox, not {PAYMENT_PROVIDER!r}.")

# Login rate limits (allauth) count in the cache: every process must share it, and must see each client's own address.
if not env.str("REDIS_URL", default=""):
    raise ImproperlyConfigured(
        "REDIS_URL must be set (e.g. redis://127.0.0.1:6379/0): login rate limits need a cache that every web process "
        "shares; with a cache per process each one allows its own count of wrong passwords."
    )
if "ALLAUTH_TRUSTED_PROXY_COUNT" not in os.environ and not env.str("ALLAUTH_TRUSTED_CLIENT_IP_HEADER", default=""):
    raise ImproperlyConfigured(
        "ALLAUTH_TRUSTED_PROXY_COUNT must be set: the number of reverse proxies in front of Coinshop that append to "
        "X-Forwarded-For (1 behind one nginx, 0 when clients connect directly), or ALLAUTH_TRUSTED_CLIENT_IP_HEADER "
        "(e.g. X-Real-IP) if a trusted proxy sets one. Otherwise every client shares the proxy's address and a few "
        "wrong passwords lock everyone out."
    )

DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)  # noqa: F405 - see base.py

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    **STORAGES,  # "default" and "videos" as base.py sets them
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

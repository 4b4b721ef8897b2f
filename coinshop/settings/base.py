"""Settings shared by every environment, read from environment variables (DESIGN.md "Settings").

Every variable has a safe development default except the ones ``production`` insists on.
"""

from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "coinshop.apps.CoinshopAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "djstripe",
    "csp",
    "coinshop",
    "notifications",
    "accounts",
    "wallet",
    "gifts",
    "videos",
    "posts",
    "supporters",
    "payouts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "coinshop.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.OTPStepMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "coinshop.urls"
WSGI_APPLICATION = "coinshop.wsgi.application"
ASGI_APPLICATION = "coinshop.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coinshop.context_processors.site",
            ],
        },
    },
]

# --- Database: SQLite file by default, anything else through DATABASE_URL -----------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Seconds a web process keeps its database connection between requests (0: a new one per request, Django's default).
# Opening a PostgreSQL connection costs more than most pages take to render (bench/RESULTS.md): production keeps
# them (60 s, checked before reuse). Under an ASGI server leave it at 0, as Django advises.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (and allauth's rate limits): Redis when REDIS_URL is set ------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="coinshop"),
        }
    }
    # Sessions are read from Redis (and written through to the database): one query less on every request.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: eager without a broker, real workers with one --------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Redis redelivers unacknowledged tasks after this many seconds (STACK.md): keep it short.
# A task a dead worker held is given to another worker once it is this old (seconds); every countdown and retry
# delay must stay below it, or a live worker's delayed task would be delivered twice (harmless, but wasteful).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=120),
    # How often (seconds) a worker looks for such abandoned tasks; kombu's default is every 100 s.
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}

# --- Demo mode: a public demonstration on the sandbox provider ------------------------------
# The sandbox provider's "Pay successfully" button mints coins. A site that runs it for others must say so: DEMO_MODE
# shows a banner on every page and turns payouts off (``payouts.services.payout_request_create``). Production settings
# refuse the sandbox without it.
DEMO_MODE = env.bool("DEMO_MODE", default=False)

# --- Browser security headers: Content-Security-Policy (django-csp) and Permissions-Policy --------
# No inline script, style or event handler anywhere: everything comes from /static/. Live video (hls.js) plays from
# blob: URLs; LIVE_HLS_URL on another host, or videos in S3, add their origin through CSP_MEDIA_ORIGINS.
CSP_MEDIA_ORIGINS: list[str] = env.list("CSP_MEDIA_ORIGINS", default=[])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:", *CSP_MEDIA_ORIGINS],
        "connect-src": ["'self'", *CSP_MEDIA_ORIGINS],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(self), camera=(), display-capture=(), fullscreen=(self), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), browsing-topics=()"
)

# --- Auth, allauth, django-otp ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupExtraForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "optional"  # required before buying, checked where it matters
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Coinshop] "
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False

# Login rate limits count per client IP. Behind reverse proxies, say how many (nginx in front: 1), or every client
# shares the proxy's address and a few wrong passwords lock everyone out; or name the header a trusted proxy sets.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("ALLAUTH_TRUSTED_CLIENT_IP_HEADER", default="") or None

OTP_TOTP_ISSUER = "Coinshop"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_RECENT_SECONDS = env.int("OTP_RECENT_SECONDS", default=300)
ADULT_AGE = 18

# --- Email: console in development, SMTP when EMAIL_HOST is set ---------------------------
EMAIL_HOST = env.str("EMAIL_HOST", default="")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Coinshop <no-reply@coinshop.local>")

# --- i18n, static, media ------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AVATAR_MAX_BYTES = env.int("AVATAR_MAX_BYTES", default=2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Payments ------------------------------------------------------------------------------
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="sandbox")
STRIPE_LIVE_MODE = env.bool("STRIPE_LIVE_MODE", default=False)
STRIPE_TEST_SECRET_KEY = env.str("STRIPE_TEST_SECRET_KEY", default="")
STRIPE_LIVE_SECRET_KEY = env.str("STRIPE_LIVE_SECRET_KEY", default="")
STRIPE_TEST_PUBLIC_KEY = env.str("STRIPE_TEST_PUBLIC_KEY", default="")
STRIPE_LIVE_PUBLIC_KEY = env.str("STRIPE_LIVE_PUBLIC_KEY", default="")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"

# --- Rates (DESIGN.md "Rates"): shown to users, snapshotted on every row that uses them ----
# Cash is integer minor units of CURRENCY, an ISO 4217 code whose exponent (JPY 0, USD 2, KWD 3) and written form
# come from Babel's CLDR data through wallet.money; amounts are written for LANGUAGE_CODE's locale. Settings named
# *_MINOR are minor units of CURRENCY: change them together with it.
CURRENCY = env.str("CURRENCY", default="USD")
DIAMOND_CASH_VALUE = Decimal(env.str("DIAMOND_CASH_VALUE", default="0.005"))  # cash per diamond, in CURRENCY
DIAMONDS_PER_COIN = env.int("DIAMONDS_PER_COIN", default=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Wallet ----------------------------------------------------------------------------------
LEDGER_DIAMOND_SHARDS = env.int("LEDGER_DIAMOND_SHARDS", default=8)
CUSTOM_COINS_MIN = env.int("CUSTOM_COINS_MIN", default=30)
CUSTOM_COINS_MAX = env.int("CUSTOM_COINS_MAX", default=250_000)
CUSTOM_COIN_PRICE = Decimal(env.str("CUSTOM_COIN_PRICE", default="0.0145"))  # per coin, in CURRENCY
PURCHASE_EXPIRY_MINUTES = env.int("PURCHASE_EXPIRY_MINUTES", default=30)
BUDGET_RAISE_DELAY_HOURS = 24
WEBHOOK_TOLERANCE_SECONDS = 300
# The sandbox provider signs its webhooks with this secret (a test-mode secret: no real money moves).
# The default is published in the repository: production refuses it (anyone could sign events with it).
SANDBOX_WEBHOOK_SECRET_DEFAULT = "whsec_sandbox_coinshop_test_mode_only"  # noqa: S105
SANDBOX_WEBHOOK_SECRET = env.str("SANDBOX_WEBHOOK_SECRET", default=SANDBOX_WEBHOOK_SECRET_DEFAULT)
SANDBOX_DELAY_SECONDS = env.int("SANDBOX_DELAY_SECONDS", default=4)
CELERY_BEAT_SCHEDULE.update(
    {
        "expire-stale-purchases": {"task": "wallet.tasks.purchases_expire_stale_task", "schedule": 300.0},
        "ledger-check": {"task": "wallet.tasks.ledger_check_task", "schedule": crontab(minute=7)},
    }
)

# --- Gifts -----------------------------------------------------------------------------------
GIFT_MAX_QUANTITY = env.int("GIFT_MAX_QUANTITY", default=99)
GIFT_UNDO_MIN_COINS = env.int("GIFT_UNDO_MIN_COINS", default=1000)
GIFT_UNDO_SECONDS = env.int("GIFT_UNDO_SECONDS", default=5)
GIFT_COMBO_SECONDS = 10
# Leaderboards are cached: recomputed after a change, at most every LEADERBOARD_REFRESH_SECONDS on a creator's page
# while gifts keep coming (the live room's board is fresh after every gift), and kept LEADERBOARD_CACHE_SECONDS at most.
LEADERBOARD_REFRESH_SECONDS = env.float("LEADERBOARD_REFRESH_SECONDS", default=2.0)
LEADERBOARD_CACHE_SECONDS = env.int("LEADERBOARD_CACHE_SECONDS", default=60)
# Gifter levels (gifts.sending.levels, published on /levels/): level N is reached at GIFTER_LEVELS[N - 1] coins gifted
# in all (live and video gifts; cancelled ones do not count; shop items and subscriptions are not gifts). A person's
# total is cached for GIFTER_LEVEL_CACHE_SECONDS at most, and moved by each gift and undo once it commits.
GIFTER_LEVELS = env.list(
    "GIFTER_LEVELS",
    cast=int,
    default=[
        1, 10, 50, 100, 200, 350, 500, 750, 1_000, 1_500,
        2_000, 3_000, 4_000, 5_000, 6_500, 8_000, 10_000, 12_500, 15_000, 20_000,
        25_000, 30_000, 40_000, 50_000, 60_000, 75_000, 90_000, 100_000, 125_000, 150_000,
        175_000, 200_000, 250_000, 300_000, 350_000, 400_000, 500_000, 600_000, 700_000, 800_000,
        1_000_000, 1_250_000, 1_500_000, 1_750_000, 2_000_000, 2_500_000, 3_000_000, 4_000_000, 5_000_000, 6_000_000,
    ],
)  # fmt: skip
GIFTER_LEVEL_CACHE_SECONDS = env.int("GIFTER_LEVEL_CACHE_SECONDS", default=3600)
# Live rooms (gifts.live): with REDIS_URL each room's events go to a Redis Stream that keeps about LIVE_EVENTS_KEEP of
# them (a viewer who reconnects gets what it missed); event streams coalesce what arrives within LIVE_COALESCE_MS into
# one message, and end after LIVE_STREAM_SECONDS (the browser reconnects with Last-Event-ID).
LIVE_EVENTS_KEEP = env.int("LIVE_EVENTS_KEEP", default=1000)
LIVE_COALESCE_MS = env.int("LIVE_COALESCE_MS", default=200)
LIVE_STREAM_SECONDS = env.int("LIVE_STREAM_SECONDS", default=300)
LIVE_HEARTBEAT_SECONDS = env.float("LIVE_HEARTBEAT_SECONDS", default=15.0)  # heartbeats, and viewer counts, this often
# Live video (deploy/nginx-rtmp.conf): the address creators paste into OBS, the secret nginx's RTMP module puts in its
# callback URLs (on_publish, on_publish_done; without it the callbacks refuse every stream), and where the live room
# finds a creator's HLS playlist ({handle} is replaced: the stream's name is the creator's handle).
RTMP_INGEST_URL = env.str("RTMP_INGEST_URL", default="rtmp://127.0.0.1:1935/live")
RTMP_CALLBACK_SECRET = env.str("RTMP_CALLBACK_SECRET", default="")
LIVE_HLS_URL = env.str("LIVE_HLS_URL", default="/hls/{handle}.m3u8")
# When the encoder stops, the live session ends this many seconds later unless the stream comes back (a reconnect).
LIVE_INGEST_GRACE_SECONDS = env.int("LIVE_INGEST_GRACE_SECONDS", default=30)
# The nchan publisher for `manage.py live_relay` (deploy/nginx-nchan.conf), with {session_id} in it; empty: no relay.
NCHAN_PUBLISH_URL = env.str("NCHAN_PUBLISH_URL", default="")
CELERY_BEAT_SCHEDULE["finalize-gifts"] = {"task": "gifts.tasks.gift_sends_finalize_task", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["end-idle-live-sessions"] = {"task": "gifts.tasks.live_sessions_end_idle_task", "schedule": 30.0}

# --- Stickers, effects, live chat, creator subscriptions (gifts app) -----------------------
CHAT_MAX_LENGTH = env.int("CHAT_MAX_LENGTH", default=200)  # characters per message
CHAT_RATE_MESSAGES = env.int("CHAT_RATE_MESSAGES", default=5)  # at most this many messages per person...
CHAT_RATE_SECONDS = env.int("CHAT_RATE_SECONDS", default=10)  # ...in this many seconds (Django's cache counts)
SUBSCRIPTION_MAX_COINS = env.int("SUBSCRIPTION_MAX_COINS", default=100_000)  # a month's price, at most
SUBSCRIPTION_REMINDER_DAYS = 3  # the email before a renewal
CELERY_BEAT_SCHEDULE.update(
    {
        # Renewals at the period end: every due subscription gets its own (idempotent) renewal task.
        "renew-subscriptions": {"task": "gifts.tasks.subscriptions_renew_due_task", "schedule": 60.0},
        "subscription-reminders": {"task": "gifts.tasks.subscription_reminders_send_task", "schedule": 900.0},
    }
)

# --- Payouts ---------------------------------------------------------------------------------
PAYOUT_MIN_DIAMONDS = env.int("PAYOUT_MIN_DIAMONDS", default=10_000)
PAYOUT_DAILY_LIMIT_MINOR = env.int("PAYOUT_DAILY_LIMIT_MINOR", default=100_000)  # minor units: 1,000.00 USD
PAYOUT_HOLD_DAYS = env.int("PAYOUT_HOLD_DAYS", default=7)  # diamonds received this recently are pending
PAYOUT_AUTO_APPROVE_BELOW_MINOR = env.int("PAYOUT_AUTO_APPROVE_BELOW_MINOR", default=10_000)  # minor: 100.00 USD
PAYOUT_AUTO_APPROVE_MIN_ACCOUNT_DAYS = 30
PAYOUT_DETAILS_HOLD_HOURS = 48
# Automatic approval also looks at where the diamonds came from: the gifts and subscription payments of the last
# PAYOUT_SOURCES_DAYS. Any diamonds from restricted senders or senders who now owe chargeback debt, too many from
# senders whose account was under PAYOUT_FRESH_SENDER_DAYS old when they paid, or too many from the top few
# senders, and the payout waits for staff with the reason. Automatic approvals are also capped per creator per day.
PAYOUT_AUTO_APPROVE_DAILY_MINOR = env.int("PAYOUT_AUTO_APPROVE_DAILY_MINOR", default=10_000)  # minor: 100.00 USD
PAYOUT_SOURCES_DAYS = env.int("PAYOUT_SOURCES_DAYS", default=30)
PAYOUT_FRESH_SENDER_DAYS = env.int("PAYOUT_FRESH_SENDER_DAYS", default=7)
PAYOUT_AUTO_APPROVE_MAX_FRESH_PERCENT = env.int("PAYOUT_AUTO_APPROVE_MAX_FRESH_PERCENT", default=20)
PAYOUT_AUTO_APPROVE_TOP_SENDERS = env.int("PAYOUT_AUTO_APPROVE_TOP_SENDERS", default=3)
PAYOUT_AUTO_APPROVE_MAX_TOP_PERCENT = env.int("PAYOUT_AUTO_APPROVE_MAX_TOP_PERCENT", default=80)

# --- Velocity limits (card testing, gifts from fresh accounts) ---------------------------------
# Purchases: this many started, or failed, in the window put the person on the staff review queue (wallet.velocity).
PURCHASE_VELOCITY_WINDOW_MINUTES = env.int("PURCHASE_VELOCITY_WINDOW_MINUTES", default=60)
PURCHASE_VELOCITY_MAX_STARTED = env.int("PURCHASE_VELOCITY_MAX_STARTED", default=10)
PURCHASE_VELOCITY_MAX_FAILED = env.int("PURCHASE_VELOCITY_MAX_FAILED", default=3)
# Gifts from an account younger than GIFT_VELOCITY_SENDER_DAYS to a creator younger than GIFT_VELOCITY_CREATOR_DAYS
# are flagged (payouts hold their diamonds for staff); past these per-hour totals to one creator they are refused and
# the creator is listed for review (gifts.sending.velocity).
GIFT_VELOCITY_SENDER_DAYS = env.int("GIFT_VELOCITY_SENDER_DAYS", default=7)
GIFT_VELOCITY_CREATOR_DAYS = env.int("GIFT_VELOCITY_CREATOR_DAYS", default=30)
GIFT_VELOCITY_MAX_GIFTS_PER_HOUR = env.int("GIFT_VELOCITY_MAX_GIFTS_PER_HOUR", default=200)
GIFT_VELOCITY_MAX_COINS_PER_HOUR = env.int("GIFT_VELOCITY_MAX_COINS_PER_HOUR", default=50_000)

# --- Videos (videos app) ---------------------------------------------------------------------
# Uploads are checked with ffprobe and converted by a Celery task with ffmpeg (Debian package `ffmpeg`) into a web
# copy (H.264/AAC MP4, fast start) and a poster frame. Every video file lives in a storage of its own,
# STORAGES["videos"], which is NOT served under MEDIA_URL: each file goes through a view that checks who may see it
# (subscriber-only videos: subscribers and the creator only).
#
# By default the storage is a folder (VIDEO_ROOT, outside MEDIA_ROOT). To keep videos in any S3-compatible store
# (AWS S3, MinIO, Cloudflare R2, Backblaze B2, ...), install django-storages with boto3
# (`pip install "django-storages[s3]"`) and set VIDEO_S3_BUCKET (and VIDEO_S3_ENDPOINT_URL for a store other than
# AWS, VIDEO_S3_REGION, VIDEO_S3_ACCESS_KEY_ID, VIDEO_S3_SECRET_ACCESS_KEY, or let boto3 find credentials the usual
# way). The bucket stays private: after the access check the file views redirect to a URL signed for
# VIDEO_S3_URL_SECONDS. The Celery worker reads the upload back through the same storage API to convert it.
#
# Serving from the folder: the file views answer HTTP Range requests themselves (browsers seek with them). Behind
# nginx set VIDEO_ACCEL_REDIRECT_PREFIX (e.g. "/_videos/") and nginx sends the file after Django's check:
#     location /_videos/ { internal; alias /srv/coinshop/private-media/videos/; }   # = VIDEO_ROOT, trailing slash
# (and raise nginx's client_max_body_size to VIDEO_MAX_BYTES for the upload page, /videos/new/).
VIDEO_ROOT = env.path("VIDEO_ROOT", default=BASE_DIR / "private-media" / "videos")
VIDEO_MAX_BYTES = env.int("VIDEO_MAX_BYTES", default=500 * 1024 * 1024)  # largest upload
VIDEO_MAX_SECONDS = env.int("VIDEO_MAX_SECONDS", default=3600)  # longest video
VIDEO_PROBE_SECONDS = env.int("VIDEO_PROBE_SECONDS", default=30)  # ffprobe's time limit, during the upload request
VIDEO_PROCESS_SECONDS = env.int("VIDEO_PROCESS_SECONDS", default=1800)  # ffmpeg's time limit per video, in the task
VIDEO_MAX_HEIGHT = env.int("VIDEO_MAX_HEIGHT", default=1080)  # the web copy is scaled down to at most this height
VIDEO_ACCEL_REDIRECT_PREFIX = env.str("VIDEO_ACCEL_REDIRECT_PREFIX", default="")
FFMPEG_BINARY = env.str("FFMPEG_BINARY", default="ffmpeg")
FFPROBE_BINARY = env.str("FFPROBE_BINARY", default="ffprobe")
VIDEO_S3_BUCKET = env.str("VIDEO_S3_BUCKET", default="")
VIDEO_S3_URL_SECONDS = env.int("VIDEO_S3_URL_SECONDS", default=300)
if VIDEO_S3_BUCKET:
    STORAGES["videos"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": VIDEO_S3_BUCKET,
            "endpoint_url": env.str("VIDEO_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("VIDEO_S3_REGION", default="") or None,
            "access_key": env.str("VIDEO_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("VIDEO_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("VIDEO_S3_PREFIX", default="videos"),
            "default_acl": "private",
            "querystring_auth": True,  # url() gives a signed, expiring URL
            "querystring_expire": VIDEO_S3_URL_SECONDS,
            "file_overwrite": False,
        },
    }
else:
    STORAGES["videos"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VIDEO_ROOT, "base_url": "/_videos/"},
    }

# --- Exclusive posts (posts) ---------------------------------------------------------------------
# A post's text is at most POST_MAX_LENGTH characters; its image at most POST_IMAGE_MAX_BYTES and POST_IMAGE_MAX_PIXELS
# (width x height), re-encoded and scaled down to POST_IMAGE_MAX_SIDE pixels. Images are kept in STORAGES["videos"]
# (under "posts/"), never under MEDIA_URL: each one is sent by a view that checks who may see the post first.
POST_MAX_LENGTH = env.int("POST_MAX_LENGTH", default=5000)
POST_IMAGE_MAX_BYTES = env.int("POST_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
POST_IMAGE_MAX_PIXELS = env.int("POST_IMAGE_MAX_PIXELS", default=16_000_000)
POST_IMAGE_MAX_SIDE = env.int("POST_IMAGE_MAX_SIDE", default=2048)
POST_SUPPORTER_MAX_DAYS = 365  # "gifted at least X coins in the last N days": N from 1 to this

# --- Notifications and supporters (notifications, supporters) ----------------------------------
# SITE_URL: the address links in emails sent from background tasks start with (no request to take it from).
# Creators get one "gifts received" summary per GIFTS_RECEIVED_NOTIFY_SECONDS (gifts that could still be undone wait
# for the next one); followers hear a creator went live in batches of FOLLOWERS_NOTIFY_BATCH, at most once per
# FOLLOWERS_LIVE_NOTICE_COOLDOWN_SECONDS per creator (a stream restarted within it tells nobody again); a thank-you
# note is at most THANK_YOU_MAX_LENGTH characters, and "Thank everyone" reaches gifters from a worker, in batches of
# THANK_EVERYONE_BATCH.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
GIFTS_RECEIVED_NOTIFY_SECONDS = env.int("GIFTS_RECEIVED_NOTIFY_SECONDS", default=600)
FOLLOWERS_NOTIFY_BATCH = env.int("FOLLOWERS_NOTIFY_BATCH", default=500)
FOLLOWERS_LIVE_NOTICE_COOLDOWN_SECONDS = env.int("FOLLOWERS_LIVE_NOTICE_COOLDOWN_SECONDS", default=3600)
THANK_YOU_MAX_LENGTH = 280
THANK_EVERYONE_BATCH = env.int("THANK_EVERYONE_BATCH", default=200)
CELERY_BEAT_SCHEDULE.update(
    {
        "gifts-received-notify": {
            "task": "supporters.tasks.gifts_received_notify_task",
            "schedule": float(GIFTS_RECEIVED_NOTIFY_SECONDS),
        }
    }
)

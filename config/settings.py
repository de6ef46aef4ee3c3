"""Settings for the knowledge base: one module, driven by environment variables.

See the configuration table in README.md.
"""

import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("KB_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: set it, or set DJANGO_DEBUG=1 for local development"
        )
    SECRET_KEY = "django-insecure-development-key-never-use-in-production"
elif not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is too short ({len(SECRET_KEY)} characters): use at least 50 random "
        "characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
# Older keys keep signed values (sessions, form timestamps) valid while a key is rotated.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "crispy_forms",
    "crispy_bootstrap5",
    "adminsortable2",  # issue 12: drag-and-drop order of steps and problems in the guide admin
    "kb",
    "axes",  # issue 15: admin login throttling
    "csp",  # issue 15: Content-Security-Policy (its system check catches old-style settings)
]

MIDDLEWARE = [
    "kb.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # issue 18: a cached public page is answered here, without the rest of the stack
    "kb.middleware.CachedPageMiddleware",
    # issue 15: Content-Security-Policy (django-csp) and Permissions-Policy on every response
    "csp.middleware.CSPMiddleware",
    "kb.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "kb.middleware.TraditionalChineseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # --- issue 15: staff sessions end when idle; axes last, as its documentation asks ---
    "kb.middleware.StaffIdleTimeoutMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kb.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
try:
    _db = dj_database_url.parse(DATABASE_URL)
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None

if _db["ENGINE"] == "django.db.backends.sqlite3":
    if _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db["OPTIONS"] = {
        # Writers queue for the write lock instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("KB_SQLITE_TIMEOUT", 20),
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            f"PRAGMA busy_timeout={env_int('KB_SQLITE_TIMEOUT', 20) * 1000};"
            "PRAGMA temp_store=MEMORY;"
            "PRAGMA cache_size=-20000;"
        ),
    }
    _db["TEST"] = {"NAME": env_str("KB_TEST_SQLITE_NAME") or None}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"].setdefault("connect_timeout", env_int("KB_DB_CONNECT_TIMEOUT", 5))
# Persistent connections on both engines (issue 18): opening a SQLite connection runs the six
# PRAGMAs above, about 0.8 ms, which was most of the cost of serving a page another worker had
# rendered.
_db["CONN_MAX_AGE"] = env_int("DJANGO_CONN_MAX_AGE", 60)
_db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# A hung Redis costs one short timeout, then is not tried for KB_CACHE_RETRY_SECONDS (issue 15).
_REDIS_TIMEOUT = float(env_str("KB_CACHE_SOCKET_TIMEOUT", "1"))
_REDIS_OPTIONS = {"socket_connect_timeout": _REDIS_TIMEOUT, "socket_timeout": _REDIS_TIMEOUT}
KB_CACHE_RETRY_SECONDS = float(env_str("KB_CACHE_RETRY_SECONDS", "10"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "kb.cache_backends.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("KB_CACHE_PREFIX", "kb"),
            "OPTIONS": _REDIS_OPTIONS,
        },
        # Rendered public pages, shared by every worker of every instance (kb/views/pagecache.py).
        "pages": {
            "BACKEND": "kb.cache_backends.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("KB_CACHE_PREFIX", "kb") + "-pages",
            "TIMEOUT": env_int("KB_SHARED_PAGE_CACHE_SECONDS", 7 * 24 * 3600),
            "OPTIONS": _REDIS_OPTIONS,
        },
    }
else:
    # Shared by every process that uses the same database, unlike LocMemCache.
    CACHES = {
        "default": {
            "BACKEND": "kb.dbcache.UpsertDatabaseCache",
            "LOCATION": "kb_cache",
            "KEY_PREFIX": env_str("KB_CACHE_PREFIX", "kb"),
            "OPTIONS": {"MAX_ENTRIES": 20000, "CULL_FREQUENCY": 4},
        },
        # Rendered public pages, shared by every worker (kb/views/pagecache.py); room for a page
        # per guide and language at 100,000 guides, and the listings.
        "pages": {
            "BACKEND": "kb.dbcache.UpsertDatabaseCache",
            "LOCATION": "kb_page_cache",
            "KEY_PREFIX": env_str("KB_CACHE_PREFIX", "kb"),
            "TIMEOUT": env_int("KB_SHARED_PAGE_CACHE_SECONDS", 7 * 24 * 3600),
            "OPTIONS": {
                "MAX_ENTRIES": env_int("KB_SHARED_PAGE_CACHE_ENTRIES", 250_000),
                "CULL_FREQUENCY": 10,
            },
        },
    }

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Languages ------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "kb" / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# --- Uploaded pictures (docs/images.md) ------------------------------------------------------
# On disk under KB_MEDIA_ROOT by default; in an S3-compatible bucket when KB_S3_BUCKET is set, so
# that several machines share them. Readers always fetch them from MEDIA_URL on our own host.
MEDIA_ROOT = Path(env_str("KB_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
KB_S3_BUCKET = env_str("KB_S3_BUCKET")
if KB_S3_BUCKET:
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": KB_S3_BUCKET,
            "endpoint_url": env_str("KB_S3_ENDPOINT_URL") or None,
            "region_name": env_str("KB_S3_REGION") or None,
            "access_key": env_str("KB_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("KB_S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("KB_S3_PREFIX", ""),
            "addressing_style": env_str("KB_S3_ADDRESSING_STYLE") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _media_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": _media_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploads are read into memory up to this size (the picture limit is 5 MB); larger ones spool to
# a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
# Hashed file names change with content, so browsers may keep them for a year.
WHITENOISE_MAX_AGE = 31536000 if not DEBUG else 0

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security -------------------------------------------------------------------------------
_secure = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", _secure)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", _secure)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", _secure)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000 if _secure else 0)
# Opt-in (issue 15): both bind every subdomain, and preload outlives this site's own settings.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# check --deploy recommends both; here they are the operator's decision, not a default.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", _secure):
    # Trust X-Forwarded-Proto only from the proxy in front (it must overwrite the header).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy (django-csp 4): scripts and styles only from our own static files, no
# inline code, no eval, on the public pages and in the admin alike. Public pages are cached as
# bytes for every reader, so they carry no nonce; nothing needs one. Pictures come from
# MEDIA_URL on our own host; data: is for the icons inside Bootstrap's and the admin's CSS.
# Responses that set their own header (pictures, screenshots: "default-src 'none'") keep it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *re.findall(r"^https?://[^/]+", MEDIA_URL)],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Permissions-Policy: a guide site uses none of these powerful features, so no page (nor a
# script injected into one) may ask for them. clipboard-write is left at its default (this
# site only): the guide page's "copy link" button uses it.
KB_PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "guides@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Logging: one line per event on stdout --------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "stream": "ext://sys.stdout",
        },
    },
    "root": {"handlers": ["stdout"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # The request log middleware writes one line per request; these would repeat it.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# --- The knowledge base ---------------------------------------------------------------------
SITE_NAME = env_str("KB_SITE_NAME", "SIM Guides")
# A reviewer may publish a change they made themselves (one-person sites).
KB_ALLOW_SELF_PUBLISH = env_bool("KB_ALLOW_SELF_PUBLISH", False)
KB_REVERIFY_DAYS_DEFAULT = env_int("KB_REVERIFY_DAYS_DEFAULT", 180)
KB_PAGE_CACHE_SECONDS = env_int("KB_PAGE_CACHE_SECONDS", 600)
# How often (seconds) each process looks in the database for page-cache bumps the shared cache
# did not take (kb.models.CacheBump; 0 never looks): the longest a process may serve a page
# cached before a change whose bump failed (kb/views/pagecache.py).
KB_CONTENT_GENERATION_SECONDS = float(env_str("KB_CONTENT_GENERATION_SECONDS", "2"))
# Pages kept in each process's memory, in front of the shared page cache.
KB_LOCAL_PAGE_CACHE_ENTRIES = env_int("KB_LOCAL_PAGE_CACHE_ENTRIES", 2000)
KB_SHARED_PAGE_CACHE_SECONDS = CACHES["pages"]["TIMEOUT"]
# The database cache counts its rows (to cull) on about one write in this many; 0 never.
KB_CACHE_CULL_EVERY = env_int("KB_CACHE_CULL_EVERY", 200)
# One log line per static file request (whitenoise): for debugging.
KB_LOG_STATIC_REQUESTS = env_bool("KB_LOG_STATIC_REQUESTS", False)

# --- Reader corrections (see docs/corrections.md) -------------------------------------------
# "<count>/<window>" with window s, m, h or d (optionally with a number: "10/15m"); "0" is off.
KB_CORRECTION_RATE = env_str("KB_CORRECTION_RATE", "5/h")  # per sender
KB_CORRECTION_GUIDE_RATE = env_str("KB_CORRECTION_GUIDE_RATE", "30/h")  # per guide, all senders
for _rate_name in ("KB_CORRECTION_RATE", "KB_CORRECTION_GUIDE_RATE"):
    if not re.fullmatch(r"\s*(0|[1-9]\d*/([1-9]\d*)?[smhd])\s*", globals()[_rate_name]):
        raise ImproperlyConfigured(
            f'{_rate_name} must look like "5/h" or be "0", not {globals()[_rate_name]!r}'
        )
# A form sent sooner (seconds) or later than this after it was shown is suspicious.
KB_CORRECTION_MIN_SECONDS = env_int("KB_CORRECTION_MIN_SECONDS", 3)
KB_CORRECTION_MAX_FORM_AGE = env_int("KB_CORRECTION_MAX_FORM_AGE", 2 * 24 * 3600)
# The proxies whose X-Forwarded-For is believed (CIDR list, e.g. "127.0.0.1/32,10.0.0.0/8"):
# a request from any other address is its own client, whatever header it sends. See kb/ratelimit.py.
KB_TRUSTED_PROXIES = env_list("KB_TRUSTED_PROXIES", [])
# The sender hash key changes every this many days; old keys are deleted by purge_personal_data.
KB_CLIENT_HASH_ROTATE_DAYS = env_int("KB_CLIENT_HASH_ROTATE_DAYS", 7)
# Reporters' emails and sender hashes are erased after this many days at the latest.
KB_PERSONAL_DATA_DAYS = env_int("KB_PERSONAL_DATA_DAYS", 90)
# Public address of the site, for links in emails (e.g. https://guides.example.org).
_first_host = next((h for h in ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")), "")
KB_SITE_URL = env_str(
    "KB_SITE_URL",
    "http://127.0.0.1:8000" if DEBUG else (f"https://{_first_host}" if _first_host else ""),
).rstrip("/")
# In debug without KB_SITE_URL, links in emails use the host and port of the request (kb/site.py).
KB_SITE_URL_FROM_REQUEST = DEBUG and not env_str("KB_SITE_URL")
# An SMTP server that does not answer must not hold an editor's request past gunicorn's timeout.
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 10)

# --- Hardening (issue 15; see docs/deploy.md) -----------------------------------------------
# The admin's path under the language prefix ("admin/" -> /zh-hans/admin/). Not in robots.txt.
DJANGO_ADMIN_URL = env_str("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"
if not re.fullmatch(r"[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*/", DJANGO_ADMIN_URL):
    raise ImproperlyConfigured(
        f"DJANGO_ADMIN_URL must be a path such as admin/ or staff-7f3k/, not {DJANGO_ADMIN_URL!r}"
    )
# A staff member's session ends after this many minutes without an admin request.
KB_STAFF_IDLE_MINUTES = env_int("KB_STAFF_IDLE_MINUTES", 60)
# Admin login throttling (django-axes): a username from one client address is locked for the
# cool-off after this many failures; the same name from another address is not, so an attacker
# cannot lock an editor out. The address is the one the rate limits use.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("KB_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KB_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "kb.ratelimit.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kb.views.errors.login_locked"
AXES_VERBOSE = False

# --- Background tasks and source watch (README "Background work") ---------------------------
# django-tasks (the backport of Django 6's tasks framework): the database backend by default
# (worker: `python manage.py db_worker`), RQ on Redis when REDIS_URL is set (worker:
# `python manage.py rqworker default --with-scheduler --job-class django_tasks_rq.Job`). KB_TASKS_BACKEND overrides the choice.
INSTALLED_APPS += ["django_tasks", "django_tasks_db"]
KB_TASKS_BACKEND = env_str("KB_TASKS_BACKEND", "rq" if REDIS_URL else "database")
if KB_TASKS_BACKEND not in ("database", "rq", "immediate"):
    raise ImproperlyConfigured(
        f'KB_TASKS_BACKEND must be "database", "rq" or "immediate", not {KB_TASKS_BACKEND!r}'
    )
if KB_TASKS_BACKEND == "rq" and not REDIS_URL:
    raise ImproperlyConfigured("KB_TASKS_BACKEND=rq needs REDIS_URL")
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 900}}
RQ_SHOW_ADMIN_LINK = False
if KB_TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "rq": "django_tasks_rq.RQBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[KB_TASKS_BACKEND],
        "QUEUES": ["default"],
    }
}
# Seconds to wait before each retry of a failed task; one more attempt than there are delays.
KB_TASK_RETRY_DELAYS = [int(s) for s in env_list("KB_TASK_RETRY_DELAYS", ["60", "600", "3600"])]
# Finished tasks are forgotten after this many days (failed ones are kept until retried).
KB_TASK_KEEP_DAYS = env_int("KB_TASK_KEEP_DAYS", 30)
# /healthz answers 503 when the oldest task due has waited longer than this (seconds); 0 = never.
KB_TASK_MAX_WAIT = env_int("KB_TASK_MAX_WAIT", 0)

# Source watch: fetch every cited page of every published guide and compare its main text.
KB_SOURCE_WATCH_USER_AGENT = env_str(
    "KB_SOURCE_WATCH_USER_AGENT",
    f"{SITE_NAME} source watch (+{KB_SITE_URL or 'https://localhost'}/)",
)
KB_SOURCE_WATCH_HOST_DELAY = float(env_str("KB_SOURCE_WATCH_HOST_DELAY", "5"))  # seconds
KB_SOURCE_WATCH_TIMEOUT = float(env_str("KB_SOURCE_WATCH_TIMEOUT", "15"))  # seconds per request
KB_SOURCE_WATCH_MAX_BYTES = env_int("KB_SOURCE_WATCH_MAX_BYTES", 2 * 1024 * 1024)
KB_SOURCE_WATCH_MAX_REDIRECTS = env_int("KB_SOURCE_WATCH_MAX_REDIRECTS", 5)
# "daily" or "hourly": how often run_schedule enqueues the watch.
KB_SOURCE_WATCH_EVERY = env_str("KB_SOURCE_WATCH_EVERY", "daily")
# Not read from the environment: only the tests turn it on, to fetch from a server on 127.0.0.1.
KB_SOURCE_WATCH_ALLOW_PRIVATE = False

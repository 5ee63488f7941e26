"""Zveno settings. Everything that varies between machines comes from environment variables."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from zveno.config.env import (
    data_dir,
    database_config,
    env_bool,
    env_int,
    env_list,
    env_str,
    secret_key,
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules or env_bool("ZVENO_TESTING")
# Each test run gets its own data dir, so runs side by side never share a database file or queue.
DATA_DIR = data_dir(
    str(Path(tempfile.gettempdir()) / f"zveno-test-{os.getpid()}") if TESTING else "var"
)

DEBUG = env_bool("ZVENO_DEBUG", False)
SECRET_KEY = secret_key(DATA_DIR)

BASE_URL = env_str("ZVENO_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_base = urlsplit(BASE_URL)
HTTPS = _base.scheme == "https"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [_base.hostname or "127.0.0.1", "127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [f"{_base.scheme}://{_base.netloc}"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # In the declared order of the apps (config/layers.py): a lower app's start-up runs first.
    "zveno.core",
    "zveno.workspaces",
    "zveno.accounts",
    "zveno.notifications",
    "zveno.webhooks",
    "zveno.publishing",
    "zveno.playbooks",
    "zveno.team",
    "zveno.content",
    "zveno.analytics",
    "zveno.bots",
    "zveno.demo",
]

MIDDLEWARE = [
    "zveno.core.middleware.BodySizeLimitMiddleware",  # first: nothing reads a body too large
    "django.middleware.security.SecurityMiddleware",
    "zveno.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zveno.core.middleware.PreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "zveno.workspaces.access.AccessAuditMiddleware",
]

ROOT_URLCONF = "zveno.config.urls"
WSGI_APPLICATION = "zveno.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "zveno.core.context_processors.zveno",
                "zveno.demo.context_processors.demo",
            ],
        },
    },
]

DATABASES = {"default": database_config(env_str("DATABASE_URL"), DATA_DIR)}
if TESTING and DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory: tests that start a real worker process share the test database.
    DATABASES["default"]["TEST"]["NAME"] = DATABASES["default"]["TEST"]["NAME"] or str(
        DATA_DIR / "test-zveno.sqlite3"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["zveno.accounts.backends.UsernameOrEmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "zveno_language"
TIME_ZONE = env_str("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# E-mail: printed to the console unless an SMTP host is configured.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or str(DATA_DIR / "mail")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", f"Zveno <noreply@{_base.hostname or 'localhost'}>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Behind HTTPS (ZVENO_BASE_URL starts with https://) the browser gets the strict settings.
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("ZVENO_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("ZVENO_HSTS_SECONDS", 60 * 60 * 24 * 365) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("ZVENO_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("ZVENO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

# Background jobs: Celery on Redis when REDIS_URL is set, otherwise a broker kept in files
# under the data dir, so the one-machine default needs no other server (docs/architecture.md).
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_QUEUE_DIR = Path(env_str("ZVENO_QUEUE_DIR") or DATA_DIR / "queue")
CELERY_TASK_ALWAYS_EAGER = env_bool("ZVENO_TASKS_EAGER", False)

# The throttle's counts (core/throttle.py) must be shared by every web process and machine:
# Redis when there is one, else a table in the database (created by core's first migration).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "zveno",
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "zveno_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
    }
# Limits per scope, (count, seconds), over the defaults in core/throttle.py.
ZVENO_THROTTLE: dict[str, tuple[int, int]] = {}

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The persona x route test relies on this: a view that answers without asking the access module
# is an error while developing and testing, and a logged warning in production.
ZVENO_ENFORCE_ACCESS_AUDIT = env_bool("ZVENO_ENFORCE_ACCESS_AUDIT", DEBUG or TESTING)

INVITATION_DAYS = env_int("ZVENO_INVITATION_DAYS", 7)
# How often post and channel figures are read from the networks (seconds).
ZVENO_COLLECT_EVERY_SECONDS = env_int("ZVENO_COLLECT_EVERY_SECONDS", 1800)

# The largest request body accepted, in MB (a file upload with its form); larger ones get 413
# before they are read. One file is at most 50 MB; an answer may carry several.
ZVENO_MAX_UPLOAD_MB = env_int("ZVENO_MAX_UPLOAD_MB", 100)

# Outbound webhooks refuse private and loopback addresses (SSRF) unless the automation runs on
# the installation's own network.
ZVENO_WEBHOOKS_ALLOW_PRIVATE = env_bool("ZVENO_WEBHOOKS_ALLOW_PRIVATE", False)

# Channel credentials are encrypted at rest (core/crypto.py): Fernet keys, newest first, separated
# by commas; unset, one key is derived from SECRET_KEY.
ZVENO_ENCRYPTION_KEYS = env_list("ZVENO_ENCRYPTION_KEY", [])
# The networks' API base URLs (a self-hosted Telegram Bot API server is a real deployment).
ZVENO_TELEGRAM_API_URL = env_str("ZVENO_TELEGRAM_API_URL", "https://api.telegram.org")
ZVENO_VK_API_URL = env_str("ZVENO_VK_API_URL", "https://api.vk.com/method")
ZVENO_MAX_API_URL = env_str("ZVENO_MAX_API_URL", "https://platform-api.max.ru")
# VK ID (OAuth 2.1 with PKCE): a VK community connects with a button instead of a pasted token
# when ZVENO_BASE_URL is public HTTPS and the VK ID app's id is set (README, "VK ID").
ZVENO_VK_CLIENT_ID = env_str("ZVENO_VK_CLIENT_ID")
ZVENO_VK_ID_URL = env_str("ZVENO_VK_ID_URL", "https://id.vk.com")
# The messenger bot (bots app): one bot per messenger, by token. Long polling inside `zveno serve`
# by default; a webhook when ZVENO_BASE_URL is public HTTPS (ZVENO_BOT_MODE=auto), its secret
# header checked. Link tokens of the profile's deep links expire after ZVENO_BOT_LINK_MINUTES.
ZVENO_TELEGRAM_BOT_TOKEN = env_str("ZVENO_TELEGRAM_BOT_TOKEN")
ZVENO_MAX_BOT_TOKEN = env_str("ZVENO_MAX_BOT_TOKEN")
ZVENO_BOT_MODE = env_str("ZVENO_BOT_MODE", "auto")  # auto | polling | webhook
ZVENO_BOT_LINK_MINUTES = env_int("ZVENO_BOT_LINK_MINUTES", 30)
# Publishing: how long a claimed publication is a worker's before another may take it over, and
# how many publications one pass of the scheduler claims.
PUBLISHING_LEASE_SECONDS = env_int("ZVENO_PUBLISHING_LEASE_SECONDS", 120)
PUBLISHING_BATCH = env_int("ZVENO_PUBLISHING_BATCH", 20)
# How many of a batch's requests one worker sends side by side (threads; each under the lease).
PUBLISHING_CONCURRENCY = env_int("ZVENO_PUBLISHING_CONCURRENCY", 10)
# The networks' rate limits are kept by Zveno itself (publishing/limits.py); off only for
# benchmarks and tests against local fakes with their limits off.
PUBLISHING_INTERVALS = None if env_bool("ZVENO_PUBLISHING_RATE_LIMITS", True) else {}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("ZVENO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},  # its INFO line names the URL: a bot token is part of it
        "weasyprint": {"level": "WARNING"},  # it narrates every PDF at INFO
        "fontTools": {"level": "WARNING"},
    },
}

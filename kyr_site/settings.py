"""Settings for the Know Your Rights coverage archive.

Everything an operator changes comes from the environment (see README,
"Production variables"). With no environment at all the project refuses to
start: DEBUG is off unless set, and production needs a real SECRET_KEY and
ALLOWED_HOSTS. ``make run`` sets DEBUG=1 for local use.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kyr_site.env import env_bool, env_int, env_list, env_str, env_url_path

BASE_DIR = Path(__file__).resolve().parent.parent

# Off unless asked for: a forgotten variable must never serve production in debug mode.
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random value, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "django-insecure-local-development-only-never-deploy-this-key"
elif not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    # The same bar as `check --deploy` (security.W009), enforced instead of warned.
    raise ImproperlyConfigured("SECRET_KEY is too weak for production: use 50+ random characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set: list the site's host names, comma-separated.")

INSTALLED_APPS = [
    # django.contrib.admin, with the archive's admin site (two-factor sign-in): coverage_archive/accounts/.
    "coverage_archive.accounts.apps.ArchiveAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # sitemap.xml (coverage_archive/sitemaps.py) renders with this app's templates.
    "django.contrib.sitemaps",
    "django_filters",
    # The public read API (coverage_archive/api/) and its OpenAPI description.
    "rest_framework",
    "drf_spectacular",
    # Change history of coverage and taxonomy (who, when, what), with revert in the admin.
    "simple_history",
    # Two-factor sign-in for staff: TOTP devices (authenticator apps).
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Throttling and lockout of failed sign-ins.
    "axes",
    "coverage_archive",
    # Captures of originals, link checks and "Add from a link": coverage_archive/preservation/.
    "coverage_archive.preservation",
    # The organization's name, About text, contact and logo: coverage_archive/identity/.
    "coverage_archive.identity",
]

MIDDLEWARE = [
    # /healthz for load balancers, answered before anything else (no host check,
    # no cookie, no redirect to HTTPS): coverage_archive/resilience.py.
    "coverage_archive.resilience.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Straight after SecurityMiddleware, as WhiteNoise's docs require.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Language from the URL prefix only (/es/...); see LANGUAGES below.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # The database unreachable (restarting, failing over): a styled 503, not a 500.
    "coverage_archive.resilience.DatabaseUnavailableMiddleware",
    "coverage_archive.middleware.RejectNulBytesMiddleware",
    # Readers' queries under READER_STATEMENT_TIMEOUT_MS; one stopped by it answers 503.
    "coverage_archive.budget.ReaderQueryBudgetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): signed in with a two-factor code in this session.
    "django_otp.middleware.OTPMiddleware",
    # Lets history entries name the editor behind a change made outside a form (deletes, actions).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kyr_site.urls"
WSGI_APPLICATION = "kyr_site.wsgi.application"

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
                "django.template.context_processors.i18n",
                # site_identity: the archive's name, tagline, logo (cached: no query on a warm site).
                "coverage_archive.identity.current.identity_context",
            ],
        },
    },
]

# SQLite file in the project folder unless DATABASE_URL names another database,
# e.g. postgres://user:password@host:5432/kyr_archive
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes' backend first: a locked-out sign-in is refused before any password is hashed.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: English at the site's plain URLs, Spanish under /es/.
# The language comes from the URL alone (no cookie, no Accept-Language redirect).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` puts the files WhiteNoise serves; default: staticfiles/ in the project folder.
STATIC_ROOT = env_str("STATIC_ROOT") or BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Captures of originals (WARC files) are kept in the default storage: this folder unless
# STORAGES is changed (README: S3-compatible storage). Never served as a folder: each capture
# is downloaded through its own view, as an attachment.
MEDIA_ROOT = env_str("MEDIA_ROOT") or BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files with far-future cache headers; `collectstatic` builds them.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Optional shared cache for several app instances: Django's Redis backend, made
# optional (kyr_site/cache.py): Redis down or unreachable is a cache miss and one
# warning, and the short timeouts keep a dead Redis from holding a request.
REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "kyr_site.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Privacy and security -------------------------------------------------
# Readers get no cookie: the public pages use no session, no CSRF token and no
# language cookie. Only editors signing in to the admin receive cookies.
SESSION_COOKIE_HTTPONLY = True
# Only staff have sessions. Saved on every request, so the age is idle time: a session
# unused for this long is over (default two hours).
SESSION_COOKIE_AGE = env_int("ADMIN_SESSION_IDLE_MINUTES", 120) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Outbound links must not tell other sites which page a reader came from.
# "same-origin" is stricter than Django's default strict-origin-when-cross-origin.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Nothing but our own origin, ever: no fonts, scripts, images or analytics elsewhere.
# https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# HTTPS in production; behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=1.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [
    # The facet counts' covering index (Article.Meta.indexes) carries its extra
    # columns on PostgreSQL; on SQLite, which has no INCLUDE, it is a plain index
    # on purpose.
    "models.W040",
    # Joining the browsers' HSTS preload list is hard to undo and is the
    # operator's decision for their whole domain; SECURE_HSTS_PRELOAD=1 opts in.
    "security.W021",
]

# --- Editors' accounts (coverage_archive/accounts/) -------------------------
# Where the admin lives: e.g. ADMIN_URL=office-7f3a/ (a path, no leading slash, trailing slash).
ADMIN_URL = env_url_path("ADMIN_URL", "admin/")

# Two-factor sign-in (TOTP, django-otp). With ADMIN_REQUIRE_TWO_FACTOR=1, staff without a
# confirmed device must set one up before using the admin; off, it is each person's choice.
ADMIN_REQUIRE_TWO_FACTOR = env_bool("ADMIN_REQUIRE_TWO_FACTOR", False)


# A setting that is a function: django-otp calls it for each device it describes.
def OTP_TOTP_ISSUER(device):
    """The name authenticator apps list codes under: the site identity's (coverage_archive/identity/)."""
    from coverage_archive.identity.current import totp_issuer

    return totp_issuer(device)


# The TOTP device admin (for superusers) shows no secrets or QR codes of other people's devices.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Throttled sign-in (django-axes): 5 failures within 15 minutes lock out that username (from any
# address) and that address (for any username) for 15 minutes from the last counted failure. A
# successful sign-in clears the record; attempts during a lockout neither count nor extend it.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "coverage_archive.accounts.lockout.lockout_response"
# Records of failed attempts only, deleted when their lockout is over (privacy page): no log of
# successful sign-ins, no permanent log of failures.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# Axes' log lines name neither the username nor the address.
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]
# The client's address: REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT proxies that append to
# X-Forwarded-For, the address the outermost one saw (coverage_archive/accounts/lockout.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "coverage_archive.accounts.lockout.client_ip_address"

LOG_LEVEL = env_str("LOG_LEVEL", "WARNING").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The level on the handler too: Django's own loggers are set to INFO and pass their
    # records up to this handler whatever the root logger's level.
    "handlers": {"console": {"class": "logging.StreamHandler", "level": LOG_LEVEL}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# The public read API: JSON only, anonymous (no session is read, so no cookie is set), public data.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Know Your Rights coverage archive API",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# The archive's page size; also the number of entries on the home page.
ARCHIVE_PAGE_SIZE = 20
# How long the archive's facet counts, total and order of results are reused for
# the same filters; 0 turns it off. On PostgreSQL they are reused only while the
# database is unchanged, so they may last long; on SQLite a change joins them
# once they expire. On both they end when a scheduled piece goes public. The
# articles shown are always read live (an edit shows at once, a withdrawn piece
# never). See coverage_archive/facets.py.
_POSTGRESQL = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
ARCHIVE_CACHE_SECONDS = env_int("ARCHIVE_CACHE_SECONDS", 600 if _POSTGRESQL else 60)

# How many CSV/JSON exports one app instance streams at once (every worker process
# and thread of one gunicorn together); beyond it a reader gets a 503 with
# Retry-After. See coverage_archive/resilience.py.
EXPORT_CONCURRENCY = env_int("EXPORT_CONCURRENCY", 2)
# Bounded work per reader request (coverage_archive/budget.py): every query of a
# public page, feed or export stops after this long and the reader gets the 503
# page, well before gunicorn's 30 s worker timeout would kill the worker. The
# admin and management commands are not limited. 0 turns it off.
READER_STATEMENT_TIMEOUT_MS = env_int("READER_STATEMENT_TIMEOUT_MS", 5000)
# The search snippets of one page (PostgreSQL's ts_headline, whose cost grows
# steeply with the phrases and ORs of a query; on SQLite, cut in Python from the
# page's texts) get this much; beyond it the page shows its results without
# snippets, with a note.
SNIPPET_TIME_BUDGET_MS = 1000

# The preservation fetcher ("Add from a link", captures, link checks) refuses private, loopback,
# link-local and reserved addresses. For tests and intranets only: 1 allows every address; a
# comma-separated list of networks (10.1.0.0/16, fd00::/8) allows just those.
_fetch_private = env_str("FETCH_ALLOW_PRIVATE_ADDRESSES").strip()
if _fetch_private.lower() in ("", "0", "false", "no", "off"):
    FETCH_ALLOW_PRIVATE_ADDRESSES = ()
elif _fetch_private.lower() in ("1", "true", "yes", "on"):
    FETCH_ALLOW_PRIVATE_ADDRESSES = True
else:
    FETCH_ALLOW_PRIVATE_ADDRESSES = tuple(env_list("FETCH_ALLOW_PRIVATE_ADDRESSES"))
    for _network in FETCH_ALLOW_PRIVATE_ADDRESSES:
        try:
            ipaddress.ip_network(_network, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"FETCH_ALLOW_PRIVATE_ADDRESSES must be 1, 0 or a list of networks; got {_network!r}."
            ) from None

"""Settings, all read from the environment (see .env.example for every variable)."""

import datetime
import ipaddress
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        # SystemExit, not ImproperlyConfigured: manage.py swallows the latter at first and
        # then fails later with a long, unrelated traceback; this stops with one line.
        raise SystemExit(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(a long random string), or DEBUG=on on a developer's machine."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "dsfr",
    "widget_tweaks",
    "axes",
    "django_tasks",
    "django_tasks_db",
    # The domain: models, their rules, their admin.
    "strategy",
    "actors",
    "commitments",
    # One app per audience: they use the domain, never the other way round.
    "public",
    "space",
    "reports",
    "opendata",
    "accounts",
    "api",
    # Data to load, and the commands that run and measure the service.
    "datasets",
    "operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.RequestHygieneMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.sessions.SlidingSessionMiddleware",
    # Refuses, before the view (so before any password hash), who keeps failing to log in.
    "accounts.throttle.ThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout raised in a view into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "accounts.landing.roles",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep connections between requests (each gunicorn thread holds one); check them first.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No query may hold a worker forever: config/wsgi.py sets 30 s for the web server;
# commands (migrations, load_demo, backups) run without a limit unless it is set.
STATEMENT_TIMEOUT = env.int("STATEMENT_TIMEOUT", default=0)
if STATEMENT_TIMEOUT and "postgresql" in DATABASES["default"]["ENGINE"]:
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = (
        f"{_options.get('options', '')} -c statement_timeout={STATEMENT_TIMEOUT * 1000}".strip()
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Downloads of reports running at once, per user and in all (reports/limits.py).
EXPORTS_PER_USER = env.int("EXPORTS_PER_USER", default=2)
EXPORTS_IN_ALL = env.int("EXPORTS_IN_ALL", default=4)
# A report download with more rows than this (CSV, XLSX) is built in the background by a
# task (reports/builds.py): /rapports/ shows its progress, then a link, and a mail says
# it is ready. At most one such build per user, REPORT_BUILDS_IN_ALL in all.
REPORT_BACKGROUND_ROWS_CSV = env.int("REPORT_BACKGROUND_ROWS_CSV", default=100_000)
# On PostgreSQL the database writes the XLSX rows (reports/xlsx_sql.py, about 50 000 rows
# a second here): 100 000 rows take about as long as the CSV's; elsewhere Python writes
# them, about five times slower.
REPORT_BACKGROUND_ROWS_XLSX = env.int(
    "REPORT_BACKGROUND_ROWS_XLSX",
    default=100_000 if "postgresql" in DATABASES["default"]["ENGINE"] else 20_000,
)
# A background build records its progress (and heartbeat) at most this often, seconds.
REPORT_PROGRESS_EVERY = 0.5
REPORT_BUILDS_IN_ALL = env.int("REPORT_BUILDS_IN_ALL", default=3)
# A build queued or running with no progress for so many seconds lost its worker: it is
# shown interrupted, holds no slot, and purge_report_builds marks it failed.
REPORT_BUILD_STALE_AFTER = env.int("REPORT_BUILD_STALE_AFTER", default=600)

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL",
    default="Suivi stratégie pauvreté <ne-pas-repondre@hauts-de-france.gouv.fr>",
)

# Mails leave through Django's Tasks API (django-tasks, commitments/mails.py), never in the
# request. TASK_BACKEND=immediate (the default: `make run`, the tests) sends them in the
# process, once the transaction is committed; TASK_BACKEND=database (`make serve`,
# production) stores them in the database, and a worker (`manage.py db_worker`) sends them.
TASK_BACKEND = env.str("TASK_BACKEND", default="immediate")
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
if TASK_BACKEND not in _TASK_BACKENDS:
    raise SystemExit(f"TASK_BACKEND: {TASK_BACKEND!r} is neither immediate nor database.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASK_BACKEND], "QUEUES": ["default"]}}
# A mail the server refuses is tried again so many times in all, a few minutes apart, then
# recorded as a failure the staff see in the admin (« Échecs d'envoi »).
MAIL_ATTEMPTS = env.int("MAIL_ATTEMPTS", default=4)
# The site's address, for the links in the mails sent without a request (reminders).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username and address before any check.
    "axes.backends.AxesStandaloneBackend",
    # Contacts may type their e-mail address instead of their username.
    "accounts.backends.UsernameOrEmailBackend",
]

# Five failures for one account from one address lock that pair for 30 minutes. The account
# is the one named, whatever alias or case was typed (an unknown identifier counts as one);
# the pair, not the account alone, so that an attacker cannot lock the owner out of every
# address. The address is the client's (accounts.throttle.client_address).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.throttle.account_key"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_VERBOSE = False

# The reverse proxies whose X-Forwarded-For is believed (addresses or networks). Empty: the
# socket's address is the client's, and the header is ignored.
TRUSTED_PROXIES = [p.strip() for p in env.list("TRUSTED_PROXIES", default=[]) if p.strip()]
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise SystemExit(f"TRUSTED_PROXIES: {_proxy!r} is not an address or a network.") from None
# Cheap counters in the cache, checked before the view runs (accounts.throttle): at most
# so many requests in so many seconds, else a French 429 page. Failed logins per client
# address (a success gives its count back), password reset requests per client address
# and per e-mail address asked for, invitation form posts per client address.
THROTTLE_RATES = {
    "login": (env.int("LOGIN_FAILURES_PER_ADDRESS", default=20), 15 * 60),
    "password_reset": (10, 60 * 60),
    "password_reset_email": (3, 60 * 60),
    "invitation": (10, 15 * 60),
    # The read-only API (api/), per client address: API_RATE is `60/min`, `1000/hour`…
    "api": None,
}
_API_RATE = env.str("API_RATE", default="60/min")
try:
    _count, _period = _API_RATE.split("/")
    _seconds = {"s": 1, "sec": 1, "min": 60, "m": 60, "hour": 3600, "h": 3600, "day": 86400}
    THROTTLE_RATES["api"] = (int(_count), _seconds[_period.strip()])
except (ValueError, KeyError):
    raise SystemExit(f"API_RATE: {_API_RATE!r} is not a rate like 60/min.") from None

# Password reset links live one day; invitation links three (actors.invitations).
PASSWORD_RESET_TIMEOUT = 24 * 60 * 60

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
# The admin's French, for every model whatever its gender (locale/fr/LC_MESSAGES/django.po).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.storage.StaticStorage"},
    # Evidence files (commitments.evidence): never on a public URL. A private folder by
    # default; EVIDENCE_STORAGE=s3 keeps them in an S3-compatible bucket (django-storages,
    # requirements-s3.txt) so that several servers share them.
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.path("EVIDENCE_ROOT", default=BASE_DIR / "media" / "private"),
            "base_url": None,
            "directory_permissions_mode": 0o700,
            "file_permissions_mode": 0o600,
        },
    },
}
if env.str("EVIDENCE_STORAGE", default="files") == "s3":
    STORAGES["evidence"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("EVIDENCE_S3_BUCKET"),
            "endpoint_url": env.str("EVIDENCE_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("EVIDENCE_S3_REGION", default=None),
            "access_key": env.str("EVIDENCE_S3_ACCESS_KEY", default=None),
            "secret_key": env.str("EVIDENCE_S3_SECRET_KEY", default=None),
            "location": "suivi",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
# Reports built in the background (reports/builds.py), kept a day, served only to their
# requester and the staff of their territory: a private folder, never on a public URL.
STORAGES["reports"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {
        "location": env.path("REPORTS_ROOT", default=BASE_DIR / "media" / "reports"),
        "base_url": None,
        "directory_permissions_mode": 0o700,
        "file_permissions_mode": 0o600,
    },
}
# The open data files of /donnees/, built once per figures version (opendata/files.py);
# public, unlike the evidence: anyone may download them.
OPENDATA_ROOT = env.path("OPENDATA_ROOT", default=BASE_DIR / "media" / "opendata")

# Each evidence file is at most EVIDENCE_MAX_MB megabytes; a delivery or a report holds at
# most EVIDENCE_MAX_FILES of them.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_MB", default=10) * 1024 * 1024
EVIDENCE_MAX_FILES = env.int("EVIDENCE_MAX_FILES", default=10)

# Security. HTTPS defaults to on when DEBUG is off: the site is served behind a TLS proxy
# that says so in X-Forwarded-Proto. HTTPS=off only for plain-HTTP runs on a developer's
# machine (the test suite, make serve on 127.0.0.1, make bench).
HTTPS = env.bool("HTTPS", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A session ends after SESSION_COOKIE_AGE of inactivity (accounts.sessions pushes its expiry
# back while it is used) or when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=2 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
# Uploads: imports are at most 10 MB (reports.imports.MAX_BYTES), evidence files
# EVIDENCE_MAX_MB; forms far less. The first handler refuses a body over its cap while it
# is received (reports/uploads.py); what it lets through stays in memory, never in a
# temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "reports.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = max(11 * 1024 * 1024, EVIDENCE_MAX_BYTES + 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# Content Security Policy (django-csp 4): scripts only from this site, never inline.
SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],  # the design system sets style attributes
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": ["'none'"],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": ["'none'"],
    },
}

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"  # the login view sends each role home (landing.py)
LOGOUT_REDIRECT_URL = "home"

# The legal pages (public/templates/public/legal/): who answers for the site, who hosts it,
# where to write about accessibility and about personal data, and when the accessibility
# audit (the browser tests' axe checks, public/audit.py) was last read and recorded.
PUBLICATION_DIRECTOR = env.str(
    "PUBLICATION_DIRECTOR", default="le préfet de la région Hauts-de-France"
)
HOSTING_PROVIDER = env.str(
    "HOSTING_PROVIDER",
    default="Préfecture de la région Hauts-de-France, 12-14 rue Jean Sans Peur, 59039 Lille Cedex",
)
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="strategie-pauvrete@hauts-de-france.gouv.fr")
DPO_CONTACT = env.str(
    "DPO_CONTACT",
    default="le délégué à la protection des données du ministère de l'Intérieur, "
    "place Beauvau, 75800 Paris Cedex 08",
)
try:
    ACCESSIBILITY_AUDIT_DATE = datetime.date.fromisoformat(
        env.str("ACCESSIBILITY_AUDIT_DATE", default="2026-12-01")
    )
except ValueError:
    raise SystemExit("ACCESSIBILITY_AUDIT_DATE: not a date written YYYY-MM-DD.") from None

# django-dsfr: the State design system's assets come from the installed package.
# Its site_config context processor is left out: it would cost a query on every page.
DSFR_USE_INTEGRITY_CHECKSUMS = False

"""Atelier's one settings module: every deployment difference is an environment variable.

With no environment at all it serves a newcomer (SQLite at ``var/db.sqlite3``, media under
``var/media``, DEBUG on). ``DJANGO_ENV=production`` switches on the secure defaults and refuses
to start without ``DJANGO_SECRET_KEY`` and ``DJANGO_ALLOWED_HOSTS``.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="local")
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)

# Production (or any run with DEBUG off) must name its own secret and hosts: a default secret
# would let anyone forge sessions, tokens and signed URLs.
if PRODUCTION or not DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
    if not SECRET_KEY:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DEBUG is off.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DEBUG is off.")
else:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY", default="local-development-only-not-a-secret-" + "x" * 30
    )
    ALLOWED_HOSTS = env.list(
        "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"]
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "core.apps.CoreConfig",
    "users",
    "idempotency",
    "images",
    "resumable",
    "web",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that writes a body, so what it compresses is final (core.compression).
    "core.compression.TextCompressionMiddleware",
    # First after the security headers: it must see requests before anything can fail on them.
    "core.middleware.ApiJsonErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "core" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers. IMMEDIATE takes the write lock when a transaction begins, so
    # a second writer waits out the timeout instead of failing at once when its read lock
    # cannot be upgraded (measured: 503s under two workers without it; bench/RESULTS.md).
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: it compiles a statement's expressions before running it, which pays off for
    # long analytic queries only; on the gallery's page (a few subqueries per album) it cost
    # 604 ms of a 1,057 ms statement at 200,000 pictures (issue 22). A URL's own options win.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
# Throttle counters live in the cache: set CACHE_URL (e.g. redis://127.0.0.1:6379/1) when more
# than one server process runs, so every process sees the same counts.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://atelier")}
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # Django's default of 300 entries lets a burst of logins for made-up names evict real
    # failed-login counters; a million small entries is a few hundred MB at most.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 1_000_000)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
# The only backend: Django's, behind the failed-login limits that every login path shares.
AUTHENTICATION_BACKENDS = ["users.backends.LimitedModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "/api/v1/images/"
# The web app's login page, where its private pages send an anonymous visitor.
LOGIN_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")
# Media is private: it lives under var/media and is never served by URL, only through the
# owner-checked file endpoints. MEDIA_URL is deliberately unset.
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Files on S3 (AWS, or any S3-compatible server such as SeaweedFS) when a bucket is named:
# private objects (no ACL, no public policy), reached only through the owner-checked
# endpoints, which answer with a short-lived presigned URL (ATELIER_FILE_DELIVERY=redirect).
ATELIER_S3_BUCKET = env.str("ATELIER_S3_BUCKET", default="")
if ATELIER_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ATELIER_S3_BUCKET,
            "endpoint_url": env.str("ATELIER_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("ATELIER_S3_REGION", default="us-east-1"),
            "access_key": env.str("ATELIER_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("ATELIER_S3_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env.int("ATELIER_S3_URL_TTL", default=300),
            "file_overwrite": False,
            "addressing_style": "path",
            "signature_version": "s3v4",
        },
    }
# How the file endpoints hand out bytes once they have checked the caller: "stream" (through
# this process; the embedded default), "redirect" (302 to a presigned S3 URL), or "accel"
# (nginx's X-Accel-Redirect to ATELIER_ACCEL_PREFIX, for file-system storage behind nginx).
ATELIER_FILE_DELIVERY = env.str(
    "ATELIER_FILE_DELIVERY", default="redirect" if ATELIER_S3_BUCKET else "stream"
)
if ATELIER_FILE_DELIVERY not in ("stream", "redirect", "accel"):
    raise ImproperlyConfigured("ATELIER_FILE_DELIVERY must be stream, redirect or accel.")
ATELIER_ACCEL_PREFIX = env.str("ATELIER_ACCEL_PREFIX", default="/protected-media/")
# Outside production, static files (the browsable API, Swagger UI and ReDoc from the sidecar)
# are served straight from the apps, with no collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG and not PRODUCTION
# Uploads above this size stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("ATELIER_UPLOAD_MEMORY_BYTES", default=2 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "images.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# --- Atelier's own limits -------------------------------------------------------------------
ATELIER = {
    "MAX_UPLOAD_BYTES": env.int("ATELIER_MAX_UPLOAD_BYTES", default=25 * 1024 * 1024),
    "MAX_PIXELS": env.int("ATELIER_MAX_PIXELS", default=50_000_000),
    "PROCESSED_MAX_EDGE": env.int("ATELIER_PROCESSED_MAX_EDGE", default=4096),
    # The thumbnail's SHORT edge (gallery rows at 2x pixel density); its long edge stops at
    # THUMBNAIL_MAX_EDGE. Neither is ever upscaled.
    "THUMBNAIL_EDGE": env.int("ATELIER_THUMBNAIL_EDGE", default=480),
    "THUMBNAIL_MAX_EDGE": env.int("ATELIER_THUMBNAIL_MAX_EDGE", default=3840),
    # The long edge of the preview (a picture's page), never upscaled.
    "PREVIEW_EDGE": env.int("ATELIER_PREVIEW_EDGE", default=1440),
    # At least this libaom speed (0 slowest .. 10) for every AVIF rendition; unset, each size
    # keeps the speed chosen by measurement (imaging.encoding: 5 for thumbnails, whose careful
    # encode meets "half the JPEG's bytes at equal sharpness"). The test suite sets 8.
    "AVIF_MIN_SPEED": env.int("ATELIER_AVIF_MIN_SPEED", default=None),
    "SIGNED_URL_TTL": env.int("ATELIER_SIGNED_URL_TTL", default=3600),
    "QUOTA_BYTES": env.int("ATELIER_QUOTA_BYTES", default=5 * 1024**3),
    "QUOTA_IMAGES": env.int("ATELIER_QUOTA_IMAGES", default=10_000),
    # Longest edge accepted, checked from the header: a 1 × 50,000,000 PNG is within
    # MAX_PIXELS but would cost a gigabyte to decode.
    "MAX_EDGE": env.int("ATELIER_MAX_EDGE", default=30_000),
}

# How long the password given again (``auth/reauth/``) opens the locked folder, seconds.
ATELIER_ELEVATION_SECONDS = env.int("ATELIER_ELEVATION_SECONDS", default=300)

# --- Resumable uploads (tus 1.0, the resumable app) ------------------------------------------
# The largest file a resumable upload takes (what it becomes an image of is still checked by
# the images app's own limits when the last byte arrives).
# Videos (images.video_render): each limit is checked from the container before a frame is
# decoded, each refused with its own code; the playback MP4's caps.
ATELIER_VIDEO = {
    "MAX_UPLOAD_BYTES": env.int("ATELIER_VIDEO_MAX_UPLOAD_BYTES", default=1024**3),
    "MAX_SECONDS": env.float("ATELIER_VIDEO_MAX_SECONDS", default=600.0),
    "MAX_PIXELS": env.int("ATELIER_VIDEO_MAX_PIXELS", default=7680 * 4320),
    "MAX_EDGE": env.int("ATELIER_VIDEO_MAX_EDGE", default=8192),
    "MAX_FPS": env.float("ATELIER_VIDEO_MAX_FPS", default=240.0),
    "MAX_STREAMS": env.int("ATELIER_VIDEO_MAX_STREAMS", default=8),
    "PLAYBACK_LONG_EDGE": env.int("ATELIER_VIDEO_PLAYBACK_LONG_EDGE", default=1920),
    "PLAYBACK_SHORT_EDGE": env.int("ATELIER_VIDEO_PLAYBACK_SHORT_EDGE", default=1080),
    "PLAYBACK_CRF": env.int("ATELIER_VIDEO_PLAYBACK_CRF", default=23),
    "PLAYBACK_PRESET": env.str("ATELIER_VIDEO_PLAYBACK_PRESET", default="veryfast"),
    "PLAYBACK_MAX_BITRATE": env.int("ATELIER_VIDEO_PLAYBACK_MAX_BITRATE", default=8_000_000),
}
# A video's render job's soft time limit, seconds (a photo's is the task's own 120 s): a ten
# minute 4K clip transcoded to 1080p takes minutes on two cores.
ATELIER_VIDEO_RENDER_SECONDS = env.int("ATELIER_VIDEO_RENDER_SECONDS", default=1800)
ATELIER_MAX_RESUMABLE_BYTES = env.int("ATELIER_MAX_RESUMABLE_BYTES", default=1024**3)
# On S3, bytes go up in multipart parts of this size (S3's minimum, 5 MiB, at least): the most
# one PATCH holds in memory. Files on disk are appended to as they arrive.
ATELIER_RESUMABLE_PART_BYTES = env.int("ATELIER_RESUMABLE_PART_BYTES", default=8 * 1024**2)
# An upload no PATCH has touched for this long expires (Upload-Expires) and is swept.
ATELIER_RESUMABLE_EXPIRY_SECONDS = env.int("ATELIER_RESUMABLE_EXPIRY_SECONDS", default=24 * 3600)
# A PATCH holds its upload this long, renewed as bytes arrive; a dead process's lapses.
ATELIER_RESUMABLE_LEASE_SECONDS = env.int("ATELIER_RESUMABLE_LEASE_SECONDS", default=60)

# --- Render jobs (Celery) -------------------------------------------------------------------
# Unset: renders run in-process right after the upload commits (the embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_IGNORE_RESULT = True
# A job is acknowledged only once done, goes back to the queue if its worker dies mid-render,
# and each worker holds one job at a time, so a slow render never strands others behind it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
# Workers log through Django's LOGGING (JSON lines with the request id, like the web nodes),
# not through a root handler of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_ACCEPT_CONTENT = ["json"]
# Longer than any render may take (the task's own hard limit is 150 s), so Redis does not
# hand a job still in progress to a second worker; the jobs a dead worker had taken come back
# after it. (The render sweep finds them sooner; a job handed out twice finds the render's
# lease and does nothing.)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("ATELIER_QUEUE_VISIBILITY_TIMEOUT", default=180),
    # Before every key the queue keeps in Redis: deployments (or test runs) that share one
    # Redis database never take each other's jobs.
    "global_keyprefix": env.str("ATELIER_QUEUE_KEY_PREFIX", default=""),
}
# Days an image stays in the trash before the sweep purges it (rows and files).
ATELIER_TRASH_DAYS = env.int("ATELIER_TRASH_DAYS", default=30)
# A render holds a lease on its image while it runs, renewed every third of it; a lease that
# runs out means its worker died, and the render sweep queues the render again.
ATELIER_RENDER_LEASE_SECONDS = env.int("ATELIER_RENDER_LEASE_SECONDS", default=30)
# Attempts at one render (started, then died or ran out of time) before the image is failed.
ATELIER_RENDER_MAX_ATTEMPTS = env.int("ATELIER_RENDER_MAX_ATTEMPTS", default=3)
# Renders queued (never started) longer than this are queued again by the render sweep.
ATELIER_RENDER_STALE_SECONDS = env.int("ATELIER_RENDER_STALE_SECONDS", default=45)
CELERY_BEAT_SCHEDULE = {
    "sweep": {"task": "images.sweep", "schedule": env.int("ATELIER_SWEEP_SECONDS", default=300)},
    # Only the renders: cheap (one indexed query), so often, unlike the storage audit above.
    "render-sweep": {
        "task": "images.render_sweep",
        "schedule": env.int("ATELIER_RENDER_SWEEP_SECONDS", default=15),
    },
    "uploads-sweep": {
        "task": "resumable.sweep",
        "schedule": env.int("ATELIER_UPLOADS_SWEEP_SECONDS", default=600),
    },
}

# --- REST framework --------------------------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "images.uploads.LimitedMultiPartParser",
        "core.parsers.FormParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.handlers.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login_username": env.str("ATELIER_THROTTLE_LOGIN_USERNAME", default="10/15m"),
        "login_ip": env.str("ATELIER_THROTTLE_LOGIN_IP", default="10/15m"),
        "register": env.str("ATELIER_THROTTLE_REGISTER", default="20/h"),
        "upload": env.str("ATELIER_THROTTLE_UPLOAD", default="60/m"),
        # Comments in shared albums, per account across every album.
        "album_comment": env.str("ATELIER_THROTTLE_ALBUM_COMMENT", default="60/m"),
        # Album invitations per account: each tells whether a username or email exists, so
        # no faster than registration tells the same.
        "album_invite": env.str("ATELIER_THROTTLE_ALBUM_INVITE", default="20/h"),
        # Wrong share-link passwords: per (link, address), and per address across all links.
        "share_unlock": env.str("ATELIER_THROTTLE_SHARE_UNLOCK", default="10/15m"),
        "share_unlock_ip": env.str("ATELIER_THROTTLE_SHARE_UNLOCK_IP", default="30/15m"),
        # Partner offers (each tells whether an account exists): per account and per address.
        "partner_invite": env.str("ATELIER_THROTTLE_PARTNER_INVITE", default="20/h"),
    },
    "NUM_PROXIES": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Where the Django admin is mounted (e.g. "admin/"); empty turns it off. On by default only
# outside production.
ATELIER_ADMIN_URL = env.str("ATELIER_ADMIN_URL", default="" if PRODUCTION else "admin/")
if ATELIER_ADMIN_URL and not ATELIER_ADMIN_URL.endswith("/"):
    ATELIER_ADMIN_URL += "/"
ATELIER_ADMIN_URL = ATELIER_ADMIN_URL.lstrip("/")
# With several processes (gunicorn), the folder where each writes its metrics; prometheus_client
# reads the variable itself, and /metrics sums the folder when it is set.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
# Who may read /metrics (Prometheus's scraper): client addresses, loopback by default.
ATELIER_METRICS_ALLOWED_IPS = env.list("ATELIER_METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
# A render worker on a machine of its own serves its metrics (render time by style, from every
# pool process: PROMETHEUS_MULTIPROC_DIR is required) on this port; 0 serves none.
ATELIER_WORKER_METRICS_PORT = env.int("ATELIER_WORKER_METRICS_PORT", default=0)
ATELIER_WORKER_METRICS_ADDR = env.str("ATELIER_WORKER_METRICS_ADDR", default="127.0.0.1")
# The header a trusted reverse proxy puts the client address in (e.g. HTTP_X_REAL_IP); empty
# says clients reach this server directly. Without a header the socket's REMOTE_ADDR is the
# client and X-Forwarded-For is ignored. Unset (None), `check --deploy` warns: production must
# say which. (django-environ would read an empty value as unset, were the default None.)
ATELIER_CLIENT_IP_HEADER = (
    env.str("ATELIER_CLIENT_IP_HEADER") if "ATELIER_CLIENT_IP_HEADER" in env.ENVIRON else None
)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env.int("JWT_ACCESS_TTL_SECONDS", default=600)),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=env.int("JWT_REFRESH_TTL_SECONDS", default=7 * 24 * 3600)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Each token carries a hash of the password it was issued under: a password change
    # revokes every token issued before it.
    "CHECK_REVOKE_TOKEN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Atelier API",
    "DESCRIPTION": (
        "Private image galleries: every account uploads, styles, lists and deletes only its "
        "own images. Authenticate with a bearer JWT from `POST /api/v1/auth/token/`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # API clients send JSON; the form parsers stay on for the browsable API's HTML forms only.
    "PARSER_WHITELIST": ["core.parsers.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.name_enums",
        "core.schema.document_query_rejection",
        "core.schema.forbid_unknown_request_fields",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The token stays in the page's memory, never in localStorage where any script can read it.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": False},
    "ENUM_NAME_OVERRIDES": {
        "StyleEnum": "imaging.styles.STYLE_CHOICES",
        "ImageStatusEnum": "images.models.Image.Status",
        # Two fields are named "kind": a picture's (photo or video) and an album event's.
        "KindEnum": "images.models.Image.Kind",
        "AlbumActivityKindEnum": "images.models.AlbumActivity.Kind",
        "AlbumRoleEnum": "images.models.AlbumMember.Role",
        "MemberStatusEnum": "images.members.serializers.MEMBER_STATUS_CHOICES",
        # Locked folder: its per-id results, apart from an album's (which keep ResultEnum).
        "ResultEnum": ["added", "already_in_album", "removed", "not_in_album", "not_found"],
        "LockResultEnum": "images.locked_serializers.LOCK_RESULTS",
    },
}

# --- CORS: off unless origins are named ------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("DJANGO_CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = [
    "Location",
    "ETag",
    "Retry-After",
    "Content-Disposition",
    "Idempotent-Replayed",
    # tus 1.0 (resumable uploads)
    "Tus-Resumable",
    "Tus-Version",
    "Tus-Extension",
    "Tus-Max-Size",
    "Upload-Offset",
    "Upload-Length",
    "Upload-Expires",
    "Upload-Image",
]
# Browsers may send what the API reads beyond the defaults: a retry's key, a share's grant,
# tus's headers.
CORS_ALLOW_HEADERS = (
    *default_headers,
    "idempotency-key",
    "x-share-grant",
    "tus-resumable",
    "upload-length",
    "upload-metadata",
    "upload-offset",
)

# --- Security headers and production hardening -------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# The web app's pages (web/): nothing inline, everything from this server. Pictures may come
# from the S3 endpoint too where the file endpoints redirect to presigned URLs.
_WEB_IMG_SOURCES = ["'self'"]
if ATELIER_S3_BUCKET and ATELIER_FILE_DELIVERY == "redirect":
    _s3_endpoint = env.str("ATELIER_S3_ENDPOINT_URL", default="") or (
        f"https://s3.{env.str('ATELIER_S3_REGION', default='us-east-1')}.amazonaws.com"
    )
    _WEB_IMG_SOURCES.append(_s3_endpoint.rstrip("/"))
ATELIER_WEB_CSP = [
    ("default-src", ["'self'"]),
    ("script-src", ["'self'"]),
    ("style-src", ["'self'"]),
    ("img-src", _WEB_IMG_SOURCES),
    ("object-src", ["'none'"]),
    ("base-uri", ["'none'"]),
    ("frame-ancestors", ["'none'"]),
    ("form-action", ["'self'"]),
]
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe the nodes over plain HTTP; a 301 to https would read as "down".
    SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz)$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# "json" writes one JSON object per line (for a log pipeline; the stack uses it), "text" lines
# for a person. Either way every line names the request (or render job) it belongs to.
DJANGO_LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if DJANGO_LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # 4xx responses are expected traffic, not warnings worth a line each.
        "django.request": {"level": "ERROR"},
    },
}

"""Safe defaults; secrets and deployment values come from instance/config.py or the environment."""

from __future__ import annotations

HTMX_VERSION = "2.0.11"
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"


class DefaultConfig:
    """Configuration every deployment starts from."""

    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    STOREFRONT_BASE_DOMAIN = "localhost"
    STAFF_HOST = "staff.localhost"

    # The platform's identity. Never rendered on a storefront; the leak guard looks for it.
    PLATFORM_NAME = "WebServer"
    PLATFORM_DOMAINS = ["webserver.com.my"]
    PLATFORM_SUPPORT_EMAIL = "support@webserver.com.my"
    PLATFORM_PHONES = ["+603 2770 2833"]
    # Glue addresses behind every reseller's private nameservers.
    PLATFORM_NAMESERVER_ADDRESSES = ["203.0.113.53", "198.51.100.53"]

    DEFAULT_THEME = "default"
    DEFAULT_CURRENCY = "MYR"
    DEFAULT_TIMEZONE = "Asia/Kuala_Lumpur"

    HTMX_CDN_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
    HTMX_SRI = HTMX_SRI
    # Serve the pinned copy fetched at install time instead of the CDN (development, tests).
    HTMX_USE_LOCAL = False

    PASSWORD_HASH_METHOD = "scrypt"
    # Accept addresses at reserved test domains (.test); for the demo and development only.
    EMAIL_ALLOW_TEST_DOMAINS = False

    # Rendered public shop pages kept per worker; 0 turns the cache off.
    PAGE_CACHE_SIZE = 512

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None

"""Safe defaults; secrets and deployment values come from instance/config.py or the environment."""

from __future__ import annotations

HTMX_VERSION = "2.0.11"
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"


class DefaultConfig:
    """Configuration every deployment starts from."""

    # "production" refuses to start with unsafe settings; "development" warns about them;
    # "testing" (the suite) is quiet. `make run` sets development.
    MODE = "production"
    # Set True only where one process serves every request: then memory:// rate limits hold.
    SINGLE_PROCESS = False

    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    STOREFRONT_BASE_DOMAIN = "localhost"
    STAFF_HOST = "staff.localhost"

    # The platform's identity. Never rendered on a storefront; the leak guard looks for it.
    PLATFORM_NAME = "WebServer"
    PLATFORM_LEGAL_NAME = "WebServer Sdn Bhd"
    PLATFORM_DOMAINS = ["webserver.com.my"]
    PLATFORM_SUPPORT_EMAIL = "support@webserver.com.my"
    PLATFORM_PHONES = ["+603 2770 2833"]
    # Glue addresses behind every reseller's private nameservers.
    PLATFORM_NAMESERVER_ADDRESSES = ["203.0.113.53", "198.51.100.53"]

    # Proving a shop's custom domain: the DNS resolvers asked for its TXT record (empty: this
    # machine's own resolvers), their port, and how long a lookup may take before the owner is
    # told to try again. Use resolvers that do not keep negative answers for long.
    DNS_RESOLVER_ADDRESSES: list[str] = []
    DNS_RESOLVER_PORT = 53
    DNS_TIMEOUT_SECONDS = 3

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

    # Outgoing mail: the outbox is delivered through this relay by `storefront mail send`.
    MAIL_SMTP_HOST = "127.0.0.1"
    MAIL_SMTP_PORT = 25
    MAIL_SMTP_SECURITY = "none"  # "none" | "starttls" | "ssl"
    MAIL_SMTP_USERNAME: str | None = None  # log in only when set
    MAIL_SMTP_PASSWORD: str | None = None
    MAIL_SMTP_TIMEOUT = 10
    # The name sent in EHLO. The relay records it in a Received header of every message, so
    # production needs a neutral name (None would send this machine's FQDN).
    MAIL_SMTP_HELO_NAME: str | None = None
    # Minutes to wait before each retry of a message the relay deferred; then it fails.
    MAIL_RETRY_MINUTES = [1, 5, 15, 60, 240, 720]
    # A sender holds the message it claimed this long; a sender that dies mid-send leaves it to the
    # next run after that (the same Message-ID: at least once).
    MAIL_CLAIM_MINUTES = 10
    # The folder `storefront mail catch` (the development mail catcher) keeps caught email in;
    # none means caught-mail/ in the instance folder.
    MAIL_CATCHER_FOLDER: str | None = None

    # The job queue `storefront worker` consumes (storefront/jobs.py): sqlite:///FILE or
    # redis://…; none means jobs.db in the instance folder.
    JOBS_URL: str | None = None
    # Worker threads per `storefront worker` process.
    JOBS_WORKERS = 2

    # Incoming mail (`storefront mail ingest` and `mail serve`): larger messages are kept aside
    # unread; attachments beyond these limits are left out of the ticket with a note.
    INBOUND_MAX_BYTES = 10 * 1024 * 1024
    INBOUND_MAX_ATTACHMENTS = 10
    INBOUND_MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
    # `mail serve` refuses (552) anything larger outright; between the two, mail is kept aside.
    INBOUND_SMTP_MAX_BYTES = 32 * 1024 * 1024
    # The name `mail serve` greets with and stamps in Received headers; production needs a neutral
    # one (None would use this machine's FQDN, which may name the platform).
    INBOUND_SMTP_HOSTNAME: str | None = None
    # Received mail linked to no ticket (quarantined, automatic, or waiting for staff and never
    # opened) belongs to no customer the purge can find: after this many days its text, raw
    # bytes and addresses are removed by `storefront privacy purge`, whatever its shop.
    INBOUND_UNATTRIBUTED_RETENTION_DAYS = 90
    # Messages with more MIME parts, or multiparts nested deeper, are kept aside before any full parse.
    INBOUND_MAX_PARTS = 100
    INBOUND_MAX_DEPTH = 10
    # Sender identity. Mail is a customer's only when authenticated: `mail serve` checks DKIM, SPF
    # and DMARC itself and stamps its own Authentication-Results under INBOUND_AUTHSERV_ID (None:
    # INBOUND_SMTP_HOSTNAME, else "localhost"); behind another receiving server (`mail ingest`),
    # only the topmost Authentication-Results of MAIL_TRUSTED_AUTHSERV_ID counts. None trusts
    # no outside header: every piped message is then an unverified sender.
    MAIL_TRUSTED_AUTHSERV_ID: str | None = None
    INBOUND_AUTHSERV_ID: str | None = None

    # Links in emails point at the shop's primary domain with this scheme (and port, in development).
    SHOP_URL_SCHEME = "https"
    SHOP_URL_PORT: int | None = None
    # Development only: link to <slug>.<base domain>, since demo custom domains do not resolve.
    SHOP_URLS_ON_SLUG_HOST = False

    # Rate limits (Flask-Limiter). memory:// counts per process, so wherever more than one
    # process serves, production needs shared storage: redis://host:6379 (RATELIMIT_KEY_PREFIX
    # separates deployments sharing one Redis).
    RATELIMIT_STORAGE_URI = "memory://"
    # While Redis cannot be reached, each process counts on its own rather than failing sign-in.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SIGN_IN_PER_EMAIL = "10 per 15 minutes"
    RATELIMIT_SIGN_IN_PER_ADDRESS = "60 per 15 minutes"
    RATELIMIT_SIGN_UP_PER_EMAIL = "3 per hour"
    RATELIMIT_SIGN_UP_PER_ADDRESS = "20 per hour"
    RATELIMIT_RESET_PER_EMAIL = "3 per hour"
    RATELIMIT_RESET_PER_ADDRESS = "20 per hour"
    # What a signed-in customer can make the shop send: the verification link again, new tickets
    # (each mails the customer and every team member) and replies (each mails the team).
    RATELIMIT_VERIFY_RESEND_PER_ACCOUNT = "3 per hour"
    RATELIMIT_VERIFY_RESEND_PER_ADDRESS = "10 per hour"
    RATELIMIT_TICKET_PER_ACCOUNT = "10 per hour"
    RATELIMIT_TICKET_PER_ADDRESS = "30 per hour"
    RATELIMIT_TICKET_REPLY_PER_ACCOUNT = "30 per hour"
    RATELIMIT_TICKET_REPLY_PER_ADDRESS = "120 per hour"
    # Changes to a service (renewal, ending, plan, cycle): each emails the customer a confirmation.
    RATELIMIT_SERVICE_CHANGE_PER_ACCOUNT = "30 per hour"

    # The sandbox card gateway: its signing secret (derived from SECRET_KEY when unset, which
    # production refuses) and how old a callback may be.
    # Off in production: its test card pays invoices without money moving.
    SANDBOX_GATEWAY_ENABLED = False
    SANDBOX_GATEWAY_SECRET: str | None = None
    SANDBOX_CALLBACK_TOLERANCE_SECONDS = 300

    # Sessions travel over HTTPS only; development over plain HTTP turns this off.
    SESSION_COOKIE_SECURE = True
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (never -Host).
    PROXY_FIX_HOPS = 0

    # Make every staff member and every shop owner set up a TOTP second factor before they may
    # work; when off, each can still turn it on for their own account.
    REQUIRE_SECOND_FACTOR = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None

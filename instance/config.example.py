# Copy to instance/config.py and adjust; values here override storefront/config.py.
# Every key can also be set as an environment variable prefixed STOREFRONT_
# (for example STOREFRONT_STAFF_HOST=staff.example.com); DATABASE_URL picks the database.

# MODE = "production"  # the default: refuses the unsafe settings below; "development" only warns
# SECRET_KEY = "a long random string"  # 32+ characters; made and kept in instance/secret_key when unset
# MAIL_SMTP_HELO_NAME = "mail.example.net"  # neutral names: they appear in every Received: header
# INBOUND_SMTP_HOSTNAME = "mx.example.net"
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379"  # shared by every worker; or SINGLE_PROCESS = True
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://storefront@127.0.0.1:5432/storefront"
# STOREFRONT_BASE_DOMAIN = "shops.example.com"
# STAFF_HOST = "staff.example.com"
# PLATFORM_NAME = "Example Hosting"
# PLATFORM_LEGAL_NAME = "Example Hosting Sdn Bhd"
# PLATFORM_DOMAINS = ["example.com"]
# PLATFORM_SUPPORT_EMAIL = "support@example.com"
# PLATFORM_PHONES = ["+60 3 0000 0000"]
# PLATFORM_NAMESERVER_ADDRESSES = ["203.0.113.53", "198.51.100.53"]
# HTMX_USE_LOCAL = False  # True serves the pinned copy in storefront/static/vendor/

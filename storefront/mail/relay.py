"""The SMTP relay: one lazily opened connection, and its answers sorted into refusals and outages."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage

SECURITY_MODES = ("none", "starttls", "ssl")


class MailConfigError(ValueError):
    """The MAIL_SMTP_* settings cannot work."""


class RelayRefused(Exception):
    """The relay answered with a refusal: permanent (5xx) or worth retrying (4xx)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


class RelayUnavailable(Exception):
    """The relay could not be reached or dropped the connection; nothing more is sent this run."""


class Relay:
    """One SMTP connection to the configured relay, opened on the first message of a run."""

    def __init__(self, config: Mapping) -> None:
        if config["MAIL_SMTP_SECURITY"] not in SECURITY_MODES:
            raise MailConfigError(f"MAIL_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}")
        self.config = config
        self.unavailable = False
        self._smtp: smtplib.SMTP | None = None

    def send(self, email: EmailMessage, sender: str, recipient: str) -> None:
        """Hand one message to the relay, or raise RelayRefused or RelayUnavailable."""
        smtp = self._connection()
        try:
            smtp.send_message(email, sender, [recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise self._refused(code, reply) from error
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise self._refused(error.smtp_code, error.smtp_error) from error
        except smtplib.SMTPNotSupportedError as error:  # an address that needs SMTPUTF8
            raise RelayRefused(str(error), permanent=True) from error
        except Exception as error:  # disconnects, timeouts, the unforeseen: no message may block the queue
            self._lose()
            raise RelayUnavailable(describe(error)) from error

    def close(self) -> None:
        """Say goodbye to the relay if connected, closing the socket whatever it answers."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except OSError:
            self._smtp.close()
        self._smtp = None

    def _connection(self) -> smtplib.SMTP:
        """Return the open connection, opening it on first use."""
        if self._smtp is None:
            try:
                self._smtp = open_connection(self.config)
            except OSError as error:
                self.unavailable = True
                raise RelayUnavailable(describe(error)) from error
        return self._smtp

    def _refused(self, code: int, reply: bytes | str) -> RelayRefused:
        """Return the refusal for a reply, noting a connection the relay closed with it."""
        if self._smtp is not None and self._smtp.sock is None:  # a 421 closes the connection
            self._lose()
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        return RelayRefused(f"{code} {text}", permanent=500 <= code < 600)

    def _lose(self) -> None:
        """Drop a connection that can no longer be used, ending this run's sending."""
        if self._smtp is not None:
            self._smtp.close()
        self._smtp = None
        self.unavailable = True


def open_connection(config: Mapping) -> smtplib.SMTP:
    """Connect to the relay with the configured security, logging in when a username is set."""
    host, port = config["MAIL_SMTP_HOST"], config["MAIL_SMTP_PORT"]
    options = {"local_hostname": config.get("MAIL_SMTP_HELO_NAME"), "timeout": config["MAIL_SMTP_TIMEOUT"]}
    # Certificates are verified: a relay that cannot prove its name gets no mail or password,
    # and "starttls" never falls back to plain text.
    context = ssl.create_default_context()
    if config["MAIL_SMTP_SECURITY"] == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, context=context, **options)
    else:
        smtp = smtplib.SMTP(host, port, **options)
    try:
        if config["MAIL_SMTP_SECURITY"] == "starttls":
            smtp.starttls(context=context)
        if config["MAIL_SMTP_USERNAME"]:
            smtp.login(config["MAIL_SMTP_USERNAME"], config["MAIL_SMTP_PASSWORD"] or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def describe(error: BaseException) -> str:
    """Return a one-line account of a connection error for ``last_error``."""
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        return f"{error.smtp_code} {text}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__

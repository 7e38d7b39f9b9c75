"""A local SMTP server (aiosmtpd) that requires STARTTLS and AUTH, and keeps every message it accepts."""

from __future__ import annotations

import contextlib
import email
import email.policy
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tests.support.processes import free_port
from tests.web.tls import Certificate


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: str


@dataclass
class SMTPSink:
    username: str
    password: str
    delivered: list[Delivered] = field(default_factory=list)
    failed_logins: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def authenticate(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        ):
            return AuthResult(success=True, auth_data=auth_data)
        self.failed_logins += 1
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else ""
        with self._lock:
            self.delivered.append(
                Delivered(str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], message, login)
            )
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Delivered]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.delivered) >= count:
                    return list(self.delivered)
            time.sleep(0.05)
        raise TimeoutError(f"{count} emails expected within {timeout}s, got {len(self.delivered)}")


@contextlib.contextmanager
def running_smtp_sink(
    certificate: Certificate, username: str, password: str
) -> Iterator[tuple[SMTPSink, str]]:
    """Yield the sink and its `host:port`; STARTTLS with certificate is required before AUTH and mail."""
    sink = SMTPSink(username, password)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.cert, certificate.key)
    port = free_port()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=sink.authenticate,
        auth_required=True,
        # aiosmtpd's LOGIN challenge is "User Name", Alertmanager's LOGIN client only answers the usual
        # "Username:" (Postfix, Dovecot, Exchange): offer PLAIN, which both speak.
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    try:
        yield sink, f"127.0.0.1:{port}"
    finally:
        controller.stop()

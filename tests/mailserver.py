"""A real SMTP server on the loopback interface, for the tests of alert emails.

Nothing is mocked: viewpoint talks SMTP over a socket to aiosmtpd, which keeps what it is
given so that a test can read exactly what left the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """A loopback port nothing is listening on (a mail server that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        """Every header and the body, as the recipient's mail program would show them."""
        body = self.message.get_content()
        headers = "\n".join(f"{name}: {value}" for name, value in self.message.items())
        return f"{headers}\n\n{body}"


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps every message the server accepts."""

    #: Recipients the server refuses, as a mistyped address would be.
    refuse: set[str] = field(default_factory=set)
    #: Seconds the server takes to accept each message (to make two senders overlap).
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 2.0.0 Accepted"

    def messages(self) -> list[Received]:
        with self._lock:
            return list(self.received)


class _Authenticator:
    def __init__(self, mailbox: Mailbox, username: str, password: str) -> None:
        self.mailbox, self.username, self.password = mailbox, username, password

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode(), auth_data.password.decode()
        self.mailbox.logins.append(login)
        # handled=False: aiosmtpd itself answers 235 or 535.
        return AuthResult(success=login == (self.username, self.password), handled=False)


@dataclass
class MailServer:
    host: str
    port: int
    mailbox: Mailbox


@contextlib.contextmanager
def mail_server(port: int | None = None, *, delay: float = 0.0, refuse: set[str] | None = None,
                login: tuple[str, str] | None = None) -> Iterator[MailServer]:
    """Run an SMTP server on 127.0.0.1 (on ``port`` if given, else a free one) until the
    block ends. With ``login`` it offers AUTH over plain text (fine on the loopback interface
    of a test) and accepts only that user name and password. It does not insist on AUTH:
    aiosmtpd warns about insisting without TLS, and the tests check what the client sent."""
    mailbox = Mailbox(refuse=set(refuse or ()), delay=delay)
    port = port or free_port()
    options: dict[str, Any] = {}
    if login is not None:
        options.update(authenticator=_Authenticator(mailbox, *login), auth_require_tls=False)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield MailServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()

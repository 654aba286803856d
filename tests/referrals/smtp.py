"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), that can be stopped and started again on the same port.

    server = SmtpServer()           # picks a free port; not yet listening
    server.start(); ...; server.stop(); server.start()
    server.messages                 # every message received, as email.message.EmailMessage objects
    server.refuse.add(address)      # refuse mail for this address (550), as for an unknown mailbox
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Collector:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() in self.server.refuse:
            # As real servers do, the refusal names the address: Signpost must not copy it into logs.
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(message)
            self.server.envelopes.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos)})
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[dict] = []
        self.delay = 0.0  # seconds to take over each message, as a slow server does
        self.refuse: set[str] = set()  # addresses to refuse, as a server refuses an unknown mailbox
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpServer:
        if self._controller is None:
            controller = Controller(_Collector(self), hostname=self.host, port=self.port, ready_timeout=10)
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def header_values(self, name: str) -> list[str]:
        with self.lock:
            return [str(message[name]) for message in self.messages]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

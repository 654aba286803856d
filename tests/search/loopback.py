"""A stand-in search engine on a loopback port: it hangs (accepts connections and never answers),
or passes connections through to a real node, and counts the connections it was sent."""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit


class LoopbackEngine:
    def __init__(self):
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.connections = 0  # how many times a client tried the engine
        self._target: tuple[str, int] | None = None  # None: hang
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def forward_to(self, url: str) -> None:
        """From now on, pass new connections through to the engine at ``url``."""
        parts = urlsplit(url)
        self._target = (parts.hostname, parts.port or 80)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                continue
            self.connections += 1
            self._sockets.append(client)
            if self._target is not None:
                upstream = socket.create_connection(self._target, timeout=10)
                self._sockets.append(upstream)
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()
            # Otherwise hold the connection open and say nothing: a hung engine.

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for sock in self._sockets:
            sock.close()
        self._listener.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass

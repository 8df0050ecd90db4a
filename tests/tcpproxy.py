"""A loopback TCP proxy that a test or benchmark owns, to cut a service off and bring it back.

    with TcpProxy("127.0.0.1", 5432) as proxy:
        url = f"postgres://postgres@127.0.0.1:{proxy.port}/db"
        proxy.cut()      # every open connection is reset, new ones are refused
        proxy.restore()  # connections work again

The machine's PostgreSQL is never stopped: the app reaches it only through this proxy, so an
outage is the proxy refusing, exactly as a network partition or a database restart looks to
the client (a reset connection, then refused connects).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, port: int = 0) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", port), backlog=256)
        self._lock = threading.Lock()
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._cut = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.connections_accepted = 0
        self.connections_refused = 0

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    @property
    def is_cut(self) -> bool:
        return self._cut.is_set()

    def start(self) -> TcpProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._reset_all()
        self._thread.join(timeout=5)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def cut(self) -> None:
        """Reset every open connection and refuse new ones until ``restore``."""
        self._cut.set()
        self._reset_all()

    def restore(self) -> None:
        self._cut.clear()

    def open_connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    # -- internals ---------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        self._listener.settimeout(0.2)
        while not self._stopped.is_set():
            try:
                client, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._cut.is_set():
                self.connections_refused += 1
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self._upstream, timeout=5)
            except OSError:
                _reset(client)
                continue
            self.connections_accepted += 1
            pair = (client, upstream)
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(target=self._pump, args=(pair,), daemon=True).start()

    def _pump(self, pair: tuple[socket.socket, socket.socket]) -> None:
        client, upstream = pair
        peers = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in peers:
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ)
            try:
                while not self._stopped.is_set():
                    for key, _events in selector.select(timeout=0.5):
                        data = key.fileobj.recv(65536)
                        if not data:
                            return
                        peers[key.fileobj].setblocking(True)
                        peers[key.fileobj].sendall(data)
                        peers[key.fileobj].setblocking(False)
            except (OSError, ValueError):
                return
            finally:
                with self._lock:
                    self._pairs.discard(pair)
                for sock in peers:
                    _reset(sock)

    def _reset_all(self) -> None:
        with self._lock:
            pairs = list(self._pairs)
        for pair in pairs:
            for sock in pair:
                _reset(sock)


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): the peer sees 'connection reset', as on a real cut."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()

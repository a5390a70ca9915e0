"""A WiFi shield on loopback: HTTP control plus a TCP stream, for BrainFlow's WiFi drivers.

BrainFlow's driver asks ``GET /board``, posts ``/tcp`` with the host's address and port,
sends commands with ``POST /command`` (``~4`` for 1 kHz, ``d``), and starts and stops the
stream with ``GET /stream/start`` and ``/stream/stop``; the shield then connects to the
host and sends 33-byte packets. BrainFlow requires the shield to listen on port 80 and
takes its address without a port, so each emulator binds its own loopback address
(``127.x.y.z``; Linux routes all of 127/8 to the loopback interface; port 80 needs root
or ``CAP_NET_BIND_SERVICE``).
"""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from acquisition.emulator.board import EmulatedBoard, Faults
from acquisition.emulator.serial_pty import _RATES, CommandParser
from acquisition.emulator.stream import Streamer
from acquisition.sources.simulated import Feed

log = logging.getLogger("emgkit")


class _Handler(BaseHTTPRequestHandler):
    server: _ShieldHTTPServer

    def log_message(self, format, *args):
        log.debug("wifi emulator: " + format, *args)

    def _reply(self, code: int, body, ctype: str = "application/json") -> None:
        data = (json.dumps(body) if ctype == "application/json" else str(body)).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        n = int(self.headers.get("Content-Length", 0) or 0)
        try:
            return json.loads(self.rfile.read(n) or b"{}")
        except json.JSONDecodeError:
            return {}

    def do_GET(self):
        emu = self.server.emulator
        if self.path == "/board":
            n = emu.board.n_channels
            self._reply(200, {"board_connected": True,
                              "board_type": "daisy" if n == 16 else "cyton",
                              "gains": [24] * n, "num_channels": n})
        elif self.path == "/stream/start":
            emu.parser.feed("b")
            self._reply(200, "Stream started", "text/plain")
        elif self.path == "/stream/stop":
            emu.parser.feed("s")
            self._reply(200, "Stream stopped", "text/plain")
        elif self.path in ("/", "/all", "/version"):
            self._reply(200, {"name": "OpenBCI-emgkit", "version": "v2.0.5"})
        else:
            self._reply(404, "not found", "text/plain")

    def do_POST(self):
        emu = self.server.emulator
        body = self._body()
        if self.path == "/tcp":
            try:
                emu.connect_host(str(body["ip"]), int(body["port"]))
            except (KeyError, ValueError, OSError) as e:
                self._reply(500, {"error": str(e)})
                return
            self._reply(200, {"connected": True, "delimiter": True, "ip": body["ip"],
                              "output": "raw", "port": body["port"], "latency": 10000})
        elif self.path == "/command":
            cmd = str(body.get("command", ""))
            if cmd.startswith("~") and len(cmd) == 2 and cmd[1] in _RATES:
                emu.board.fs_hz = float(_RATES[cmd[1]])
            self._reply(200, emu.parser.feed(cmd) or "Success$$$", "text/plain")
        else:
            self._reply(404, "not found", "text/plain")


class _ShieldHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: WifiShieldEmulator


class WifiShieldEmulator:
    """A Cyton or Cyton+Daisy behind a WiFi shield, on a loopback address.

    Parameters
    ----------
    board : {"cyton-wifi", "cyton-daisy-wifi"}
        Which board to emulate.
    feed : callable, optional
        ``feed(n) -> float32 (n, n_channels)`` µV; Gaussian noise if None.
    faults : Faults, optional
        Faults to inject.
    log : bool
        Keep a log of every generated sample.
    ip_address : str, optional
        Loopback address to listen on (port 80); a random free ``127.x.y.z`` if None.
    trigger : TriggerPattern, optional
        A trigger pin toggled periodically, read in the digital-read mode (``/3``); the
        shield leaves only D11, D12 and D17.

    Examples
    --------
    >>> with WifiShieldEmulator("cyton-wifi") as emu:       # doctest: +SKIP
    ...     print(emu.ip_address)   # give this to BrainFlow as ip_address (and an ip_port)
    """

    def __init__(self, board: str = "cyton-wifi", feed: Feed | None = None,
                 faults: Faults | None = None, *, log: bool = True, ip_address: str | None = None,
                 trigger=None):
        if board not in ("cyton-wifi", "cyton-daisy-wifi"):
            raise ValueError(f"the WiFi emulator runs 'cyton-wifi' or 'cyton-daisy-wifi', "
                             f"not {board!r}")
        self.board = EmulatedBoard(board, feed, faults, log=log, trigger=trigger)
        self.parser = CommandParser(board, self._start_stream, self._stop_stream,
                                    on_mode=lambda m: setattr(self.board, "mode", m))
        self.ip_address = ip_address
        self._sock: socket.socket | None = None
        self._http: _ShieldHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.streamer = Streamer(self.board, self._write, self._close_tcp)

    @property
    def faults(self) -> Faults:
        """The faults being injected."""
        return self.board.faults

    def start(self) -> WifiShieldEmulator:
        """Start the HTTP server; returns self."""
        tries = [self.ip_address] if self.ip_address else [
            f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
            for _ in range(20)
        ]
        err: OSError | None = None
        for addr in tries:
            try:
                self._http = _ShieldHTTPServer((addr, 80), _Handler)
                self.ip_address = addr
                break
            except OSError as e:
                err = e
        if self._http is None:
            raise OSError(f"WiFi emulator cannot listen on port 80 of {tries[-1]}: {err}")
        self._http.emulator = self
        self._thread = threading.Thread(target=self._http.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="wifi-emulator", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop streaming and the server."""
        self.streamer.stop()
        self._close_tcp()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def __enter__(self) -> WifiShieldEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def connect_host(self, ip: str, port: int) -> None:
        """Open the TCP connection to the host (what ``POST /tcp`` asks for)."""
        self._close_tcp()
        s = socket.create_connection((ip, port), timeout=3.0)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(2.0)
        self._sock = s

    def stall(self, seconds: float, drops: bool = True) -> None:
        """Send nothing for ``seconds``."""
        self.streamer.stall(seconds, drops)

    def disconnect(self) -> None:
        """Drop the TCP connection and go silent."""
        self.streamer.disconnect()
        self._close_tcp()

    def _start_stream(self) -> None:
        self.streamer.start()

    def _stop_stream(self) -> None:
        self.streamer.stop()

    def _write(self, data: bytes) -> None:
        s = self._sock
        if s is None:
            raise OSError("no TCP connection to the host")
        s.sendall(data)

    def _close_tcp(self) -> None:
        s, self._sock = self._sock, None
        if s is not None:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

"""A fault-injecting HTTP proxy of ours, on loopback, between a counter and the district server.

Each request the counter sends takes the next fault from a script (default: pass through):
  pass           forward, answer;
  down           the server is unreachable: the connection is closed before any answer;
  cut_request    the request is cut before it reaches the server;
  cut_reply      the server handles the request, the reply is lost on the way back;
  truncate_reply half of the reply arrives, then the connection drops;
  status_500     the proxy answers 500 itself; the server never sees the request;
  status_502     idem, 502 Bad Gateway;
  garbage        the server handles the request; the counter gets 200 with a body that is not JSON;
  duplicate      the request reaches the server twice; the counter gets the second answer;
  delay:S        forward after S seconds.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque


def _read_request(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


def _with_connection_close(request: bytes) -> bytes:
    head, _, body = request.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    return b"\r\n".join(lines + [b"Connection: close"]) + b"\r\n\r\n" + body


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.script: deque[str] = deque()
        self.seen: list[tuple[str, str]] = []  # (request line, fault)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def queue(self, *faults: str) -> None:
        self.script.extend(faults)

    def close(self) -> None:
        self._stop.set()
        self.listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _forward(self, request: bytes) -> bytes:
        with socket.create_connection(self.upstream, timeout=30) as up:
            up.sendall(_with_connection_close(request))
            reply = b""
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    return reply
                reply += chunk

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    request = _read_request(conn)
                except OSError:
                    return
                if request is None:
                    return
                fault = self.script.popleft() if self.script else "pass"
                self.seen.append((request.split(b"\r\n", 1)[0].decode("latin-1"), fault))
                if fault in ("down", "cut_request"):
                    return  # closed: nothing reached the server
                if fault.startswith("status_"):
                    code = fault.split("_")[1]
                    body = '{"error": "proxy", "message": "Máy chủ tạm thời lỗi."}'.encode("utf-8")
                    conn.sendall(f"HTTP/1.1 {code} Error\r\nContent-Type: application/json\r\n"
                                 f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
                    return
                if fault.startswith("delay:"):
                    time.sleep(float(fault.split(":")[1]))
                reply = self._forward(request)
                if fault == "duplicate":
                    reply = self._forward(request)
                if fault == "cut_reply":
                    return
                if fault == "truncate_reply":
                    conn.sendall(reply[: len(reply) // 2])
                    return
                if fault == "garbage":
                    body = b"<html>502 trang loi cua nha mang</html> {not json"
                    reply = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
                    conn.sendall(reply)
                    return
                conn.sendall(reply)
                return  # one request per connection: the upstream reply closed with Connection: close

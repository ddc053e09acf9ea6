"""A file server on loopback for firmware downloads and log uploads (the stdlib's HTTP server, in a thread).

GET of a path it was given a file for answers the file, anything else 404; a POST (multipart/form-data,
as chargers upload) or PUT is kept, its `file` part read out, and answered 201. Tests wait for what it
received through `wait_for`, never on sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    file_name: str | None
    body: bytes  # the file part of a multipart body, else the whole body


class FileServer:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._keep(Received("GET", self.path, None, b""))
                content = server.files.get(self.path)
                self.send_response(404 if content is None else 200)
                self.send_header("Content-Length", str(len(content or b"")))
                self.end_headers()
                self.wfile.write(content or b"")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                name, content = _file_part(self.headers.get("Content-Type", ""), body)
                server._keep(Received(self.command, self.path, name, content))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PUT = do_POST  # noqa: N815 (the stdlib names handlers so)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def _keep(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def got(self, method: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.method == method]

    async def wait_for(self, check: Callable[[], T | None], timeout: float = 10.0) -> T:
        async with asyncio.timeout(timeout):
            while (found := check()) is None or found == []:
                await asyncio.sleep(0.01)  # another thread fills it: polled, with a deadline
        return found


def _file_part(content_type: str, body: bytes) -> tuple[str | None, bytes]:
    if not content_type.startswith("multipart/"):
        return None, body
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            return part.get_filename(), payload if isinstance(payload, bytes) else b""
    return None, body


@contextlib.contextmanager
def file_server() -> Iterator[FileServer]:
    server = FileServer()
    thread = threading.Thread(target=server.httpd.serve_forever, name="file-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(5)

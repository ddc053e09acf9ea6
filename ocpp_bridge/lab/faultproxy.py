"""A fault-injection proxy between charge points and a CSMS, per OCPP-J frame, reproducible by seed.

Chargers connect to ws://127.0.0.1:<port>/<path>/<identity>; for each one the proxy opens a connection
to `upstream` + the same path (and query), offering the charger's subprotocols and passing its
`Authorization` header, and completes the charger's handshake with the subprotocol the CSMS chose (or
refuses it with the CSMS's status). It then forwards frames both ways and, per frame, may

- delay it (`delay_ms`, the direction waits: frames are never reordered, as on a slow TCP link),
- drop it (a dropped CALL or answer makes the caller's call time out),
- cut the connection (both sides aborted, no close frame, as when a cable is pulled), at random
  (`cut`) or right after the N-th frame in scope (`cut_after`).

Decisions come from one `random.Random` per connection, seeded with the plan's seed, the charger's
identity and the connection's number for that identity, and drawing the same amount per frame whatever
it decides: a charger's faults depend on its own traffic only, never on how the traffic of several
chargers interleaves. The same seed and the same traffic give the same faults; `log` lists them
(identity, connection, frame index, fault) so that two runs can be compared.

For tests (and the CLI's operator) there are also manual controls: `cut()` a charger's connection now,
and `unreachable()` / `reachable()` to refuse new handshakes (HTTP 503) as if the CSMS were down.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import Server, ServerConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, ProtocolError
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from ocpp_bridge.runtime.connection import CALL, parse_frame

log = logging.getLogger(__name__)

CP_TO_CSMS = "cp_to_csms"
CSMS_TO_CP = "csms_to_cp"
DIRECTIONS = frozenset({CP_TO_CSMS, CSMS_TO_CP})


@dataclass(frozen=True)
class FaultPlan:
    """What to inject, and with which seed. Probabilities are per frame in scope.

    Scope: frames whose action (a CALL's, or for an answer the action of the CALL it answers) is in
    `actions` (empty: every frame), travelling in one of `directions`, on the first `connections`
    connections of each charger (0: every connection). Frames out of scope pass untouched and draw
    nothing from the random sequence.
    """

    seed: int = 0
    drop: float = 0.0
    delay: float = 1.0  # probability that a frame is delayed by a draw from delay_ms
    delay_ms: tuple[int, int] = (0, 0)
    cut: float = 0.0  # probability that the connection is cut at a frame (that frame is lost)
    cut_after: int = 0  # cut each connection right after forwarding this many frames in scope (0: never)
    actions: frozenset[str] = frozenset()
    directions: frozenset[str] = DIRECTIONS
    connections: int = 0

    def __post_init__(self) -> None:
        for name in ("drop", "delay", "cut"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} is a probability, between 0 and 1 (got {value})")
        low, high = self.delay_ms
        if not 0 <= low <= high:
            raise ValueError(f"delay_ms must be a range low-high with 0 <= low <= high (got {low}-{high})")
        if self.cut_after < 0 or self.connections < 0:
            raise ValueError("cut_after and connections count frames and connections: 0 or more")
        unknown = set(self.directions) - DIRECTIONS
        if unknown:
            raise ValueError(f"unknown directions {sorted(unknown)}; known: {sorted(DIRECTIONS)}")

    def in_scope(self, connection: int, direction: str, action: str | None) -> bool:
        if self.connections and connection > self.connections:
            return False
        if direction not in self.directions:
            return False
        return not self.actions or action in self.actions


def parse_delay_range(text: str) -> tuple[int, int]:
    """'0-200' → (0, 200); '50' → (50, 50)."""
    low, sep, high = text.partition("-")
    try:
        bounds = (int(low), int(high) if sep else int(low))
    except ValueError:
        raise ValueError(f"a delay range is LOW-HIGH in milliseconds, like 0-200 (got {text!r})") from None
    if not 0 <= bounds[0] <= bounds[1]:
        raise ValueError(f"a delay range needs 0 <= LOW <= HIGH (got {text!r})")
    return bounds


@dataclass(frozen=True)
class Fault:
    """One fault the proxy injected. `frame` counts every frame of the connection, both ways, from 0."""

    identity: str
    connection: int  # 1 for the charger's first connection through this proxy
    frame: int
    direction: str
    action: str | None
    message_type: int | None
    kind: str  # "delay", "drop", "cut" (seeded); "manual_cut" (by `cut()`)
    delay_ms: int | None = None


def identity_of(path: str) -> str:
    """The charge point identity of an upgrade's request path, as the proxy and the test CSMS read it: a
    `cp` query parameter (a charger whose ws_url says `?cp={identity}`), or else the last path segment,
    where OCPP-J puts it (a trailing slash allowed)."""
    parts = urlsplit(path)
    cp = parse_qs(parts.query).get("cp")
    return cp[0] if cp else unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) or "unknown"


class _Link:
    """One charger connection and its upstream twin, with the seeded decisions for its frames."""

    def __init__(
        self,
        proxy: FaultProxy,
        identity: str,
        number: int,
        client: ServerConnection,
        upstream: ClientConnection,
    ) -> None:
        self.proxy, self.identity, self.number = proxy, identity, number
        self.client, self.upstream = client, upstream
        self.plan = proxy.plan
        self.rng = random.Random(f"{self.plan.seed}:{identity}:{number}")
        self.frames = 0  # every frame read on this connection
        self.in_scope = 0  # frames in scope that were forwarded
        self.cut_done = False
        # Actions of the CALLs seen in each direction, by message id, to name the answers.
        self.calls: dict[str, dict[str, str]] = {CP_TO_CSMS: {}, CSMS_TO_CP: {}}

    async def run(self) -> None:
        pumps = [
            asyncio.create_task(self._pump(self.client, self.upstream, CP_TO_CSMS)),
            asyncio.create_task(self._pump(self.upstream, self.client, CSMS_TO_CP)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            for ws in (self.client, self.upstream):
                if ws.state is not websockets.State.CLOSED and ws.transport is not None:
                    ws.transport.abort()

    async def _pump(self, source: Any, target: Any, direction: str) -> None:
        while True:
            try:
                raw = await source.recv()
            except ConnectionClosed as closed:
                await self._close_other(target, closed)
                return
            try:
                await self._forward(raw, target, direction)
            except ConnectionClosed:
                return  # the other side is gone: its own pump closes this one

    async def _close_other(self, target: Any, closed: ConnectionClosed) -> None:
        """One side closed: close the other the same way (its close code), or abort it after a cut."""
        code = None if closed.rcvd is None else closed.rcvd.code
        if self.cut_done or code is None or code in (1005, 1006, 1015):
            self.abort()
            return
        try:
            await target.close(code, closed.rcvd.reason if closed.rcvd else "")
        except (ConnectionClosed, ProtocolError):
            self.abort()

    async def _forward(self, raw: str | bytes, target: Any, direction: str) -> None:
        if self.cut_done:
            return  # read from a buffer after the cut: lost with the line, and no draw for it
        index = self.frames
        self.frames += 1
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        message_type, message_id, frame = parse_frame(text)
        action: str | None = None
        if message_type == CALL:
            action = str(frame[2])
            self.calls[direction][message_id or ""] = action
        elif message_id is not None:
            other = CSMS_TO_CP if direction == CP_TO_CSMS else CP_TO_CSMS
            action = self.calls[other].pop(message_id, None)
        plan = self.plan
        if not plan.in_scope(self.number, direction, action):
            await target.send(raw)
            return

        # The same four draws for every frame in scope, whatever is decided.
        cut, drop, delay = self.rng.random(), self.rng.random(), self.rng.random()
        delay_ms = self.rng.randint(*plan.delay_ms)

        def fault(kind: str, ms: int | None = None) -> Fault:
            return Fault(self.identity, self.number, index, direction, action, message_type, kind, ms)

        if cut < plan.cut:
            self.proxy._injected(fault("cut"))
            self.abort()
            return
        if drop < plan.drop:
            self.proxy._injected(fault("drop"))
            return
        if delay < plan.delay and delay_ms > 0:
            self.proxy._injected(fault("delay", delay_ms))
            await asyncio.sleep(delay_ms / 1000)
        await target.send(raw)
        self.in_scope += 1
        if plan.cut_after and self.in_scope == plan.cut_after:
            self.proxy._injected(fault("cut"))
            self.abort()

    def abort(self) -> None:
        """Drop both TCP connections without a close frame, as a network fault would."""
        self.cut_done = True
        for ws in (self.client, self.upstream):
            if ws.transport is not None:
                ws.transport.abort()

    def manual_cut(self) -> None:
        self.proxy._injected(Fault(self.identity, self.number, self.frames, "both", None, None, "manual_cut"))
        self.abort()


@dataclass
class _Pending:
    upstream: ClientConnection | None = None


class FaultProxy:
    def __init__(
        self,
        upstream: str,
        plan: FaultPlan | None = None,
        on_fault: Callable[[Fault], None] | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        """`upstream`: the CSMS's base URL (ws://host:port[/prefix]); each charger's request path is
        appended to it. `on_fault` sees every fault as it is injected."""
        self.upstream_url = upstream.rstrip("/")
        self.plan = plan or FaultPlan()
        self.on_fault = on_fault
        self.connect_timeout = connect_timeout
        self.log: list[Fault] = []
        self.connects: dict[str, int] = {}  # connections made through the proxy, per identity
        self.refused = 0  # handshakes refused while unreachable or because the CSMS refused them
        self.links: dict[str, _Link] = {}  # the open connection of each identity
        self.is_reachable = True
        self.port = 0
        self._server: Server | None = None
        self._pending: dict[ServerConnection, _Pending] = {}
        self._changed = asyncio.Event()

    # --- lifecycle ------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = await websockets.serve(
            self._handle,
            host,
            port,
            process_request=self._open_upstream,
            process_response=self._handshake_done,
            select_subprotocol=self._select_subprotocol,
            compression=None,
            ping_interval=None,
            max_size=None,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def url(self, path: str = "ocpp") -> str:
        """The base URL chargers use in place of the CSMS's: ws://127.0.0.1:<port>/<path>."""
        return f"ws://127.0.0.1:{self.port}/{path.strip('/')}".rstrip("/")

    async def stop(self) -> None:
        for link in list(self.links.values()):
            link.abort()
        for pending in self._pending.values():
            if pending.upstream is not None:
                pending.upstream.transport.abort()
        self._pending.clear()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    # --- handshake: the CSMS decides, the charger gets its answer -----------------------------------

    async def _open_upstream(self, client: ServerConnection, request: Request) -> Response | None:
        pending = self._pending[client] = _Pending()
        if not self.is_reachable:
            return self._refuse(client, HTTPStatus.SERVICE_UNAVAILABLE, "CSMS unreachable (fault proxy)")
        offered = [
            Subprotocol(p.strip())
            for value in request.headers.get_all("Sec-WebSocket-Protocol")
            for p in value.split(",")
            if p.strip()
        ]
        headers = {}
        if "Authorization" in request.headers:
            headers["Authorization"] = request.headers["Authorization"]
        try:
            pending.upstream = await websockets.connect(
                self.upstream_url + request.path,
                subprotocols=offered or None,
                additional_headers=headers,
                compression=None,
                open_timeout=self.connect_timeout,
                ping_interval=None,
                max_size=None,
                proxy=None,
            )
        except InvalidStatus as error:
            status = error.response.status_code
            return self._refuse(client, status, f"CSMS refused the connection ({status})")
        except (OSError, InvalidHandshake, TimeoutError) as error:
            return self._refuse(client, HTTPStatus.BAD_GATEWAY, f"CSMS not reachable: {error}")
        return None

    def _refuse(self, client: ServerConnection, status: int, text: str) -> Response:
        self.refused += 1
        self._notify()
        return client.respond(status, text + "\n")

    def _select_subprotocol(
        self, client: ServerConnection, offered: list[Subprotocol] | Any
    ) -> Subprotocol | None:
        pending = self._pending.get(client)
        chosen = None if pending is None or pending.upstream is None else pending.upstream.subprotocol
        return chosen if chosen in offered else None

    def _handshake_done(self, client: ServerConnection, request: Request, response: Response) -> None:
        if response.status_code != HTTPStatus.SWITCHING_PROTOCOLS:
            pending = self._pending.pop(client, None)
            if pending is not None and pending.upstream is not None:
                pending.upstream.transport.abort()

    async def _handle(self, client: ServerConnection) -> None:
        pending = self._pending.pop(client, None)
        if pending is None or pending.upstream is None:
            return
        identity = identity_of(client.request.path if client.request else "")
        number = self.connects[identity] = self.connects.get(identity, 0) + 1
        link = _Link(self, identity, number, client, pending.upstream)
        self.links[identity] = link
        self._notify()
        try:
            await link.run()
        finally:
            if self.links.get(identity) is link:
                del self.links[identity]
            self._notify()

    # --- faults ----------------------------------------------------------------------------------------

    def _injected(self, fault: Fault) -> None:
        self.log.append(fault)
        log.info("fault: %s", fault)
        if self.on_fault is not None:
            self.on_fault(fault)
        self._notify()

    def faults(self, identity: str | None = None, kinds: Iterable[str] | None = None) -> list[Fault]:
        wanted = None if kinds is None else set(kinds)
        return [
            f
            for f in self.log
            if (identity is None or f.identity == identity) and (wanted is None or f.kind in wanted)
        ]

    def cut(self, identity: str | None = None) -> int:
        """Cut the open connection of one charger (or of every charger) now; how many were cut."""
        links = [self.links[identity]] if identity in self.links else []
        if identity is None:
            links = list(self.links.values())
        for link in links:
            link.manual_cut()
        return len(links)

    def unreachable(self, cut: bool = True) -> None:
        """Refuse new handshakes (HTTP 503) as if the CSMS were down; by default cut open connections."""
        self.is_reachable = False
        if cut:
            self.cut()

    def reachable(self) -> None:
        self.is_reachable = True

    # --- waiting (tests) --------------------------------------------------------------------------------

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_for(self, condition: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `condition()` is truthy (re-checked on each connection change and fault)."""

        async def until() -> Any:
            while not (result := condition()):
                await self._changed.wait()
            return result

        return await asyncio.wait_for(until(), timeout)


async def serve_forever(
    host: str,
    port: int,
    upstream: str,
    plan: FaultPlan,
    on_fault: Callable[[Fault], None] | None = None,
    on_ready: Callable[[FaultProxy], None] | None = None,
) -> None:
    """Run a proxy until cancelled; `on_ready` is called once it listens."""
    proxy = FaultProxy(upstream, plan, on_fault)
    await proxy.start(host, port)
    log.info("fault proxy on ws://%s:%d → %s (seed %d)", host, proxy.port, upstream, plan.seed)
    if on_ready is not None:
        on_ready(proxy)
    try:
        await asyncio.Future()
    finally:
        await proxy.stop()

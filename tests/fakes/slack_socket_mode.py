"""Socket Mode for the tests' Slack stand-in: apps.connections.open tickets and the WebSocket link, and
(when a test asks for it) Slack's redelivery of an Events API envelope the app did not acknowledge."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid

from aiohttp import WSMsgType, web


class SocketMode:
    """Mixed into ScriptedSlack: hands queued envelopes to the newest connection and records acks."""

    def _init_socket_mode(self) -> None:
        self.socket_envelopes: asyncio.Queue[dict] = asyncio.Queue()
        self.socket_sent: list[dict] = []
        self.socket_acks: list[dict] = []
        self._socket_tickets: set[str] = set()
        self._sockets: set[web.WebSocketResponse] = set()
        self.sockets_opened = 0  # every connection ever made (a reconnect is the next one)
        self._newest_socket: web.WebSocketResponse | None = None
        self._app_level_api["apps.connections.open"] = self._connections_open
        # Slack sends an unacknowledged Events API envelope again (retry_attempt 1, 2, 3) after about
        # 0 s, 1 min and 5 min; a test sets the waits it can afford, or None for no redelivery
        self.socket_retry_waits: tuple[float, ...] | None = None
        self._redeliveries: set[asyncio.Task] = set()

    def _app(self) -> web.Application:
        app = super()._app()  # type: ignore[misc]
        app.router.add_get("/link/", self._handle_socket)
        return app

    async def stop(self) -> None:
        for task in list(self._redeliveries):
            task.cancel()
        for ws in list(self._sockets):
            await ws.close()
        await super().stop()  # type: ignore[misc]

    async def send_socket_envelope(self, envelope: dict) -> None:
        await self.socket_envelopes.put(envelope)

    async def disconnect_sockets(self, reason: str = "refresh_requested") -> None:
        """Ask every connected Socket Mode client to reconnect, as Slack does before rotating hosts."""
        frame = {"type": "disconnect", "reason": reason, "debug_info": {"host": "standin"}}
        for ws in list(self._sockets):
            await ws.send_json(frame)

    @property
    def socket_connections(self) -> int:
        return len(self._sockets)

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") not in self._socket_tickets:
            return web.Response(status=401, text="invalid ticket")
        self._socket_tickets.discard(request.query["ticket"])
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        self._newest_socket = ws
        self.sockets_opened += 1
        hello = {
            "type": "hello",
            "num_connections": len(self._sockets),
            "connection_info": {"app_id": self.app_id},
        }
        await ws.send_json({**hello, "debug_info": {"host": "standin", "approximate_connection_time": 18060}})
        forwarder = asyncio.create_task(self._forward_envelopes(ws))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    data = json.loads(msg.data)
                    if "envelope_id" in data:
                        self.socket_acks.append(data)
        finally:
            forwarder.cancel()
            await asyncio.gather(forwarder, return_exceptions=True)
            self._sockets.discard(ws)
        return ws

    async def _forward_envelopes(self, ws: web.WebSocketResponse) -> None:
        # Only the newest connection delivers, so nothing is lost to a socket the client is replacing.
        while not ws.closed:
            envelope = await self.socket_envelopes.get()
            if ws is not self._newest_socket:
                self.socket_envelopes.put_nowait(envelope)
                return
            try:
                await ws.send_json(envelope)
            except BaseException:
                self.socket_envelopes.put_nowait(envelope)  # keep it for the next connection
                raise
            self.socket_sent.append(envelope)
            if envelope.get("type") == "events_api" and self.socket_retry_waits is not None:
                task = asyncio.create_task(self._redeliver_unacked(envelope))
                self._redeliveries.add(task)
                task.add_done_callback(self._redeliveries.discard)

    def socket_acked(self, envelope: dict) -> bool:
        return any(a["envelope_id"] == envelope["envelope_id"] for a in self.socket_acks)

    async def _redeliver_unacked(self, envelope: dict) -> None:
        attempt = envelope.get("retry_attempt") or 0
        waits = self.socket_retry_waits or ()
        if attempt >= len(waits):
            return  # Slack gives up after its last retry
        await asyncio.sleep(waits[attempt])
        if not self.socket_acked(envelope):
            retry = {**envelope, "envelope_id": str(uuid.uuid4()), "retry_attempt": attempt + 1}
            await self.send_socket_envelope({**retry, "retry_reason": "timeout"})

    def _connections_open(self, token: str) -> dict:
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        ticket = secrets.token_hex(8)
        self._socket_tickets.add(ticket)
        ws_url = self.base_url.replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{ws_url}/link/?ticket={ticket}&app_id={self.app_id}"}

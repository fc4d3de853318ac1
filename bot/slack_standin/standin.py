"""An in-process stand-in of the Slack Web API, file hosting and Socket Mode, recording every call.

Used by `dailies try` (no workspace needed) and by the tests; response shapes follow Slack's own examples.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import mimetypes
import secrets
import shutil
import string
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

JSON_TYPE = "application/json;charset=utf-8"
# Values that Slack clients send as JSON strings inside form or query parameters.
_JSON_PARAMS = ("files", "blocks", "attachments", "view", "metadata")
_LOGIN_PAGE = "<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>"
_TS_BASE = 1732500000
DEFAULT_SCOPES = tuple(
    "app_mentions:read channels:history chat:write chat:write.public commands files:read files:write"
    " groups:history im:history mpim:history reactions:read reactions:write users:read".split()
)


@dataclass
class Call:
    """One request the stand-in received."""

    method: str
    params: dict
    http_method: str
    content_type: str
    auth: str | None
    at: float
    body_size: int


@dataclass
class StoredFile:
    """A file held on disk: uploaded by the bot through an upload URL, or added by a test as a user's file."""

    file_id: str
    name: str
    title: str
    mimetype: str
    declared_length: int
    path: Path | None = None
    size: int = 0
    sha256: str = ""
    user: str = ""
    completed: bool = False
    shares: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class _Answer:
    status: int
    body: dict | str
    headers: dict[str, str]


def _random_id(prefix: str, length: int = 10) -> str:
    return prefix + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def _ts_key(ts: str) -> tuple[int, ...]:
    return tuple(int(part) for part in ts.split("."))


def _normalise(params: dict[str, Any]) -> dict[str, Any]:
    for name in _JSON_PARAMS:
        value = params.get(name)
        if isinstance(value, str) and value[:1] in "[{":
            try:
                params[name] = json.loads(value)
            except ValueError:
                pass  # left as sent; the method answers invalid_arguments where it matters
    return params


def _failure(status: int, body: dict | None, headers: dict | None) -> _Answer:
    headers = dict(headers or {})
    if status == 429:
        headers.setdefault("Retry-After", "1")
        return _Answer(status, body or {"ok": False, "error": "ratelimited"}, headers)
    if status >= 500 and body is None:
        return _Answer(status, "<html><body>Slack is having trouble</body></html>", headers)
    return _Answer(status, body or {"ok": False, "error": "fatal_error"}, headers)


class SlackStandIn:
    """Serve the Slack Web API on 127.0.0.1 in the current event loop; tests read `calls` and the stores."""

    def __init__(
        self,
        *,
        team_id: str = "T0DAILIES",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        token_prefix: str = "xoxb-",
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
        app_id: str = "A0DAILIES",
    ) -> None:
        self.team_id, self.bot_user_id, self.bot_id, self.app_id = team_id, bot_user_id, bot_id, app_id
        self.token_prefix, self.scopes = token_prefix, tuple(scopes)
        self.base_url = self.api_url = ""
        self.offline = False
        self.offline_attempts = 0  # /api/ calls dropped while offline
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict]] = {}
        self.ephemerals: list[dict] = []
        self.responses: list[dict] = []
        self.views: dict[str, dict] = {}
        self.files: dict[str, StoredFile] = {}
        self.socket_envelopes: asyncio.Queue[dict] = asyncio.Queue()
        self.socket_sent: list[dict] = []
        self.socket_acks: list[dict] = []
        self._reactions: dict[tuple[str, str], dict[str, list[str]]] = {}
        self._answers: dict[str, list[_Answer]] = {}
        self._upload_tickets: dict[str, str] = {}  # upload URL token -> file id
        self._socket_tickets: set[str] = set()
        self._sockets: set[web.WebSocketResponse] = set()
        self._newest_socket: web.WebSocketResponse | None = None
        self._ts_counter = itertools.count(1)
        self._tmp: Path | None = None
        self._runner: web.AppRunner | None = None
        self._api = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "files.info": self._files_info,
            "users.info": self._users_info,
            "conversations.replies": self._replies,
            "views.publish": self._views_publish,
        }

    # ---- lifecycle -------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/v1/{token}", self._handle_upload)
        app.router.add_get("/files-pri/{team_file}/{rest:.*}", self._handle_download)
        app.router.add_post("/response/{rest:.*}", self._handle_response_url)
        app.router.add_get("/link/", self._handle_socket)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://{host}:{bound}"
        self.api_url = f"{self.base_url}/api/"
        return self.api_url

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # ---- what tests and `dailies try` read -----------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def count(self, method: str) -> int:
        return len(self.calls_to(method))

    def summary(self) -> str:
        lines = [f"{c.http_method} {c.method} {json.dumps(c.params, default=str)[:200]}" for c in self.calls]
        return "\n".join(lines[-40:]) or "(no calls)"

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() >= deadline:
                raise AssertionError(f"condition not met within {timeout}s; calls so far:\n{self.summary()}")
            await asyncio.sleep(0.02)

    async def wait_for_count(self, method: str, n: int, timeout: float = 10.0) -> None:
        await self.wait_for(lambda: self.count(method) >= n, timeout)

    def message(self, channel: str, ts: str) -> dict | None:
        return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    def thread(self, channel: str, thread_ts: str) -> list[dict]:
        return [
            m
            for m in self.messages.get(channel, [])
            if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts
        ]

    def reactions(self, channel: str, ts: str) -> dict[str, list[str]]:
        return self._reactions.get((channel, ts), {})

    @property
    def uploads(self) -> dict[str, StoredFile]:
        return {fid: f for fid, f in self.files.items() if f.user == self.bot_user_id and f.path is not None}

    def upload_path(self, file_id: str) -> Path:
        path = self.files[file_id].path
        if path is None:
            raise KeyError(f"{file_id} was never uploaded")
        return path

    def response_url(self, channel: str = "C0CHANNEL") -> str:
        return f"{self.base_url}/response/{channel}/{secrets.token_hex(6)}"

    def transcript(self, channel: str) -> list[str]:
        """What the channel shows, oldest first: top-level posts, each followed by its thread."""
        entries: list[tuple[str, str]] = []
        threads: dict[str, list[dict]] = {}
        for m in self.messages.get(channel, []):
            root = m.get("thread_ts")
            if root and root != m["ts"]:
                threads.setdefault(root, []).append(m)
            else:
                who = "card" if m.get("bot_id") == self.bot_id else m.get("user", "?")
                entries.append((m["ts"], f"[{who} {m['ts']}] {m.get('text', '')}{self._reaction_note(m)}"))
        for e in self.ephemerals:
            if e["channel"] == channel:
                entries.append((e["message_ts"], f"[only {e['user']} sees] {e.get('text', '')}"))
        for r in self.responses:
            if r["channel"] == channel:
                entries.append((r["ts"], f"[reply to command] {r['body'].get('text', '')}"))
        for root in threads:
            if self.message(channel, root) is None:
                entries.append((root, f"[thread {root}]"))
        lines: list[str] = []
        for ts, line in sorted(entries, key=lambda e: _ts_key(e[0])):
            lines.append(line)
            for reply in threads.get(ts, []):
                files = ", ".join(f["id"] for f in reply.get("files", []))
                lines.append(f"  ↳ [thread] {reply.get('text', '')}" + (f" (file {files})" if files else ""))
        return lines

    def _reaction_note(self, message: dict) -> str:
        names = self.reactions(message.get("channel", ""), message["ts"])
        return (" " + " ".join(f":{n}:" for n in names)) if names else ""

    # ---- what tests arrange -----------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        body: dict | None = None,
        headers: dict | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls to `method` with this instead of the real behaviour."""
        self._answers.setdefault(method, []).extend(_failure(status, body, headers) for _ in range(times))

    def add_message(
        self, channel: str, text: str, *, user: str, thread_ts: str | None = None, files: list | None = None
    ) -> dict:
        """A message a person posted (so conversations.replies and reactions can see it)."""
        message = {"type": "message", "user": user, "text": text, "team": self.team_id}
        if files:
            message.update(subtype="file_share", files=files, upload=False)
        return self._store(channel, message, thread_ts)

    def add_file(
        self,
        file_id: str,
        content: bytes,
        *,
        name: str = "image.png",
        mimetype: str = "image/png",
        user="U0ALICE",
    ) -> dict:
        """A user's file hosted here; its url_private_download needs the bot token, as on Slack."""
        path = self._dir() / file_id
        path.write_bytes(content)
        stored = StoredFile(file_id, name, name, mimetype, len(content), path, len(content), user=user)
        stored.sha256, stored.completed = hashlib.sha256(content).hexdigest(), True
        self.files[file_id] = stored
        return self.file_object(file_id)

    def file_object(self, file_id: str) -> dict:
        f = self.files[file_id]
        private = f"{self.base_url}/files-pri/{self.team_id}-{f.file_id}/{f.name}"
        now = int(time.time())
        obj = {
            "id": f.file_id, "created": now, "timestamp": now, "name": f.name, "title": f.title,
            "mimetype": f.mimetype, "filetype": Path(f.name).suffix.lstrip(".").lower(),
            "pretty_type": Path(f.name).suffix.lstrip(".").upper(), "user": f.user, "editable": False,
            "size": f.size, "mode": "hosted", "is_external": False, "external_type": "", "is_public": False,
            "public_url_shared": False, "display_as_bot": False, "username": "",
            "url_private": private,
            "url_private_download": f"{self.base_url}/files-pri/{self.team_id}-{f.file_id}/download/{f.name}",
            "permalink": f"{self.base_url}/files/{f.user}/{f.file_id}/{f.name}",
            "has_rich_preview": False,
        }  # fmt: skip
        if f.shares:
            obj["shares"] = {"public": f.shares}
            obj["channels"] = list(f.shares)
        return obj

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

    # ---- storage helpers --------------------------------------------------------------------------------

    def _dir(self) -> Path:
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="dailies-slack-"))
        return self._tmp

    def _next_ts(self) -> str:
        micros = next(self._ts_counter) * 100
        return f"{_TS_BASE + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _store(self, channel: str, message: dict, thread_ts: str | None) -> dict:
        message.update(ts=self._next_ts(), channel=channel)
        if thread_ts:
            message["thread_ts"] = thread_ts
            parent = self.message(channel, thread_ts)
            if parent is not None:
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = message["ts"]
                message["parent_user_id"] = parent.get("user", "")
        self.messages.setdefault(channel, []).append(message)
        return message

    def _bot_message(self, params: dict) -> dict:
        message = {
            "type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "app_id": self.app_id,
            "text": params.get("text", ""), "team": self.team_id, "bot_profile": self._bot_profile(),
        }  # fmt: skip
        if params.get("blocks") is not None:
            message["blocks"] = params["blocks"]
        return message

    def _bot_profile(self) -> dict:
        return {"id": self.bot_id, "name": "Dailies", "app_id": self.app_id, "team_id": self.team_id}

    # ---- HTTP handlers ----------------------------------------------------------------------------------

    async def _record(self, request: web.Request, method: str, params: dict, body_size: int) -> None:
        self.calls.append(
            Call(
                method=method,
                params=params,
                http_method=request.method,
                content_type=request.content_type,
                auth=request.headers.get("Authorization"),
                at=time.monotonic(),
                body_size=body_size,
            )
        )

    def _queued(self, method: str) -> web.Response | None:
        queue = self._answers.get(method)
        if not queue:
            return None
        answer = queue.pop(0)
        if isinstance(answer.body, str):
            return web.Response(
                status=answer.status, text=answer.body, content_type="text/html", headers=answer.headers
            )
        return self._json(answer.body, answer.headers, status=answer.status)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if self.offline:
            # Slack unreachable: the connection drops without an answer, as with a reset.
            self.offline_attempts += 1
            request.transport.abort()  # type: ignore[union-attr]
            raise asyncio.CancelledError
        raw = await request.read()
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json" and raw:
            params.update(json.loads(raw))
        elif request.content_type == "application/x-www-form-urlencoded":
            params.update(parse_qsl(raw.decode(), keep_blank_values=True))
        elif request.content_type == "multipart/form-data":
            params.update((k, v) for k, v in (await request.post()).items() if isinstance(v, str))
        method = request.match_info["method"]
        _normalise(params)
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip() or params.get(
            "token"
        )
        params.pop("token", None)
        await self._record(request, method, params, len(raw))
        queued = self._queued(method)
        if queued is not None:
            return queued
        if method == "apps.connections.open":
            return self._json(self._connections_open(token or ""))
        if method not in self._api:
            return self._json({"ok": False, "error": "unknown_method"})
        if not token:
            return self._json({"ok": False, "error": "not_authed"})
        if token.startswith("xapp-"):
            return self._json({"ok": False, "error": "not_allowed_token_type"})
        if not token.startswith(self.token_prefix):
            return self._json({"ok": False, "error": "invalid_auth"})
        result = self._api[method](params)
        headers = {"x-oauth-scopes": ",".join(self.scopes)} if method == "auth.test" else None
        return self._json(result, headers)

    @staticmethod
    def _json(body: dict, headers: dict | None = None, status: int = 200) -> web.Response:
        headers = {"Content-Type": JSON_TYPE, **(headers or {})}
        return web.Response(status=status, text=json.dumps(body), content_type=None, headers=headers)

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        file_id = self._upload_tickets.get(request.match_info["token"])
        params = {**request.query, "file_id": file_id}
        queued = self._queued("upload")
        stored = self.files.get(file_id or "")
        if queued is None and stored is None:
            await self._record(request, "upload", params, 0)
            return web.Response(status=404, text="Not Found", content_type="text/plain")
        if queued is None and stored is not None and stored.path is not None:
            await self._record(request, "upload", params, 0)
            return web.Response(status=400, text="upload already received", content_type="text/plain")
        size, digest = await self._stream_to_disk(request, file_id or "rejected")
        await self._record(request, "upload", params, size)
        if queued is not None:
            return queued
        assert stored is not None
        if size != stored.declared_length:
            return web.Response(status=400, text=f"length {size} != declared {stored.declared_length}")
        stored.path, stored.size, stored.sha256 = self._dir() / stored.file_id, size, digest
        return web.Response(text=f"OK - {size}", content_type="text/plain")

    async def _stream_to_disk(self, request: web.Request, file_id: str) -> tuple[int, str]:
        """Write the body (raw bytes, or the first file part of a multipart form) to disk in chunks."""
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            part = await reader.next()
            while part is not None and not getattr(part, "filename", None):
                part = await reader.next()
            chunks = part.read_chunk if part is not None else None  # type: ignore[union-attr]
        else:
            chunks = request.content.read
        digest, size = hashlib.sha256(), 0
        with open(self._dir() / file_id, "wb") as out:
            while chunks is not None and (chunk := await chunks(256 * 1024)):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        return size, digest.hexdigest()

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["team_file"].rpartition("-")[2]
        auth = request.headers.get("Authorization", "")
        await self._record(request, "files.download", {"file": file_id, "path": request.path}, 0)
        queued = self._queued("files.download")
        if queued is not None:
            return queued
        if not auth.startswith(f"Bearer {self.token_prefix}"):
            return web.Response(text=_LOGIN_PAGE, content_type="text/html")
        stored = self.files.get(file_id)
        if stored is None or stored.path is None:
            return web.Response(status=404, text="file not found", content_type="text/plain")
        return web.FileResponse(stored.path, headers={"Content-Type": stored.mimetype})

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else {}
        await self._record(request, "response_url", {**body, "path": request.path}, len(raw))
        queued = self._queued("response_url")
        if queued is not None:
            return queued
        channel = request.match_info["rest"].split("/")[0]
        self.responses.append({"channel": channel, "path": request.path, "body": body, "ts": self._next_ts()})
        return web.Response(text="ok", content_type="text/plain")

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") not in self._socket_tickets:
            return web.Response(status=401, text="invalid ticket")
        self._socket_tickets.discard(request.query["ticket"])
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        self._newest_socket = ws
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

    # ---- Web API methods --------------------------------------------------------------------------------

    def _auth_test(self, params: dict) -> dict:
        return {
            "ok": True, "url": "https://dailies-standin.slack.com/", "team": "Dailies Stand-in",
            "user": "dailies", "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }  # fmt: skip

    def _connections_open(self, token: str) -> dict:
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        ticket = secrets.token_hex(8)
        self._socket_tickets.add(ticket)
        ws_url = self.base_url.replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{ws_url}/link/?ticket={ticket}&app_id={self.app_id}"}

    def _post_message(self, params: dict) -> dict:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            return {"ok": False, "error": "no_text"}
        message = self._store(channel, self._bot_message(params), params.get("thread_ts"))
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": _public(message)}

    def _update(self, params: dict) -> dict:
        channel, ts = params.get("channel", ""), params.get("ts", "")
        message = self.message(channel, ts)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if message.get("bot_id") != self.bot_id:
            return {"ok": False, "error": "cant_update_message"}
        # Slack keeps the previous text or blocks when the update leaves that field out.
        if "text" in params:
            message["text"] = params["text"]
        if params.get("blocks") is not None:
            message["blocks"] = params["blocks"]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message["text"],
            "message": _public(message),
        }

    def _post_ephemeral(self, params: dict) -> dict:
        if not params.get("channel") or not params.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        ts = self._next_ts()
        keys = ("channel", "user", "text", "blocks", "thread_ts")
        self.ephemerals.append({**{k: params.get(k) for k in keys}, "message_ts": ts})
        return {"ok": True, "message_ts": ts}

    def _reactions_add(self, params: dict) -> dict:
        name, key = params.get("name", ""), (params.get("channel", ""), params.get("timestamp", ""))
        if not name or not all(key):
            return {"ok": False, "error": "invalid_arguments" if all(key) else "message_not_found"}
        users = self._reactions.setdefault(key, {}).setdefault(name, [])
        if self.bot_user_id in users:
            return {"ok": False, "error": "already_reacted"}
        users.append(self.bot_user_id)
        return {"ok": True}

    def _reactions_remove(self, params: dict) -> dict:
        key = (params.get("channel", ""), params.get("timestamp", ""))
        users = self._reactions.get(key, {}).get(params.get("name", ""), [])
        if self.bot_user_id not in users:
            return {"ok": False, "error": "no_reaction"}
        users.remove(self.bot_user_id)
        self._reactions[key] = {n: u for n, u in self._reactions[key].items() if u}
        return {"ok": True}

    def _get_upload_url(self, params: dict) -> dict:
        filename, length = params.get("filename"), str(params.get("length", ""))
        if not filename or not length.isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id, ticket = _random_id("F"), secrets.token_urlsafe(12)
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        self.files[file_id] = StoredFile(
            file_id, filename, filename, mimetype, int(length), user=self.bot_user_id
        )
        self._upload_tickets[ticket] = file_id
        return {"ok": True, "upload_url": f"{self.base_url}/upload/v1/{ticket}", "file_id": file_id}

    def _complete_upload(self, params: dict) -> dict:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            return {"ok": False, "error": "invalid_arguments"}
        for entry in entries:
            stored = self.files.get(entry.get("id", ""))
            if stored is None or stored.path is None or stored.user != self.bot_user_id:
                return {"ok": False, "error": "file_not_found"}
            if stored.completed:
                return {"ok": False, "error": "upload_already_completed"}
        channels = params.get("channels") or ""
        channel = (
            params.get("channel_id") or (channels.split(",") if isinstance(channels, str) else channels)[0]
        )
        thread_ts = params.get("thread_ts")
        if thread_ts and not channel:
            return {"ok": False, "error": "invalid_arguments"}
        for entry in entries:
            stored = self.files[entry["id"]]
            stored.completed, stored.title = True, entry.get("title") or stored.name
        if channel:
            message = {**self._bot_message({"text": params.get("initial_comment", "")}), "upload": True}
            message.update(subtype="file_share", files=[])
            message = self._store(channel, message, thread_ts)
            share = {"ts": message["ts"], "channel_name": channel, "team_id": self.team_id}
            for entry in entries:
                self.files[entry["id"]].shares[channel] = [
                    {**share, **({"thread_ts": thread_ts} if thread_ts else {})}
                ]
                message["files"].append(self.file_object(entry["id"]))
        return {"ok": True, "files": [{"id": e["id"], "title": self.files[e["id"]].title} for e in entries]}

    def _files_info(self, params: dict) -> dict:
        if params.get("file") not in self.files:
            return {"ok": False, "error": "file_not_found"}
        meta = {"next_cursor": ""}
        return {
            "ok": True,
            "file": self.file_object(params["file"]),
            "comments": [],
            "response_metadata": meta,
        }

    def _users_info(self, params: dict) -> dict:
        user = params.get("user", "")
        if not (user[:1] in ("U", "W") and user[1:].isalnum()):
            return {"ok": False, "error": "user_not_found"}
        name = "dailies" if user == self.bot_user_id else user.lower()
        profile = {"real_name": name.title(), "display_name": name, "team": self.team_id}
        return {
            "ok": True,
            "user": {
                "id": user, "team_id": self.team_id, "name": name, "deleted": False,
                "real_name": name.title(), "tz": "Europe/London", "tz_label": "Greenwich Mean Time",
                "tz_offset": 0, "profile": profile, "is_admin": False, "is_owner": False,
                "is_bot": user == self.bot_user_id, "is_app_user": False,
            },
        }  # fmt: skip

    def _replies(self, params: dict) -> dict:
        channel, ts = params.get("channel", ""), params.get("ts", "")
        anchor = self.message(channel, ts)
        root = (anchor or {}).get("thread_ts") or ts
        parent = self.message(channel, root)
        thread = ([parent] if parent else []) + self.thread(channel, root)
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        messages = [_public(m) for m in thread]
        return {"ok": True, "messages": messages, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _views_publish(self, params: dict) -> dict:
        user, view = params.get("user_id", ""), params.get("view")
        if not user or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        previous = self.views.get(user)
        if params.get("hash") and previous and params["hash"] != previous["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        stored = {
            "id": (previous or {}).get("id") or _random_id("V"), "team_id": self.team_id, "type": "home",
            "blocks": [], "private_metadata": "", "callback_id": "", "state": {"values": {}},
            "external_id": "", "app_id": self.app_id, "bot_id": self.bot_id, **view,
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        }  # fmt: skip
        self.views[user] = stored
        return {"ok": True, "view": stored}


def _public(message: dict) -> dict:
    """The message as the API returns it (the stand-in keeps `channel` on stored messages for itself)."""
    return {k: v for k, v in message.items() if k != "channel"}

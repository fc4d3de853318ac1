"""An in-process stand-in of the Slack Web API and its file hosting, recording every call.

What `dailies try` needs to run without a workspace (the tests extend it with faults, Socket Mode,
modals and workflow steps);
response shapes follow Slack's own examples.
"""

from __future__ import annotations

import itertools
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from bot.tools.slack_standin.files import FileHosting
from bot.tools.slack_standin.records import _TS_BASE, DEFAULT_SCOPES, Call, StoredFile, _ts_key
from bot.tools.slack_standin.web_api import WebApi


class SlackStandIn(WebApi, FileHosting):
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
        ts_base: int = _TS_BASE,
    ) -> None:
        # message timestamps count up from ts_base; `dailies try` starts from now, because its
        # database outlives the stand-in and a card's (channel, ts) must stay unique
        self.ts_base = ts_base
        self.team_id, self.bot_user_id, self.bot_id, self.app_id = team_id, bot_user_id, bot_id, app_id
        self.token_prefix, self.scopes = token_prefix, tuple(scopes)
        self.base_url = self.api_url = ""
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict]] = {}
        self.ephemerals: list[dict] = []
        self.responses: list[dict] = []
        self.files: dict[str, StoredFile] = {}
        self._reactions: dict[tuple[str, str], dict[str, list[str]]] = {}
        # (channel, thread_ts) -> (status, monotonic time set): a thread's status line
        self._statuses: dict[tuple[str, str], tuple[str, float]] = {}
        self.suggested_prompts: dict[str, dict] = {}  # DM channel -> the prompts pinned in it
        self._upload_tickets: dict[str, str] = {}  # upload URL token -> file id
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
            "conversations.history": self._history,
            "chat.getPermalink": self._get_permalink,
            "assistant.threads.setStatus": self._set_status,
            "assistant.threads.setSuggestedPrompts": self._set_suggested_prompts,
        }
        # methods called with an app-level (xapp-) token rather than the bot token
        self._app_level_api: dict[str, Callable[[str], dict]] = {}
        # methods called with the app's client id and secret (params, Authorization header)
        self._credential_api: dict[str, Callable[[dict, str], dict]] = {}
        self.caller_token = ""  # the token of the call being answered

    # ---- lifecycle -------------------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/v1/{token}", self._handle_upload)
        app.router.add_get("/files-pri/{team_file}/{rest:.*}", self._handle_download)
        app.router.add_post("/response/{rest:.*}", self._handle_response_url)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self._app(), handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://{host}:{bound}"
        self.api_url = f"{self.base_url}/api/"
        return self.api_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # ---- what `dailies try` reads -----------------------------------------------------------------

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

    # ---- storage helpers --------------------------------------------------------------------------------

    def _dir(self) -> Path:
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="dailies-slack-"))
        return self._tmp

    def _next_ts(self) -> str:
        micros = next(self._ts_counter) * 100
        return f"{self.ts_base + micros // 1_000_000}.{micros % 1_000_000:06d}"

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
        if thread_ts and message.get("bot_id") == self.bot_id:
            self._statuses.pop((channel, thread_ts), None)  # the app's reply replaces its status line
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

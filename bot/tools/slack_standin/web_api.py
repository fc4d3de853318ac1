"""The Slack stand-in's Web API: request parsing and dispatch, and the chat, reactions and users methods."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from bot.tools.slack_standin.records import JSON_TYPE, Call, StandInState, _normalise, _public, _ts_key


class WebApi(StandInState):
    """Mixed into SlackStandIn: the /api/{method} endpoint, response_url posts and the methods behind them."""

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

    def _scripted(self, method: str) -> web.Response | None:
        """An answer given instead of the real behaviour: none here; the tests' stand-in scripts failures."""
        return None

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
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
        scripted = self._scripted(method)
        if scripted is not None:
            return scripted
        if method in self._app_level_api:
            return self._json(self._app_level_api[method](token or ""))
        if method in self._credential_api:  # oauth.v2.access: the app's client id and secret
            return self._json(self._credential_api[method](params, request.headers.get("Authorization", "")))
        if method not in self._api:
            return self._json({"ok": False, "error": "unknown_method"})
        refused = self._token_error(token or "")
        if refused:
            return self._json({"ok": False, "error": refused})
        self.caller_token = token or ""
        result = self._api[method](params)
        headers = {"x-oauth-scopes": ",".join(self.scopes)} if method == "auth.test" else None
        return self._json(result, headers)

    def _token_error(self, token: str) -> str | None:
        """Slack's error for a call made with `token`, or None when the token may call methods."""
        if not token:
            return "not_authed"
        if token.startswith("xapp-"):
            return "not_allowed_token_type"
        return None if token.startswith(self.token_prefix) else "invalid_auth"

    @staticmethod
    def _json(body: dict, headers: dict | None = None, status: int = 200) -> web.Response:
        headers = {"Content-Type": JSON_TYPE, **(headers or {})}
        return web.Response(status=status, text=json.dumps(body), content_type=None, headers=headers)

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else {}
        await self._record(request, "response_url", {**body, "path": request.path}, len(raw))
        scripted = self._scripted("response_url")
        if scripted is not None:
            return scripted
        channel = request.match_info["rest"].split("/")[0]
        self.responses.append({"channel": channel, "path": request.path, "body": body, "ts": self._next_ts()})
        return web.Response(text="ok", content_type="text/plain")

    # ---- Web API methods --------------------------------------------------------------------------------

    def _auth_test(self, params: dict) -> dict:
        return {
            "ok": True, "url": "https://dailies-standin.slack.com/", "team": "Dailies Stand-in",
            "user": "dailies", "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }  # fmt: skip

    # ---- assistant.threads.setStatus: a thread's status line -------------------------------------------

    STATUS_SCOPES = ("chat:write", "assistant:write")  # either, for now (Slack's 2026-03-05 change)
    STATUS_SECONDS = 120.0  # a status nobody replies under lapses after two minutes

    def _set_status(self, params: dict) -> dict:
        """As Slack enforces it: a scope, a channel the app can see, a message's ts in it as the
        thread, a `status` (an empty one clears it) and at most 10 loading messages."""
        if not any(scope in self.scopes for scope in self.STATUS_SCOPES):
            return {
                "ok": False,
                "error": "missing_scope",
                "needed": "chat:write",
                "provided": ",".join(self.scopes),
            }
        channel, thread_ts = params.get("channel_id") or "", params.get("thread_ts") or ""
        if not channel or channel not in self.messages:
            return {"ok": False, "error": "channel_not_found", "detail": "Invalid channel_id"}
        if not thread_ts or self.message(channel, thread_ts) is None:
            return {"ok": False, "error": "invalid_thread_ts"}
        status, loading = params.get("status"), params.get("loading_messages")
        if not isinstance(status, str):
            return {"ok": False, "error": "invalid_arguments", "detail": "status is required"}
        if loading is not None and (not isinstance(loading, list) or len(loading) > 10):
            return {"ok": False, "error": "invalid_arguments", "detail": "loading_messages: at most 10"}
        if status:
            self._statuses[(channel, thread_ts)] = (status, time.monotonic())
        else:
            self._statuses.pop((channel, thread_ts), None)
        return {"ok": True}

    def _set_suggested_prompts(self, params: dict) -> dict:
        """assistant:write only; a DM's channel_id and a list of {title, message} prompts (the
        thread is optional under agent messaging)."""
        if "assistant:write" not in self.scopes:
            return {
                "ok": False,
                "error": "missing_scope",
                "needed": "assistant:write",
                "provided": ",".join(self.scopes),
            }
        channel, prompts = params.get("channel_id") or "", params.get("prompts")
        if not channel.startswith("D"):
            return {"ok": False, "error": "channel_not_found", "detail": "Invalid channel_id"}
        if (
            not isinstance(prompts, list)
            or not prompts
            or not all(
                isinstance(p, dict)
                and isinstance(p.get("title"), str)
                and isinstance(p.get("message"), str)
                and p["title"]
                and p["message"]
                for p in prompts
            )
        ):
            return {"ok": False, "error": "invalid_arguments", "detail": "prompts: [{title, message}]"}
        self.suggested_prompts[channel] = {"title": params.get("title", ""), "prompts": prompts}
        return {"ok": True}

    def status(self, channel: str, thread_ts: str) -> str:
        """The thread's status line as people see it now ("" when none, or after two minutes)."""
        status, at = self._statuses.get((channel, thread_ts), ("", 0.0))
        return status if time.monotonic() - at < self.STATUS_SECONDS else ""

    def _post_message(self, params: dict) -> dict:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            return {"ok": False, "error": "no_text"}
        meta = params.get("metadata")
        if meta is not None and not (isinstance(meta, dict) and meta.get("event_type")):
            return {"ok": False, "error": "invalid_metadata_format"}
        message = self._bot_message(params)
        if meta is not None:
            message["metadata"] = meta
        message = self._store(channel, message, params.get("thread_ts"))
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": _public(message)}

    def _history(self, params: dict) -> dict:
        """conversations.history: top-level messages (and broadcasts), newest first, oldest/limit honoured."""
        channel = params.get("channel", "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(params.get("oldest") or 0)
        limit = int(params.get("limit") or 100)
        with_meta = str(params.get("include_all_metadata", "")).lower() in ("true", "1")
        top = [
            m
            for m in self.messages.get(channel, [])
            if (m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast")
            and float(m["ts"]) > oldest
        ]
        newest_first = sorted(top, key=lambda m: _ts_key(m["ts"]), reverse=True)
        return {
            "ok": True,
            "messages": [_public(m, metadata=with_meta) for m in newest_first[:limit]],
            "has_more": len(newest_first) > limit,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

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

    def _get_permalink(self, params: dict) -> dict:
        """chat.getPermalink: the message's link, as Slack answers it (message_not_found otherwise)."""
        channel, ts = params.get("channel", ""), params.get("message_ts", "")
        if channel not in self.messages:
            return {"ok": False, "error": "channel_not_found"}
        if self.message(channel, ts) is None:
            return {"ok": False, "error": "message_not_found"}
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"{self.base_url}/archives/{channel}/p{ts.replace('.', '')}",
        }

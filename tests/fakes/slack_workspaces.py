"""The Slack stand-in as a distributed app sees it: several workspaces, Slack's authorize page and
`oauth.v2.access` (codes and refresh tokens work once, client id and secret checked, rotating
tokens that expire), Sign in with Slack, and every Web API call answered for the workspace its
token belongs to."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from bot.tools.slack_standin.records import _LOGIN_PAGE
from tests.fakes.slack import Call, ScriptedSlack
from tests.fakes.slack_signin import SIGNIN_CLIENT_ID, SIGNIN_CLIENT_SECRET, SignInWithSlack

CLIENT_ID = SIGNIN_CLIENT_ID  # one app: the bot's OAuth and Sign in with Slack share its credentials
CLIENT_SECRET = SIGNIN_CLIENT_SECRET


@dataclass
class Team:
    team_id: str
    name: str
    bot_user_id: str
    bot_id: str
    enterprise_id: str | None = None
    org_wide: bool = False  # an Enterprise Grid org-wide install (team null in oauth.v2.access)


@dataclass
class Token:
    team_id: str
    expires_at: float | None = None  # rotating tokens only
    revoked: bool = False


@dataclass
class Grants:
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (team id, redirect uri)
    tokens: dict[str, Token] = field(default_factory=dict)
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> team id (single use)


class WorkspacesSlack(SignInWithSlack, ScriptedSlack):
    """`approve(team)` makes the next visit to the authorize page come back as that team's admin
    clicking Allow; `rotation_seconds` turns token rotation on (tokens expire after that long);
    `sign_in_as(user, team)` does the same for Sign in with Slack. Without `add_team` it serves the
    one workspace of the bot token, as the plain stand-in does."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.teams: dict[str, Team] = {}
        self.grants = Grants()
        self.rotation_seconds: int | None = None
        self.first_token_seconds: int | None = None  # the first token of an install lives this long
        self.approving: str | None = None
        self.authorize_visits: list[dict] = []
        self._credential_api["oauth.v2.access"] = self._oauth_v2_access
        self._init_sign_in()
        # a file belongs to the workspace whose token uploaded it: another's token neither sees
        # it (files.info) nor downloads it (Slack answers its login page)
        self.file_team: dict[str, str] = {}
        upload_url, info = self._api["files.getUploadURLExternal"], self._api["files.info"]
        self._api["files.getUploadURLExternal"] = lambda params: self._owned(upload_url(params))
        self._api["files.info"] = lambda params: self._if_visible(params, info)

    def _app(self) -> web.Application:
        app = super()._app()
        app.router.add_get("/oauth/v2/authorize", self._authorize_page)
        self._add_sign_in_routes(app)
        return app

    # ---- what tests arrange and read ------------------------------------------------------------

    def add_team(
        self, team_id: str, name: str, *, enterprise_id: str | None = None, org_wide: bool = False
    ) -> Team:
        suffix = team_id[1:]
        team = Team(team_id, name, f"UBOT{suffix}", f"BBOT{suffix}", enterprise_id, org_wide)
        self.teams[team_id] = team
        return team

    def approve(self, team_id: str) -> None:
        self.approving = team_id

    def uninstall(self, team_id: str) -> None:
        """The workspace removed the app: its tokens stop working at once (the event comes after)."""
        for token in self.grants.tokens.values():
            if token.team_id == team_id:
                token.revoked = True
        self.grants.refresh = {r: t for r, t in self.grants.refresh.items() if t != team_id}

    def team_of(self, call: Call) -> str | None:
        token = (call.auth or "").removeprefix("Bearer ").strip()
        grant = self.grants.tokens.get(token)
        return grant.team_id if grant else None

    def calls_for(self, team_id: str, method: str | None = None) -> list[Call]:
        return [
            c for c in self.calls if self.team_of(c) == team_id and (method is None or c.method == method)
        ]

    def refused_calls(self) -> list[Call]:
        """Calls made with a token that was revoked or had expired when it was used."""
        return [c for c in self.calls if c.params.get("_refused")]

    def tokens_of(self, team_id: str) -> list[str]:
        return [t for t, g in self.grants.tokens.items() if g.team_id == team_id]

    # ---- Slack's side of OAuth ------------------------------------------------------------------

    async def _authorize_page(self, request: web.Request) -> web.StreamResponse:
        """Slack's authorize page once the admin clicked Allow: back to the app with a code."""
        query = dict(request.query)
        self.authorize_visits.append(query)
        redirect = query.get("redirect_uri") or self.redirect_url
        if query.get("client_id") != CLIENT_ID or self.approving is None:
            return web.Response(status=400, text="invalid client_id or nobody approving")
        code = secrets.token_hex(12)
        self.grants.codes[code] = (self.approving, redirect)
        target = f"{redirect}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        raise web.HTTPFound(target)

    redirect_url = ""  # the app's configured redirect URL (the manifest's), when the link names none

    def _credentials(self, params: dict, authorization: str) -> tuple[str, str]:
        if authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
            return client_id, secret
        return params.get("client_id", ""), params.get("client_secret", "")

    def _oauth_v2_access(self, params: dict, authorization: str) -> dict:
        client_id, secret = self._credentials(params, authorization)
        if client_id != CLIENT_ID:
            return {"ok": False, "error": "invalid_client_id"}
        if secret != CLIENT_SECRET:
            return {"ok": False, "error": "bad_client_secret"}
        if params.get("grant_type") == "refresh_token":
            team_id = self.grants.refresh.pop(params.get("refresh_token", ""), None)
            if team_id is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            return self._issue(self.teams[team_id], self.rotation_seconds)
        code = self.grants.codes.pop(params.get("code", ""), None)
        if code is None:
            return {"ok": False, "error": "invalid_code"}
        team_id, redirect = code
        if params.get("redirect_uri") and params["redirect_uri"] != redirect:
            return {"ok": False, "error": "bad_redirect_uri"}
        return self._issue(
            self.teams[team_id], self.first_token_seconds or self.rotation_seconds, install=True
        )

    def _issue(self, team: Team, seconds: int | None, *, install: bool = False) -> dict:
        token = f"{self.token_prefix}{team.team_id}-{secrets.token_hex(8)}"
        expires = time.time() + seconds if (seconds and self.rotation_seconds) else None
        self.grants.tokens[token] = Token(team.team_id, expires)
        answer: dict = {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": ",".join(self.scopes),
            "bot_user_id": team.bot_user_id,
            "app_id": self.app_id,
            "team": None if team.org_wide else {"id": team.team_id, "name": team.name},
            "enterprise": {"id": team.enterprise_id, "name": "Org"} if team.enterprise_id else None,
            "is_enterprise_install": team.org_wide,
        }
        if install:
            answer["authed_user"] = {"id": "U0ADMIN"}
        if expires is not None:
            refresh = f"xoxe-1-{secrets.token_hex(10)}"
            self.grants.refresh[refresh] = team.team_id
            answer.update(expires_in=int(seconds), refresh_token=refresh)
        return answer

    # ---- every other method, for the token's workspace -----------------------------------------

    def _caller_team(self, token: str) -> str | None:
        grant = self.grants.tokens.get(token)
        return grant.team_id if grant and not grant.revoked else None

    def _owned(self, answer: dict) -> dict:
        team = self._caller_team(self.caller_token)
        if answer.get("ok") and team:
            self.file_team[answer["file_id"]] = team
        return answer

    def _if_visible(self, params: dict, info) -> dict:
        owner = self.file_team.get(str(params.get("file", "")))
        if owner and owner != self._caller_team(self.caller_token):
            return {"ok": False, "error": "file_not_found"}
        return info(params)

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["team_file"].rpartition("-")[2]
        owner = self.file_team.get(file_id)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if owner and owner != self._caller_team(token):
            await self._record(request, "files.download", {"file": file_id, "refused": "wrong workspace"}, 0)
            return web.Response(text=_LOGIN_PAGE, content_type="text/html")
        return await super()._handle_download(request)

    def _token_error(self, token: str) -> str | None:
        grant = self.grants.tokens.get(token)
        if grant is None:
            return super()._token_error(token) if not self.teams else "invalid_auth"
        if grant.revoked:
            error = "token_revoked"
        elif grant.expires_at is not None and grant.expires_at < time.time():
            error = "token_expired"
        else:
            return None
        if self.calls:
            self.calls[-1].params["_refused"] = error
        return error

    def _auth_test(self, params: dict) -> dict:
        grant = self.grants.tokens.get(self.caller_token)
        if grant is None:
            return super()._auth_test(params)
        team = self.teams[grant.team_id]
        return {
            "ok": True, "url": f"https://{team.name.lower()}.slack.com/", "team": team.name, "user": "dailies",
            "team_id": team.team_id, "user_id": team.bot_user_id, "bot_id": team.bot_id,
            "enterprise_id": team.enterprise_id, "is_enterprise_install": team.org_wide,
        }  # fmt: skip


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(url.split("?", 1)[1])) if "?" in url else {}


@asynccontextmanager
async def running_workspaces() -> AsyncIterator[WorkspacesSlack]:
    standin = WorkspacesSlack()
    await standin.start()
    try:
        yield standin
    finally:
        await standin.stop()

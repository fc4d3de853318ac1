"""Sign in with Slack (OpenID Connect) for the screening room: the redirect to Slack's authorize
page with a single-use state and nonce kept in the database, and the callback that exchanges the
code (`openid.connect.token`), checks the id_token and answers a session cookie."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth import OpenIDConnectAuthorizeUrlGenerator
from slack_sdk.web.async_client import AsyncWebClient

from bot.screening import id_token, sessions
from storage import signin_states
from storage.db import Store

log = logging.getLogger(__name__)
SCOPES = ("openid", "profile")  # user scopes: who the person is, nothing of their workspace's data
STATE_SECONDS = 600  # time to click Allow on Slack's page
START_PATH = "/review-signin"
CALLBACK_PATH = "/review-signin/callback"
STATE_COOKIE = "dailies_signin"  # binds the state to the browser that started the sign-in
JWKS_SECONDS = 3600


class SignInFailed(Exception):
    """The sign-in cannot finish; the message is for the person, in plain words."""


@dataclass(frozen=True)
class SignInSettings:
    client_id: str
    client_secret: str
    api_url: str  # SLACK_API_URL: its host also serves the authorize page and the JWKS, as slack.com does
    public_url: str  # DAILIES_PUBLIC_URL: the redirect URL is under it

    @property
    def redirect_uri(self) -> str:
        return self.public_url.rstrip("/") + CALLBACK_PATH

    @property
    def issuer(self) -> str:
        parts = urlsplit(self.api_url)
        return f"{parts.scheme}://{parts.netloc}"  # https://slack.com

    @property
    def authorize_url(self) -> str:
        return urljoin(self.api_url, "../openid/connect/authorize")

    @property
    def jwks_url(self) -> str:
        return urljoin(self.api_url, "../openid/connect/keys")

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


class SignIn:
    def __init__(self, settings: SignInSettings, store: Store, key: bytes) -> None:
        self.settings = settings
        self.store = store
        self.key = sessions.session_key(key)
        self._jwks: dict[str, Any] = {}
        self._jwks_at = 0.0
        # slack_sdk leaves redirect_uri as given: hand it over already encoded for a query string
        self._urls = OpenIDConnectAuthorizeUrlGenerator(
            client_id=settings.client_id,
            redirect_uri=quote(settings.redirect_uri, safe=""),
            scopes=list(SCOPES),
            authorization_url=settings.authorize_url,
        )

    async def start(self, back_to: str, team_id: str) -> tuple[str, str]:
        """(Slack's authorize URL, the state for the browser's cookie); `back_to` is the room's pass."""
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        expires = time.time() + STATE_SECONDS
        await self.store.run(signin_states.issue, state, nonce, back_to, expires)
        return self._urls.generate(state, nonce=nonce, team=team_id or None), state

    async def finish(self, code: str, state: str, browser_state: str) -> tuple[sessions.Session, str]:
        """The session of the person Slack signed in, and the pass to send them back to."""
        if not state or not secrets.compare_digest(state, browser_state or ""):
            raise SignInFailed("This sign-in was started in another browser or has expired. Start again.")
        pending = await self.store.run(signin_states.consume, state, time.time())
        if pending is None:
            raise SignInFailed("This sign-in link was already used or has expired. Start again.")
        nonce, back_to = pending
        client = AsyncWebClient(base_url=self.settings.api_url)
        try:
            answer = await client.openid_connect_token(
                client_id=self.settings.client_id,
                client_secret=self.settings.client_secret,
                code=code,
                redirect_uri=self.settings.redirect_uri,
                grant_type="authorization_code",
            )
        except SlackApiError as exc:
            log.warning("openid.connect.token refused the code: %s", exc.response.get("error"))
            raise SignInFailed("Slack did not confirm the sign-in. Start again.") from None
        claims = await self._claims(str(answer.get("id_token") or ""), nonce)
        who = id_token.identity(claims) or await self._user_info(str(answer.get("access_token") or ""))
        return sessions.new_session(*who, time.time()), back_to

    async def _claims(self, token: str, nonce: str) -> dict[str, Any]:
        def check(jwks: dict[str, Any]) -> dict[str, Any]:
            issuer, audience = self.settings.issuer, self.settings.client_id
            return id_token.verify(
                token, jwks, issuer=issuer, audience=audience, nonce=nonce, now=time.time()
            )

        try:
            try:
                return check(await self._keys())
            except id_token.UnknownKey:  # Slack rotated its keys since they were fetched
                return check(await self._keys(refresh=True))
        except id_token.TokenRejected as exc:
            log.warning("an id_token from openid.connect.token was rejected: %s", exc)
            raise SignInFailed("Slack's answer could not be verified, so nobody was signed in.") from None

    async def _keys(self, refresh: bool = False) -> dict[str, Any]:
        if refresh or not self._jwks or time.time() - self._jwks_at > JWKS_SECONDS:
            try:
                async with httpx.AsyncClient(timeout=10.0) as http:
                    response = await http.get(self.settings.jwks_url)
                    response.raise_for_status()
                    self._jwks, self._jwks_at = response.json(), time.time()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning(
                    "Slack's signing keys could not be fetched from %s: %s", self.settings.jwks_url, exc
                )
                raise SignInFailed("Slack could not be reached to check the sign-in. Try again.") from None
        return self._jwks

    async def _user_info(self, access_token: str) -> tuple[str, str]:
        """The id_token lacked Slack's team and user claims: ask openid.connect.userInfo."""
        try:
            info = await AsyncWebClient(
                base_url=self.settings.api_url, token=access_token
            ).openid_connect_userInfo()
        except SlackApiError as exc:
            log.warning("openid.connect.userInfo failed: %s", exc.response.get("error"))
            info = None
        who = id_token.identity(info.data if info is not None and isinstance(info.data, dict) else {})
        if who is None:
            raise SignInFailed("Slack did not say which workspace you belong to, so nobody was signed in.")
        return who

    # ---- the session on later requests ----------------------------------------------------------
    def session(self, cookie: str | None) -> sessions.Session | None:
        return sessions.read(self.key, cookie or "", time.time())

    def csrf(self, session: sessions.Session) -> str:
        return sessions.csrf_token(self.key, session)

    def csrf_ok(self, session: sessions.Session, token: str) -> bool:
        return sessions.csrf_ok(self.key, session, token)

    def cookie(self, session: sessions.Session) -> str:
        return sessions.cookie_header(sessions.issue(self.key, session), secure=self.settings.secure_cookies)

    def state_cookie(self, state: str) -> str:
        return sessions.cookie_header(
            state, secure=self.settings.secure_cookies, max_age=STATE_SECONDS, name=STATE_COOKIE
        )

    def clear_state_cookie(self) -> str:
        return sessions.cookie_header("", secure=self.settings.secure_cookies, max_age=0, name=STATE_COOKIE)

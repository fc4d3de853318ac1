"""Sign in with Slack on the stand-in: the OpenID Connect authorize page (approves as the user and
workspace a test chose), `openid.connect.token` (codes work once, client id and secret checked, the
redirect_uri must match) issuing an RS256 id_token with the nonce, the JWKS, and userInfo."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256

SIGNIN_CLIENT_ID = "1111111111.2222222222"
SIGNIN_CLIENT_SECRET = "test-client-secret"
KID = "standin-key-1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass
class SignInGrants:
    approving: tuple[str, str] | None = None  # (user id, team id) who clicks Allow next
    codes: dict[str, dict] = field(default_factory=dict)  # code -> who, redirect_uri, nonce (single use)
    user_tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # xoxp- -> (user, team)
    visits: list[dict] = field(default_factory=list)  # the authorize page's queries
    id_token_seconds: int = 3600
    claims_in_id_token: bool = True  # False: only `sub`, so the app must ask userInfo


class SignInWithSlack:
    """Mix into the stand-in: `sign_in_as(user, team)` makes the next authorize visit come back as
    that person clicking Allow."""

    def _init_sign_in(self) -> None:
        self.signin = SignInGrants()
        self._signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._credential_api["openid.connect.token"] = self._openid_token  # type: ignore[attr-defined]
        self._app_level_api["openid.connect.userInfo"] = self._user_info  # type: ignore[attr-defined]

    def _add_sign_in_routes(self, app: web.Application) -> None:
        app.router.add_get("/openid/connect/authorize", self._openid_authorize)
        app.router.add_get("/openid/connect/keys", self._openid_keys)

    def sign_in_as(self, user_id: str, team_id: str) -> None:
        self.signin.approving = (user_id, team_id)

    def sign_id_token(self, claims: dict, key: rsa.RSAPrivateKey | None = None, kid: str = KID) -> str:
        """An RS256 JWT signed with the stand-in's key (or `key`, to forge one)."""
        header = _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
        body = _b64(json.dumps(claims).encode())
        signature = (key or self._signing_key).sign(f"{header}.{body}".encode(), padding.PKCS1v15(), SHA256())
        return f"{header}.{body}.{_b64(signature)}"

    async def _openid_authorize(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        self.signin.visits.append(query)
        scopes = set(query.get("scope", "").replace(",", " ").split())
        if query.get("client_id") != SIGNIN_CLIENT_ID or "openid" not in scopes:
            return web.Response(status=400, text="invalid client_id or no openid scope")
        if query.get("response_type") != "code" or not query.get("redirect_uri"):
            return web.Response(status=400, text="response_type=code and a redirect_uri are required")
        if self.signin.approving is None:
            target = f"{query['redirect_uri']}?{urlencode({'error': 'access_denied', 'state': query.get('state', '')})}"
            raise web.HTTPFound(target)
        code = secrets.token_hex(12)
        user, team = self.signin.approving
        self.signin.codes[code] = {
            "user": user, "team": team, "redirect_uri": query["redirect_uri"], "nonce": query.get("nonce"),
        }  # fmt: skip
        raise web.HTTPFound(
            f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        )

    async def _openid_keys(self, request: web.Request) -> web.Response:
        numbers = self._signing_key.public_key().public_numbers()
        key = {
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": KID,
            "n": _b64int(numbers.n),
            "e": _b64int(numbers.e),
        }
        return web.json_response({"keys": [key]})

    def _openid_token(self, params: dict, authorization: str) -> dict:
        client_id, secret = self._credentials(params, authorization)  # type: ignore[attr-defined]
        if client_id != SIGNIN_CLIENT_ID:
            return {"ok": False, "error": "invalid_client_id"}
        if secret != SIGNIN_CLIENT_SECRET:
            return {"ok": False, "error": "bad_client_secret"}
        if params.get("grant_type", "authorization_code") != "authorization_code":
            return {"ok": False, "error": "invalid_grant_type"}
        grant = self.signin.codes.pop(params.get("code", ""), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        if params.get("redirect_uri") != grant["redirect_uri"]:
            return {"ok": False, "error": "bad_redirect_uri"}
        now = int(time.time())
        claims = {
            "iss": self.base_url,  # type: ignore[attr-defined]
            "sub": grant["user"],
            "aud": SIGNIN_CLIENT_ID,
            "exp": now + self.signin.id_token_seconds,
            "iat": now,
            "auth_time": now,
        }
        if grant["nonce"] is not None:
            claims["nonce"] = grant["nonce"]
        if self.signin.claims_in_id_token:
            claims.update(
                {"https://slack.com/user_id": grant["user"], "https://slack.com/team_id": grant["team"]}
            )
        access = f"xoxp-{grant['team']}-{secrets.token_hex(8)}"
        self.signin.user_tokens[access] = (grant["user"], grant["team"])
        return {
            "ok": True,
            "access_token": access,
            "token_type": "Bearer",
            "id_token": self.sign_id_token(claims),
        }

    def _user_info(self, token: str) -> dict:
        who = self.signin.user_tokens.get(token)
        if who is None:
            return {"ok": False, "error": "invalid_auth"}
        return {
            "ok": True,
            "sub": who[0],
            "https://slack.com/user_id": who[0],
            "https://slack.com/team_id": who[1],
        }

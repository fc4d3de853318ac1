"""Sign in with Slack's id_token checked (pure): an RS256 JWT whose signature verifies with a key
from Slack's JWKS, issued by Slack, for this app, not expired, carrying the nonce of this sign-in."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers
from cryptography.hazmat.primitives.hashes import SHA256

from bot.screening.signed import unb64

LEEWAY = 60  # seconds of clock difference tolerated on exp and iat
TEAM_CLAIM = "https://slack.com/team_id"
USER_CLAIM = "https://slack.com/user_id"


class TokenRejected(Exception):
    """The id_token is not one to trust; the message says why (for the log, never the token)."""


class UnknownKey(TokenRejected):
    """Signed with a key the JWKS at hand does not hold: fetch the JWKS again once."""


def _part(text: str) -> dict[str, Any]:
    try:
        value = json.loads(unb64(text))
    except (ValueError, TypeError):
        raise TokenRejected("not a JWT") from None
    if not isinstance(value, dict):
        raise TokenRejected("not a JWT")
    return value


def _int(text: str) -> int:
    return int.from_bytes(unb64(text), "big")


def _verify_signature(header: dict, signed: bytes, signature: bytes, jwks: Mapping[str, Any]) -> None:
    if header.get("alg") != "RS256":
        raise TokenRejected(f"algorithm {header.get('alg')!r} is not RS256")
    kid = header.get("kid")
    keys = [k for k in jwks.get("keys", []) if isinstance(k, dict) and k.get("kty") == "RSA"]
    key = next((k for k in keys if kid is None or k.get("kid") == kid), None)
    if key is None:
        raise UnknownKey(f"no key {kid!r} in the JWKS")
    try:
        public = RSAPublicNumbers(_int(key["e"]), _int(key["n"])).public_key()
        public.verify(signature, signed, padding.PKCS1v15(), SHA256())
    except (InvalidSignature, KeyError, ValueError, TypeError):
        raise TokenRejected("the signature does not verify") from None


def verify(
    id_token: str, jwks: Mapping[str, Any], *, issuer: str, audience: str, nonce: str, now: float
) -> dict[str, Any]:
    """The token's claims once signature, issuer, audience, expiry and nonce all check out."""
    pieces = id_token.split(".")
    if len(pieces) != 3:
        raise TokenRejected("not a JWT")
    header, claims = _part(pieces[0]), _part(pieces[1])
    try:
        signature = unb64(pieces[2])
    except (ValueError, TypeError):
        raise TokenRejected("not a JWT") from None
    _verify_signature(header, f"{pieces[0]}.{pieces[1]}".encode(), signature, jwks)
    if claims.get("iss") != issuer:
        raise TokenRejected(f"issuer {claims.get('iss')!r} is not {issuer!r}")
    audiences = claims.get("aud")
    if audience not in (audiences if isinstance(audiences, list) else [audiences]):
        raise TokenRejected("issued for another app")
    exp, iat = claims.get("exp"), claims.get("iat", 0)
    if not isinstance(exp, int | float) or exp + LEEWAY < now:
        raise TokenRejected("expired")
    if not isinstance(iat, int | float) or iat - LEEWAY > now:
        raise TokenRejected("issued in the future")
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise TokenRejected("the nonce is not this sign-in's")
    return claims


def identity(claims: Mapping[str, Any]) -> tuple[str, str] | None:
    """(team id, user id) from the id_token's or userInfo's Slack claims; None when they are missing."""
    team, user = claims.get(TEAM_CLAIM), claims.get(USER_CLAIM) or claims.get("sub")
    if isinstance(team, str) and isinstance(user, str) and team and user:
        return team, user
    return None

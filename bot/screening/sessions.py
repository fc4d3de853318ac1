"""Screening-room sessions after Sign in with Slack (pure): a signed, short-lived cookie naming the
Slack user and workspace, and the CSRF token every decision form carries, bound to that session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from bot.screening import signed

COOKIE = "dailies_room"
VERSION = "s1"
SESSION_SECONDS = 8 * 3600  # a working day: then Slack is asked again


@dataclass(frozen=True)
class Session:
    team_id: str
    user_id: str
    expires: int  # Unix seconds
    sid: str  # random per sign-in: what the CSRF token is bound to


def session_key(room_key: bytes) -> bytes:
    """A key of its own, derived from the room's: a pass never reads as a session, nor the reverse."""
    return hmac.new(room_key, b"dailies screening session", hashlib.sha256).digest()


def new_session(team_id: str, user_id: str, now: float) -> Session:
    return Session(team_id, user_id, int(now) + SESSION_SECONDS, secrets.token_hex(16))


def issue(key: bytes, s: Session) -> str:
    fields = (VERSION, s.team_id, s.user_id, str(s.expires), s.sid)
    if not all(fields):
        raise ValueError("a session field is empty")
    return signed.sign(key, fields)


def read(key: bytes, cookie: str, now: float) -> Session | None:
    """The session, or None when the cookie is malformed, altered, signed with another key, or expired."""
    parts = signed.verify(key, cookie, count=5, max_length=600)
    if parts is None or parts[0] != VERSION or not parts[3].isdigit():
        return None
    found = Session(parts[1], parts[2], int(parts[3]), parts[4])
    return found if found.expires > now else None


def csrf_token(key: bytes, s: Session) -> str:
    """The token a decision form carries: only a page rendered for this session knows it."""
    return hmac.new(key, f"csrf|{s.sid}".encode(), hashlib.sha256).hexdigest()[:32]


def csrf_ok(key: bytes, s: Session, token: str) -> bool:
    return bool(token) and hmac.compare_digest(token, csrf_token(key, s))


def cookie_header(value: str, *, secure: bool, max_age: int = SESSION_SECONDS, name: str = COOKIE) -> str:
    """A Set-Cookie value: HttpOnly, SameSite=Lax (a cross-site form post carries no session), Secure
    when the room is served over https."""
    flags = f"{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax"
    return flags + ("; Secure" if secure else "")

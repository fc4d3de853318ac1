"""Signed strings (pure): `|`-joined fields and an HMAC-SHA256 over them, both in url-safe base64
without padding. Screening-room passes and sign-in sessions are made of them; a string reads back
only in its one canonical spelling, whole MAC compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mac(key: bytes, payload: bytes, length: int = 32) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:length]


def sign(key: bytes, fields: Sequence[str], *, mac_length: int = 32) -> str:
    if any("|" in f for f in fields):
        raise ValueError("a signed field contains '|'")
    payload = "|".join(fields).encode()
    return f"{b64(payload)}.{b64(mac(key, payload, mac_length))}"


def verify(key: bytes, token: str, *, count: int, max_length: int, mac_length: int = 32) -> list[str] | None:
    """The `count` fields of a string `sign` made with `key`, or None when it is malformed, longer
    than `max_length`, altered, or signed with another key."""
    body, dot, signature = token.partition(".")
    if not dot or len(token) > max_length:
        return None
    try:
        payload, found = unb64(body), unb64(signature)
    except (ValueError, TypeError):
        return None
    if b64(payload) != body or b64(found) != signature:
        return None  # only the canonical spelling: base64's spare bits must not make a second token
    if not hmac.compare_digest(found, mac(key, payload, mac_length)):
        return None
    parts = payload.decode("utf-8", "replace").split("|")
    return parts if len(parts) == count else None

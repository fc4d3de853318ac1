"""Standard Webhooks signatures (https://www.standardwebhooks.com), as Kling and OpenAI send them:
HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{raw body}", base64, in `webhook-signature`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping

_SECRET_PREFIX = "whsec_"


class CallbackRejected(Exception):
    """A provider callback that is not taken: `status` is the HTTP answer, `message` says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def signed_json(raw_body: bytes, headers: Mapping[str, str], secret: str) -> object:
    """The callback's JSON body once its signature checks out (no secret configured: unchecked,
    as the callback only makes Dailies poll). Raises CallbackRejected (401 bad signature, 400 not JSON)."""
    if secret and not verify_standard_webhook(raw_body, headers, secret):
        raise CallbackRejected(401, "invalid signature")
    try:
        return json.loads(raw_body or b"{}")
    except ValueError:
        raise CallbackRejected(400, "body is not JSON") from None


def _key(secret: str) -> bytes | None:
    # A "whsec_" secret is base64 after the prefix; anything else is used as raw bytes, as the
    # OpenAI SDK does. A mangled secret verifies nothing rather than raising.
    if secret.startswith(_SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(_SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            return None
    return secret.encode("utf-8")


def _signature(key: bytes, msg_id: str, timestamp: str, raw_body: bytes) -> bytes:
    signed = f"{msg_id}.{timestamp}.".encode() + raw_body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())


def sign_standard_webhook(raw_body: bytes, secret: str, *, msg_id: str, timestamp: int) -> dict[str, str]:
    """The three headers a Standard Webhooks sender attaches (used by tests and stand-ins)."""
    key = _key(secret)
    if key is None:
        raise ValueError("the webhook secret after 'whsec_' is not valid base64")
    sig = _signature(key, msg_id, str(timestamp), raw_body).decode("ascii")
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": f"v1,{sig}"}


def verify_standard_webhook(
    raw_body: bytes,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """True when one of the `v1` signatures matches and the timestamp is within `tolerance` seconds.

    Never raises: missing headers, a malformed timestamp or signature list, a non-bytes body or a
    mangled secret all give False.
    """
    if not isinstance(raw_body, bytes | bytearray) or not isinstance(secret, str) or not secret:
        return False
    try:
        lowered = {str(k).lower(): v for k, v in headers.items()}
    except (AttributeError, TypeError):
        return False
    msg_id = lowered.get("webhook-id")
    timestamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not (isinstance(msg_id, str) and msg_id and isinstance(timestamp, str) and timestamp):
        return False
    if not (isinstance(signatures, str) and signatures):
        return False
    # int() would also take " 12", "+12" and "1_2"; a timestamp is plain ASCII digits only.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    key = _key(secret)
    if key is None:
        return False
    expected = _signature(key, msg_id, timestamp, bytes(raw_body))
    matched = False
    # During a secret rotation the sender lists one signature per secret, space-separated.
    for entry in signatures.split():
        version, _, sig = entry.partition(",")
        if version != "v1" or not sig.isascii():
            continue
        # Keep comparing after a match so the time taken does not say which entry matched.
        matched |= hmac.compare_digest(expected, sig.encode("ascii"))
    return matched

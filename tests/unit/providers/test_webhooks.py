"""Standard Webhooks verification: Kling's vendor vector, tampering, staleness, rotation, garbage."""

from __future__ import annotations

import base64
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.providers.webhooks import sign_standard_webhook, verify_standard_webhook

# Kling's published test vector.
VECTOR_SECRET = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI="
VECTOR_ID = "9876543210"
VECTOR_TS = 1781080794
VECTOR_BODY = (
    b'{"id":"1234567890","status":"succeeded","message":"","create_time":1781080778802,'
    b'"update_time":1781080794151}'
)
VECTOR_SIG = "v1,UsKlJP00XoQyOn410NM9xv34sP+Gl0jnOO9Lcpr7NJ4="
VECTOR_HEADERS = {
    "webhook-id": VECTOR_ID,
    "webhook-timestamp": str(VECTOR_TS),
    "webhook-signature": VECTOR_SIG,
}

OTHER_SECRET = "whsec_" + base64.b64encode(b"another secret, 32 bytes long!!!").decode()


def test_kling_vendor_vector_verifies():
    assert verify_standard_webhook(VECTOR_BODY, VECTOR_HEADERS, VECTOR_SECRET, now=VECTOR_TS)


def test_signing_reproduces_the_vendor_vector():
    headers = sign_standard_webhook(VECTOR_BODY, VECTOR_SECRET, msg_id=VECTOR_ID, timestamp=VECTOR_TS)
    assert headers == VECTOR_HEADERS


def test_header_names_are_case_insensitive():
    headers = {"Webhook-Id": VECTOR_ID, "WEBHOOK-TIMESTAMP": str(VECTOR_TS), "Webhook-Signature": VECTOR_SIG}
    assert verify_standard_webhook(VECTOR_BODY, headers, VECTOR_SECRET, now=VECTOR_TS)


@pytest.mark.parametrize(
    "body",
    [
        VECTOR_BODY.replace(b"succeeded", b"failed"),
        VECTOR_BODY + b" ",
        b"",
    ],
)
def test_tampered_body_is_rejected(body):
    assert not verify_standard_webhook(body, VECTOR_HEADERS, VECTOR_SECRET, now=VECTOR_TS)


def test_tampered_id_is_rejected():
    headers = VECTOR_HEADERS | {"webhook-id": "9876543211"}
    assert not verify_standard_webhook(VECTOR_BODY, headers, VECTOR_SECRET, now=VECTOR_TS)


def test_wrong_secret_is_rejected():
    assert not verify_standard_webhook(VECTOR_BODY, VECTOR_HEADERS, OTHER_SECRET, now=VECTOR_TS)


@pytest.mark.parametrize("skew", [301, -301, 10_000])
def test_timestamp_outside_tolerance_is_rejected(skew):
    assert not verify_standard_webhook(VECTOR_BODY, VECTOR_HEADERS, VECTOR_SECRET, now=VECTOR_TS + skew)


@pytest.mark.parametrize("skew", [300, -300])
def test_timestamp_at_the_edge_of_tolerance_is_accepted(skew):
    assert verify_standard_webhook(VECTOR_BODY, VECTOR_HEADERS, VECTOR_SECRET, now=VECTOR_TS + skew)


def test_default_clock_is_the_current_time():
    now = int(time.time())
    current = sign_standard_webhook(b"{}", VECTOR_SECRET, msg_id="m1", timestamp=now)
    stale = sign_standard_webhook(b"{}", VECTOR_SECRET, msg_id="m1", timestamp=now - 3600)
    assert verify_standard_webhook(b"{}", current, VECTOR_SECRET)
    assert not verify_standard_webhook(b"{}", stale, VECTOR_SECRET)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_is_rejected(missing):
    headers = {k: v for k, v in VECTOR_HEADERS.items() if k != missing}
    assert not verify_standard_webhook(VECTOR_BODY, headers, VECTOR_SECRET, now=VECTOR_TS)


@pytest.mark.parametrize(
    "timestamp", ["", "abc", "1781080794.0", " 1781080794", "+1781080794", "1_781_080_794"]
)
def test_malformed_timestamp_is_rejected(timestamp):
    headers = VECTOR_HEADERS | {"webhook-timestamp": timestamp}
    assert not verify_standard_webhook(VECTOR_BODY, headers, VECTOR_SECRET, now=VECTOR_TS)


def test_rotation_second_signature_valid():
    stale = sign_standard_webhook(VECTOR_BODY, OTHER_SECRET, msg_id=VECTOR_ID, timestamp=VECTOR_TS)
    headers = VECTOR_HEADERS | {"webhook-signature": f"{stale['webhook-signature']} {VECTOR_SIG}"}
    assert verify_standard_webhook(VECTOR_BODY, headers, VECTOR_SECRET, now=VECTOR_TS)


def test_rotation_with_no_valid_signature_is_rejected():
    wrong = sign_standard_webhook(VECTOR_BODY, OTHER_SECRET, msg_id=VECTOR_ID, timestamp=VECTOR_TS)
    headers = VECTOR_HEADERS | {"webhook-signature": f"{wrong['webhook-signature']} v1,AAAA"}
    assert not verify_standard_webhook(VECTOR_BODY, headers, VECTOR_SECRET, now=VECTOR_TS)


def test_signature_with_another_version_tag_is_ignored():
    headers = VECTOR_HEADERS | {"webhook-signature": VECTOR_SIG.replace("v1,", "v1a,")}
    assert not verify_standard_webhook(VECTOR_BODY, headers, VECTOR_SECRET, now=VECTOR_TS)


def test_raw_secret_without_prefix_is_used_as_bytes():
    headers = sign_standard_webhook(b"{}", "plain-secret", msg_id="m", timestamp=VECTOR_TS)
    assert verify_standard_webhook(b"{}", headers, "plain-secret", now=VECTOR_TS)
    assert not verify_standard_webhook(b"{}", headers, "plain-secreT", now=VECTOR_TS)


@pytest.mark.parametrize(
    "secret",
    ["whsec_not base64!", "whsec_", "", "whsec_dGVzdA"],  # last: bad padding
)
def test_unusable_secret_is_rejected_without_raising(secret):
    assert not verify_standard_webhook(VECTOR_BODY, VECTOR_HEADERS, secret, now=VECTOR_TS)


@given(
    body=st.one_of(st.binary(max_size=64), st.text(max_size=16), st.none(), st.integers()),
    headers=st.dictionaries(
        st.sampled_from(["webhook-id", "Webhook-Timestamp", "webhook-signature", "x"]),
        st.one_of(st.text(max_size=40), st.binary(max_size=8), st.none(), st.integers()),
    ),
    secret=st.one_of(st.text(max_size=40), st.none()),
)
def test_never_raises_on_garbage(body, headers, secret):
    assert verify_standard_webhook(body, headers, secret, now=VECTOR_TS) in (True, False)

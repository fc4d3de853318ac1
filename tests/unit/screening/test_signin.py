"""Sign in with Slack's pieces (pure): the id_token check (signature against the JWKS, issuer,
audience, expiry, nonce) and the session cookie with its CSRF token."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.screening import id_token, sessions
from bot.screening.signin import SignInSettings
from tests.fakes.slack_signin import KID, SignInWithSlack, _b64int

NOW = 1_800_000_000.0
ISSUER, AUDIENCE, NONCE = "https://slack.com", "111.222", "the-nonce"


class Keys(SignInWithSlack):
    """The stand-in's signing half, without a server."""

    def __init__(self) -> None:
        self._signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict:
        n = self._signing_key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "kid": KID, "n": _b64int(n.n), "e": _b64int(n.e)}]}


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


def claims(**changes) -> dict:
    base = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": "U1", "exp": int(NOW) + 300, "iat": int(NOW), "nonce": NONCE,
        "https://slack.com/team_id": "T1", "https://slack.com/user_id": "U1",
    }  # fmt: skip
    base.update(changes)
    return base


def check(keys: Keys, token: str) -> dict:
    return id_token.verify(token, keys.jwks(), issuer=ISSUER, audience=AUDIENCE, nonce=NONCE, now=NOW)


def test_a_good_id_token_names_the_workspace_and_the_user(keys):
    assert id_token.identity(check(keys, keys.sign_id_token(claims()))) == ("T1", "U1")
    assert id_token.identity({"sub": "U1"}) is None  # no team: ask userInfo


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"iss": "https://evil.example"}, "issuer"),
        ({"aud": "999.999"}, "another app"),
        ({"exp": int(NOW) - 120}, "expired"),
        ({"iat": int(NOW) + 3600}, "future"),
        ({"nonce": "another"}, "nonce"),
    ],
)
def test_an_id_token_with_a_wrong_claim_is_rejected(keys, changes, why):
    with pytest.raises(id_token.TokenRejected, match=why):
        check(keys, keys.sign_id_token(claims(**changes)))


def test_a_forged_or_altered_id_token_is_rejected(keys):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(id_token.TokenRejected, match="signature"):
        check(keys, keys.sign_id_token(claims(), key=other))
    header, body, sig = keys.sign_id_token(claims()).split(".")
    altered = keys.sign_id_token(claims(**{"https://slack.com/team_id": "T2"})).split(".")[1]
    with pytest.raises(id_token.TokenRejected, match="signature"):
        check(keys, f"{header}.{altered}.{sig}")
    with pytest.raises(id_token.UnknownKey):
        check(keys, keys.sign_id_token(claims(), kid="rotated"))
    unsigned = f"eyJhbGciOiJub25lIn0.{body}."  # alg none
    with pytest.raises(id_token.TokenRejected):
        check(keys, unsigned)
    with pytest.raises(id_token.TokenRejected, match="not a JWT"):
        check(keys, "garbage")


def test_a_session_reads_back_until_it_expires_and_not_under_another_key():
    key = sessions.session_key(b"room key")
    s = sessions.Session("T1", "U1", int(NOW) + 60, "abc")
    cookie = sessions.issue(key, s)
    assert sessions.read(key, cookie, NOW) == s
    assert sessions.read(key, cookie, NOW + 61) is None
    assert sessions.read(sessions.session_key(b"other"), cookie, NOW) is None
    assert sessions.read(key, cookie[:-3] + "xyz", NOW) is None
    # the room's own key (what signs passes) never reads a session
    assert sessions.read(b"room key", cookie, NOW) is None


def test_the_csrf_token_is_bound_to_the_session():
    key = sessions.session_key(b"room key")
    a, b = sessions.new_session("T1", "U1", NOW), sessions.new_session("T1", "U1", NOW)
    assert sessions.csrf_ok(key, a, sessions.csrf_token(key, a))
    assert not sessions.csrf_ok(key, b, sessions.csrf_token(key, a))
    assert not sessions.csrf_ok(key, a, "")


def test_cookies_are_http_only_lax_and_secure_only_over_https():
    https = SignInSettings("1.2", "s", "https://slack.com/api/", "https://dailies.example")
    assert https.authorize_url == "https://slack.com/openid/connect/authorize"
    assert https.jwks_url == "https://slack.com/openid/connect/keys"
    assert https.issuer == "https://slack.com"
    assert https.redirect_uri == "https://dailies.example/review-signin/callback"
    flags = sessions.cookie_header("v", secure=https.secure_cookies).split("; ")
    assert {"HttpOnly", "SameSite=Lax", "Secure", "Path=/"} <= set(flags)
    plain = SignInSettings("1.2", "s", "https://slack.com/api/", "http://localhost:3000")
    assert "Secure" not in sessions.cookie_header("v", secure=plain.secure_cookies)

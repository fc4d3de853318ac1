"""Workspace tokens sealed at rest: Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under
`DAILIES_SECRET_KEY`, so a copy of the database alone reveals no token. The first key seals; every
key listed opens, which is how a key is rotated (old tokens are sealed again under the new key)."""

from __future__ import annotations

import binascii
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.config import MAKE_A_KEY, ConfigError

PREFIX = "sealed:v1:"  # a stored value without it is a plaintext token from before sealing
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token")


class BadSecretKey(ConfigError):
    """DAILIES_SECRET_KEY is not a list of Fernet keys."""


class SealedWithUnknownKey(ConfigError):
    """A stored token was sealed with a key that DAILIES_SECRET_KEY no longer lists."""


class Sealer:
    def __init__(self, keys: Iterable[str]) -> None:
        fernets = []
        for n, key in enumerate(keys, 1):
            try:
                fernets.append(Fernet(key.strip().encode()))
            except (ValueError, binascii.Error):
                raise BadSecretKey(
                    f"DAILIES_SECRET_KEY key {n} is not a Fernet key (32 url-safe base64 bytes): "
                    f"make one with {MAKE_A_KEY}"
                ) from None
        if not fernets:
            raise BadSecretKey(f"DAILIES_SECRET_KEY is empty: make a key with {MAKE_A_KEY}")
        self._primary, self._all = fernets[0], MultiFernet(fernets)

    @classmethod
    def from_setting(cls, setting: str) -> Sealer:
        """`new-key[,old-key…]`: the first seals, all open."""
        return cls(k for k in setting.split(",") if k.strip())

    def seal(self, value: str | None) -> str | None:
        if not value:
            return value
        return PREFIX + self._primary.encrypt(value.encode()).decode()

    def open(self, value: str | None) -> str | None:
        if not value or not value.startswith(PREFIX):
            return value  # empty, or plaintext left from before sealing (sealed at the next start)
        try:
            return self._all.decrypt(value[len(PREFIX) :].encode()).decode()
        except (InvalidToken, UnicodeDecodeError):  # not ours, or a key list whose halves collide
            raise SealedWithUnknownKey(
                "a workspace token was sealed with a key DAILIES_SECRET_KEY does not list: add the old "
                "key after the new one (DAILIES_SECRET_KEY=new,old) until Dailies has sealed it again"
            ) from None

    def stale(self, value: str | None) -> bool:
        """True for a plaintext token, or one sealed with a key other than the first."""
        if not value:
            return False
        if not value.startswith(PREFIX):
            return True
        try:
            self._primary.decrypt(value[len(PREFIX) :].encode())
        except InvalidToken:
            return True
        return False

    def seal_row(self, row: dict) -> dict:
        return {**row, **{c: self.seal(row.get(c)) for c in TOKEN_COLUMNS if c in row}}

    def open_row(self, row: dict) -> dict:
        return {**row, **{c: self.open(row.get(c)) for c in TOKEN_COLUMNS if c in row}}

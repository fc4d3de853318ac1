"""Sealing workspace tokens at rest: what is stored opens only with a listed key, plaintext from
before sealing passes through once, and a rotated key list re-seals under the first key."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_config
from bot.install.sealing import PREFIX, BadSecretKey, SealedWithUnknownKey, Sealer

# fixed keys (test ids must be the same on every xdist worker) whose halves differ: a Fernet key is
# a signing key then an encryption key, and two keys sharing the first would verify each other's tokens
OLD = "b2xkLXNpZ25pbmcta2V5IW9sZC1lbmNyeXB0LWtleSE="  # old-signing-key!old-encrypt-key!
NEW = "bmV3LXNpZ25pbmcta2V5IW5ldy1lbmNyeXB0LWtleSE="  # new-signing-key!new-encrypt-key!
TOKEN = "xoxb-1234-5678-abcdefabcdef"


def test_a_sealed_token_opens_and_hides_the_token():
    sealer = Sealer.from_setting(OLD)
    sealed = sealer.seal(TOKEN)
    assert sealed.startswith(PREFIX) and TOKEN not in sealed and "xoxb" not in sealed
    assert sealer.open(sealed) == TOKEN and not sealer.stale(sealed)
    assert sealer.seal(TOKEN) != sealed  # a fresh IV each time
    assert sealer.seal(None) is None and sealer.open(None) is None and sealer.seal("") == ""


def test_plaintext_from_before_sealing_reads_through_and_is_stale():
    sealer = Sealer.from_setting(OLD)
    assert sealer.open(TOKEN) == TOKEN and sealer.stale(TOKEN)
    row = {"team_id": "T1", "bot_token": TOKEN, "bot_refresh_token": None, "bot_id": "B1"}
    sealed = sealer.seal_row(row)
    assert sealed["bot_id"] == "B1" and sealed["bot_refresh_token"] is None
    assert sealer.open_row(sealed) == row


def test_rotation_opens_with_the_old_key_and_seals_with_the_new():
    under_old = Sealer.from_setting(OLD).seal(TOKEN)
    rotating = Sealer.from_setting(f"{NEW},{OLD}")
    assert rotating.open(under_old) == TOKEN and rotating.stale(under_old)
    under_new = rotating.seal(TOKEN)
    assert not rotating.stale(under_new) and Sealer.from_setting(NEW).open(under_new) == TOKEN
    with pytest.raises(SealedWithUnknownKey, match="DAILIES_SECRET_KEY=new,old"):
        Sealer.from_setting(NEW).open(under_old)


@pytest.mark.parametrize("setting", ["not-a-key", "", " , ", NEW + ",short"])
def test_a_bad_key_is_a_one_line_error_that_says_how_to_make_one(setting):
    with pytest.raises(BadSecretKey, match="Fernet.generate_key") as caught:
        Sealer.from_setting(setting)
    assert isinstance(caught.value, ConfigError) and "\n" not in str(caught.value)


def test_distribution_mode_without_a_secret_key_does_not_start():
    env = {"SLACK_CLIENT_ID": "123.456", "SLACK_CLIENT_SECRET": "s3cr3t-client"}
    with pytest.raises(ConfigError, match="DAILIES_SECRET_KEY is not set"):
        load_config(env, dotenv=None)
    assert load_config({**env, "DAILIES_SECRET_KEY": NEW}, dotenv=None).distribution


def test_the_secret_key_is_masked_in_logs():
    config = load_config({"DAILIES_SECRET_KEY": f"{NEW},{OLD}"}, dotenv=None)
    assert NEW in config.secrets() and OLD in config.secrets()

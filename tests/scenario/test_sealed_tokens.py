"""Workspace tokens at rest: after an OAuth install the database files hold no token in plaintext;
a database from before sealing is sealed on the next start; a new key sealed in front of the old
one re-seals every token, after which the old key can go."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from bot.install.sealing import PREFIX
from storage import installations
from tests.scenario.test_oauth import SECRET_KEY, command, distributed, install


def plaintext_tokens(tmp_path: Path, tokens: list[str]) -> list[str]:
    """The tokens that appear as they are in the SQLite files (the database, its WAL, its journal)."""
    blobs = b"".join(p.read_bytes() for p in tmp_path.glob("dailies.db*"))
    return [t for t in tokens if t.encode() in blobs]


async def test_after_an_install_the_database_holds_no_token_in_plaintext(tmp_path):
    async with distributed(tmp_path) as (bot, slack):
        assert (await install(bot, slack, "T0ACME"))[0] == 200
        await command(bot, "a lighthouse --model preview --seconds 1", "T0ACME")
        job = await bot.wait_job(("delivered", "failed"))
        assert job["state"] == "delivered", job["error"]
        row = await bot.dailies.store.run(installations.find_installation, "T0ACME")
        assert row["bot_token"].startswith(PREFIX)
        tokens = slack.tokens_of("T0ACME")
        assert tokens and plaintext_tokens(tmp_path, tokens) == []
    assert plaintext_tokens(tmp_path, tokens) == []  # nor after it closed (checkpointed)


async def test_plaintext_tokens_are_sealed_on_start_and_a_new_key_reseals_them(tmp_path):
    async with distributed(tmp_path) as (bot, slack):
        assert (await install(bot, slack, "T0ACME"))[0] == 200
        (token,) = slack.tokens_of("T0ACME")
        # what an older Dailies left: the token in plaintext
        await bot.dailies.store.run(
            lambda db: db.execute("UPDATE slack_installations SET bot_token = ?", [token])
        )
    new_key = Fernet.generate_key().decode()
    async with distributed(tmp_path) as (bot, slack):  # the next start seals it
        row = await bot.dailies.store.run(installations.find_installation, "T0ACME")
        assert (
            row["bot_token"].startswith(PREFIX) and bot.dailies.tokens.sealer.open(row["bot_token"]) == token
        )
        under_old = row["bot_token"]
    async with distributed(tmp_path, DAILIES_SECRET_KEY=f"{new_key},{SECRET_KEY}") as (bot, slack):
        row = await bot.dailies.store.run(installations.find_installation, "T0ACME")
        assert row["bot_token"] != under_old and not bot.dailies.tokens.sealer.stale(row["bot_token"])
    async with distributed(tmp_path, DAILIES_SECRET_KEY=new_key) as (bot, slack):  # the old key can go
        assert await bot.dailies.tokens("T0ACME") == token

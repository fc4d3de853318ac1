"""A workspace's data leaves with it: after `app_uninstalled` its rows stay for
DAILIES_RETENTION_DAYS (a reinstall keeps them), then every row and media file it owned is gone,
while the other workspace keeps everything; 0 days purges at once; `dailies purge --team` on demand."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

from storage import installations
from tests.scenario.test_oauth import SECRET_KEY, command, distributed, install

TEAMS = ("T0ACME", "T0BETA")


async def owned(bot, team: str) -> dict[str, int]:
    """How many rows of each team-keyed table belong to `team`."""
    tables = ("shots", "jobs", "subjects", "audit", "channels", "messages")

    def count(db):
        return {t: db.one(f"SELECT count(*) AS n FROM {t} WHERE team_id = ?", [team])["n"] for t in tables}

    return await bot.dailies.store.run(count)


async def with_data(bot, slack) -> None:
    """Both workspaces installed, each with a delivered job, a subject and a setting."""
    for n, team in enumerate(TEAMS):
        assert (await install(bot, slack, team))[0] == 200
        await command(bot, "settings budget 50", team)
        await command(bot, f"a lighthouse for {team} --model preview --seconds 1", team)
        job = await bot.wait_job(("delivered", "failed"), job_index=n)
        assert job["state"] == "delivered", job["error"]
    await bot.settle()


async def uninstall(bot, slack, team: str) -> None:
    slack.uninstall(team)
    assert (await bot.event({"type": "app_uninstalled"}, team_id=team))[0] == 200
    for _ in range(200):
        if await bot.dailies.store.run(installations.find_installation, team) is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{team} still installed")


async def test_data_is_kept_for_the_retention_then_purged_and_a_reinstall_keeps_it(tmp_path):
    async with distributed(tmp_path) as (bot, slack):
        await with_data(bot, slack)
        acme, beta = await owned(bot, "T0ACME"), await owned(bot, "T0BETA")
        assert acme["shots"] == 1 and acme["channels"] == 1 and acme["audit"] >= 1
        clip = (await bot.takes())[0]["media_path"]

        await uninstall(bot, slack, "T0ACME")
        retention = bot.dailies.retention
        assert await retention.sweep() == [] and await owned(bot, "T0ACME") == acme  # kept for now
        retention.clock = lambda: time.time() + 29 * 86400
        assert await retention.sweep() == []
        retention.clock = lambda: time.time() + 31 * 86400
        assert await retention.sweep() == ["T0ACME"]
        assert not any((await owned(bot, "T0ACME")).values())
        assert await owned(bot, "T0BETA") == beta
        assert clip is None or not (tmp_path / clip).exists() or "T0BETA" in clip

        await uninstall(bot, slack, "T0BETA")
        assert (await install(bot, slack, "T0BETA"))[0] == 200  # back within the retention
        assert await retention.sweep() == [] and await owned(bot, "T0BETA") == beta


async def test_zero_days_purges_at_once(tmp_path):
    async with distributed(tmp_path, DAILIES_RETENTION_DAYS="0") as (bot, slack):
        await with_data(bot, slack)
        beta = await owned(bot, "T0BETA")
        await uninstall(bot, slack, "T0ACME")
        for _ in range(100):
            if not any((await owned(bot, "T0ACME")).values()):
                break
            await asyncio.sleep(0.05)
        assert not any((await owned(bot, "T0ACME")).values())
        assert await owned(bot, "T0BETA") == beta


async def test_dailies_purge_deletes_a_departed_workspace_and_refuses_an_installed_one(tmp_path):
    async with distributed(tmp_path) as (bot, slack):
        await with_data(bot, slack)
        await uninstall(bot, slack, "T0ACME")
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "PYTHONPATH", "HOME")},
        "DAILIES_DB": str(tmp_path / "dailies.db"),
        "DAILIES_MEDIA_DIR": str(tmp_path / "media"),
        "DAILIES_SECRET_KEY": SECRET_KEY,
    }

    def purge(team: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "purge", "--team", team],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    refused = purge("T0BETA")
    assert refused.returncode == 2 and "still has Dailies installed" in refused.stderr
    assert "Traceback" not in refused.stderr
    done = purge("T0ACME")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("purged T0ACME:") and "shots" in done.stdout
    assert purge("T0ACME").stdout.strip() == "nothing stored for T0ACME"
    async with distributed(tmp_path) as (bot, slack):
        assert not any((await owned(bot, "T0ACME")).values())
        assert (await owned(bot, "T0BETA"))["shots"] == 1

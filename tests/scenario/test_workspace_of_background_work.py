"""Background work (card edits, uploads) finds the workspace of the take it serves: with two
workspaces whose shots, jobs and takes are numbered differently (several takes, a thread job), every
card edit and every clip goes out with its own workspace's token."""

from __future__ import annotations

import time

from tests.fakes.slack_requests import message_event
from tests.scenario.test_oauth import distributed, install

CHANNELS = {"T0ACME": "C0ACME", "T0BETA": "C0BETA"}
REQUESTER = "U0REQ"


async def video(bot, team: str, text: str) -> dict:
    return await bot.new_job(text, team_id=team, channel_id=CHANNELS[team], user_id=REQUESTER)


async def test_card_edits_and_uploads_use_the_takes_own_workspace(tmp_path):
    async with distributed(tmp_path) as (bot, slack):
        for team in CHANNELS:
            assert (await install(bot, slack, team))[0] == 200
        # ids drift apart: Acme shot 1 / job 1 / takes 1-2; Beta shot 2 / job 2 / take 3;
        # Acme's thread job: shot 1 / job 3 / take 4; Beta shot 3 / job 4 / take 5
        await video(bot, "T0ACME", "a lighthouse at dusk --model preview --seconds 1 --n 2")
        await video(bot, "T0BETA", "a harbour at dawn --model preview --seconds 1")
        await bot.settle()
        acme_card = next(
            m for m in slack.messages[CHANNELS["T0ACME"]] if m.get("thread_ts", m["ts"]) == m["ts"]
        )
        before = len(await bot.jobs())
        reply = message_event(
            "again",
            channel=CHANNELS["T0ACME"],
            user=REQUESTER,
            ts=f"{time.time():.6f}",
            thread_ts=acme_card["ts"],
        )
        reply["team"] = "T0ACME"
        assert (await bot.event(reply, team_id="T0ACME"))[0] == 200
        await bot.wait_job("delivered", job_index=before)
        await video(bot, "T0BETA", "a gull over the pier --model preview --seconds 1")
        await bot.settle()

        rows = await bot.dailies.store.run(
            lambda db: db.query(
                "SELECT takes.id AS take, jobs.id AS job, shots.id AS shot, shots.team_id AS team "
                "FROM takes JOIN jobs ON jobs.id = takes.job_id JOIN shots ON shots.id = takes.shot_id "
                "ORDER BY takes.id"
            )
        )
        assert [(r["take"], r["job"], r["shot"], r["team"]) for r in rows] == [
            (1, 1, 1, "T0ACME"),
            (2, 1, 1, "T0ACME"),
            (3, 2, 2, "T0BETA"),
            (4, 3, 1, "T0ACME"),
            (5, 4, 3, "T0BETA"),
        ]
        team_of_channel = {channel: team for team, channel in CHANNELS.items()}
        uploads = slack.calls_to("files.completeUploadExternal")
        edits = slack.calls_to("chat.update")
        assert len(uploads) == 5 and edits
        for call in uploads + edits:
            assert (
                slack.team_of(call)
                == team_of_channel[call.params["channel_id" if call in uploads else "channel"]]
            ), (
                call.method,
                call.params,
            )
        assert not slack.refused_calls()

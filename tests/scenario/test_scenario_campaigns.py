"""Issue 24, the way Slack drives it: the campaign form makes one board, every shot renders into the
board's thread (captioned S1…Sn), a contact sheet follows, a bad line comes back on the form with
nothing made, and `S2: …` in the board's thread works on S2 alone."""

from __future__ import annotations

import asyncio
import json

from tests.fakes.slack_requests import FORM, interactive_body, post_signed, view_submission_payload

CHANNEL = "C0CHANNEL"
ALICE = "U0ALICE"
SIX = "\n".join(
    f"{what} --seconds {n}"
    for n, what in enumerate(
        [
            "a red sneaker on wet asphalt",
            "the sneaker spins",
            "a runner laces it up",
            "close-up on the sole",
            "the runner sprints at dawn",
            "logo on a white wall",
        ],  # fmt: skip
        start=1,
    )
)


async def interact(bot, payload: dict) -> tuple[int, str]:
    return await post_signed(bot.url, "/slack/events", interactive_body(payload), FORM)


async def eventually(check, timeout: float = 30.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition never held")


async def campaign_form(bot, slack) -> dict:
    status, body = await bot.command("campaign")
    assert (status, body) == (200, "")
    await slack.wait_for_count("views.open", 1)
    return next(v for v in slack.modals.values() if v["callback_id"] == "campaign_form")


def top_level_posts(slack) -> list:
    return [c for c in slack.calls_to("chat.postMessage") if not c.params.get("thread_ts")]


async def board_ts(bot) -> str:
    rows = await bot.dailies.store.run(
        lambda db: db.query("SELECT s.card_ts FROM campaigns c JOIN shots s ON s.id = c.board_shot_id")
    )
    return rows[0]["card_ts"]


async def delivered(bot, n: int) -> bool:
    jobs = await bot.jobs()
    return len(jobs) >= n and sum(j["state"] == "delivered" for j in jobs) >= n


async def test_six_lines_make_one_board_six_clips_in_its_thread_and_a_contact_sheet(bot, slack):
    view = await campaign_form(bot, slack)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert {"title", "model", "seconds", "aspects", "takes", "shots", "file"} <= set(blocks)
    assert blocks["file"]["element"]["type"] == "file_input"
    values = {"title": "Spring drop", "model": "preview", "aspects": ["16:9"], "shots": SIX}
    assert await interact(bot, view_submission_payload(view, values, user_id=ALICE)) == (200, "")
    await eventually(lambda: delivered(bot, 6))
    ts = await board_ts(bot)

    def sheet():
        return [
            m
            for m in slack.thread(CHANNEL, ts)
            if any(f["name"].endswith(".png") for f in m.get("files", []))
        ]

    await eventually(lambda: asyncio.sleep(0, sheet()))
    await bot.settle()
    jobs = await bot.jobs()
    assert len(jobs) == 6 and len(top_level_posts(slack)) == 1
    assert sorted(j["request"]["seconds"] for j in jobs) == [1, 2, 3, 4, 5, 6]
    clips = [
        m for m in slack.thread(CHANNEL, ts) if any(f["name"].endswith(".mp4") for f in m.get("files", []))
    ]
    assert len(clips) == 6 and len(sheet()) == 1
    captions = sorted(m["text"].split(" · ")[0] for m in clips)
    assert captions == [f"S{n} v1" for n in range(1, 7)]
    board = slack.message(CHANNEL, ts)
    assert "6 of 6 delivered" in board["text"]
    assert "6 of 6 delivered" in json.dumps(board["blocks"])
    # each clip's message is indexed for reactions on that version
    indexed = await bot.dailies.store.run(
        lambda db: db.execute("SELECT count(*) FROM messages").fetchone()[0]
    )
    assert indexed == 6


async def test_a_bad_line_comes_back_on_the_form_and_nothing_is_made(bot, slack):
    view = await campaign_form(bot, slack)
    lines = "a red sneaker --seconds 2\na sneaker on the moon --seconds 99\nfine"
    values = {"title": "Spring drop", "model": "preview", "aspects": ["16:9"], "shots": lines}
    status, body = await interact(bot, view_submission_payload(view, values, user_id=ALICE))
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert answer["errors"]["shots"].startswith("line 2: ")
    await asyncio.sleep(0.3)
    assert await bot.jobs() == [] and top_level_posts(slack) == []
    count = await bot.dailies.store.run(lambda db: db.execute("SELECT count(*) FROM campaigns").fetchone()[0])
    assert count == 0


async def test_s2_in_the_boards_thread_works_on_s2_alone(bot, slack):
    view = await campaign_form(bot, slack)
    values = {"title": "Spring drop", "model": "preview", "seconds": "2", "aspects": ["16:9"],
              "shots": "a red sneaker\na blue sneaker\na green sneaker"}  # fmt: skip
    await interact(bot, view_submission_payload(view, values, user_id=ALICE))
    await eventually(lambda: delivered(bot, 3))
    await bot.settle()
    ts = await board_ts(bot)
    posted = slack.add_message(CHANNEL, "S2: make it dusk --model preview", user=ALICE, thread_ts=ts)
    event = {"type": "message", "channel": CHANNEL, "user": ALICE, "text": posted["text"],
             "ts": posted["ts"], "thread_ts": ts, "team": "T0TEAM"}  # fmt: skip
    await bot.event(event)
    await eventually(lambda: delivered(bot, 4))
    jobs = await bot.jobs()
    assert len(jobs) == 4
    shots = await bot.dailies.store.run(
        lambda db: {r["id"]: r["campaign_shot"] for r in db.query("SELECT id, campaign_shot FROM shots")}
    )
    assert shots[jobs[-1]["shot_id"]] == 2
    assert jobs[-1]["request"].get("instruction") == "make it dusk"
    assert len(top_level_posts(slack)) == 1

    def sheets():
        return [
            m
            for m in slack.thread(CHANNEL, ts)
            if any(f["name"].endswith(".png") for f in m.get("files", []))
        ]

    await eventually(lambda: asyncio.sleep(0, len(sheets()) == 2))  # again after the round of changes


async def test_a_colleagues_s1_reply_is_a_note_on_s1_and_starts_nothing(bot, slack):
    view = await campaign_form(bot, slack)
    values = {"title": "Notes", "model": "preview", "seconds": "1", "aspects": ["16:9"], "shots": "a\nb"}
    await interact(bot, view_submission_payload(view, values, user_id=ALICE))
    await eventually(lambda: delivered(bot, 2))
    ts = await board_ts(bot)
    posted = slack.add_message(CHANNEL, "S1: the light is too cold at 0:01", user="U0EVE", thread_ts=ts)
    event = {"type": "message", "channel": CHANNEL, "user": "U0EVE", "text": posted["text"],
             "ts": posted["ts"], "thread_ts": ts, "team": "T0TEAM"}  # fmt: skip
    await bot.event(event)

    async def noted():
        return await bot.dailies.store.run(
            lambda db: db.query(
                "SELECT n.text, s.campaign_shot FROM review_notes n JOIN shots s ON s.id = n.shot_id"
            )
        )

    notes = await eventually(noted)
    assert [(n["campaign_shot"], n["text"]) for n in notes] == [(1, "the light is too cold at 0:01")]
    await asyncio.sleep(0.3)
    assert len(await bot.jobs()) == 2


async def test_over_the_budget_the_campaign_waits_for_one_approval_on_its_board(tmp_path, slack):
    from tests.fakes.kling import FakeKling
    from tests.fakes.slack_requests import reaction_event
    from tests.harness import running_bot

    async with FakeKling(polls_to_finish=1) as fake:
        env = {"KLING_BASE_URL": fake.url, "KLING_API_KEY": fake.api_key}
        async with running_bot(tmp_path, slack, **env) as bot:
            await bot.command("settings budget 1")
            view = await campaign_form(bot, slack)
            values = {"title": "Spring drop", "model": "kling-v3", "seconds": "5", "aspects": ["16:9"],
                      "shots": "a red sneaker\na blue sneaker\na green sneaker"}  # fmt: skip
            await interact(bot, view_submission_payload(view, values, user_id=ALICE))
            await eventually(lambda: bot.jobs())
            await bot.settle()
            jobs = await bot.jobs()
            assert len(jobs) == 3 and {j["state"] for j in jobs} == {"awaiting_approval"}
            ts = await board_ts(bot)
            board = slack.message(CHANNEL, ts)
            assert "waits for one approval" in json.dumps(board["blocks"]) and not fake.creates
            await bot.event(reaction_event("white_check_mark", user=ALICE, channel=CHANNEL, ts=ts))
            await eventually(lambda: delivered(bot, 3))
            assert len(fake.creates) == 3 and len(top_level_posts(slack)) == 1


async def test_thirty_shots_edit_the_board_about_as_often_as_one_card_is_edited(tmp_path, slack):
    """The board follows the card's throttle (one edit per interval at most), so thirty shots
    moving through their states at once do not make thirty times the edits."""
    from tests.harness import running_bot

    interval = 1.0
    async with running_bot(tmp_path, slack, DAILIES_CARD_INTERVAL_SECONDS=str(interval)) as bot:
        view = await campaign_form(bot, slack)
        lines = "\n".join(f"shot number {n}" for n in range(1, 31))
        values = {"title": "Thirty", "model": "preview", "seconds": "1", "aspects": ["16:9"], "shots": lines}
        loop = asyncio.get_running_loop()
        began = loop.time()
        await interact(bot, view_submission_payload(view, values, user_id=ALICE))
        await eventually(lambda: delivered(bot, 30), timeout=120)
        await bot.settle()
        took = loop.time() - began
        ts = await board_ts(bot)
        edits = [c for c in slack.calls_to("chat.update") if c.params.get("ts") == ts]
        assert len(slack.calls_to("chat.update")) == len(edits)  # no shot has a card of its own
        assert len(top_level_posts(slack)) == 1
        assert 1 <= len(edits) <= took / interval + 2
        assert "30 of 30 delivered" in slack.message(CHANNEL, ts)["text"]


async def test_a_csv_on_the_form_makes_the_campaign_with_its_own_durations(bot, slack):
    table = 'prompt,seconds,aspect\n"a red sneaker, wet asphalt",2,\nthe sneaker spins,3,9:16\n'
    file = slack.add_file("F0SHOTS", table.encode(), name="shots.csv", mimetype="text/csv")
    view = await campaign_form(bot, slack)
    values = {"title": "From a file", "model": "preview", "aspects": ["16:9", "1:1"],
              "file": [{"id": file["id"], "name": "shots.csv", "mimetype": "text/csv"}]}  # fmt: skip
    assert await interact(bot, view_submission_payload(view, values, user_id=ALICE)) == (200, "")
    await eventually(lambda: delivered(bot, 3))
    jobs = await bot.jobs()
    got = sorted((j["request"]["prompt"], j["request"]["seconds"], j["request"]["aspect"]) for j in jobs)
    assert got == [
        ("a red sneaker, wet asphalt", 2, "16:9"),
        ("a red sneaker, wet asphalt", 2, "1:1"),
        ("the sneaker spins", 3, "9:16"),
    ]


async def test_a_bad_row_in_the_csv_is_reported_on_the_file_field(bot, slack):
    table = "prompt\tseconds\nfine\t2\ntoo long\t99\n"
    file = slack.add_file("F0BAD", table.encode(), name="shots.tsv", mimetype="text/tab-separated-values")
    view = await campaign_form(bot, slack)
    values = {"title": "From a file", "model": "preview", "aspects": ["16:9"], "file": [{"id": file["id"]}]}
    status, body = await interact(bot, view_submission_payload(view, values, user_id=ALICE))
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and answer["errors"]["file"].startswith("line 3: ")
    assert await bot.jobs() == []


async def test_a_csv_attached_to_a_mention_makes_the_campaign(bot, slack):
    from tests.fakes.slack_requests import app_mention_event

    await bot.command("settings model preview")
    table = "prompt,seconds\na red sneaker,2\na blue sneaker,3\na green sneaker,1\n"
    file = slack.add_file("F0MENTION", table.encode(), name="spring.csv", mimetype="text/csv")
    await bot.event(
        app_mention_event("campaign", channel=CHANNEL, user=ALICE, ts="1700000100.000100", files=[file])
    )
    await eventually(lambda: delivered(bot, 3))
    await bot.settle()
    jobs = await bot.jobs()
    assert sorted(j["request"]["seconds"] for j in jobs) == [1, 2, 3] and len(top_level_posts(slack)) == 1
    board = slack.message(CHANNEL, await board_ts(bot))
    assert "spring" in board["text"] and "3 of 3 delivered" in board["text"]


async def approve_clip_of(bot, slack, ts: str, number: int) -> dict:
    """✅ on S`number`'s clip in the board's thread; its take once marked approved."""
    from tests.fakes.slack_requests import reaction_event

    clip = next(m for m in slack.thread(CHANNEL, ts) if m.get("text", "").startswith(f"S{number} v1 "))
    await bot.event(reaction_event("white_check_mark", user=ALICE, channel=CHANNEL, ts=clip["ts"]))

    async def approved():
        rows = await bot.dailies.store.run(
            lambda db: db.query(
                "SELECT t.* FROM takes t JOIN shots s ON s.id = t.shot_id "
                "WHERE s.campaign_shot = ? AND t.approved_at IS NOT NULL",
                [number],
            )
        )
        return rows[0] if rows else None

    return await eventually(approved)


async def reply_on_board(bot, slack, ts: str, text: str) -> None:
    posted = slack.add_message(CHANNEL, text, user=ALICE, thread_ts=ts)
    event = {"type": "message", "channel": CHANNEL, "user": ALICE, "text": text,
             "ts": posted["ts"], "thread_ts": ts, "team": "T0TEAM"}  # fmt: skip
    await bot.event(event)


async def test_for_9_16_renders_only_the_approved_shot_again_and_final_the_approved_versions(bot, slack):
    view = await campaign_form(bot, slack)
    values = {"title": "Spring drop", "model": "preview", "seconds": "2", "aspects": ["16:9"],
              "shots": "a red sneaker\na blue sneaker\na green sneaker"}  # fmt: skip
    await interact(bot, view_submission_payload(view, values, user_id=ALICE))
    await eventually(lambda: delivered(bot, 3))
    await bot.settle()
    ts = await board_ts(bot)
    take = await approve_clip_of(bot, slack, ts, 2)
    await reply_on_board(bot, slack, ts, "for 9:16")
    await eventually(lambda: delivered(bot, 4))
    jobs = await bot.jobs()
    again = jobs[-1]
    assert len(jobs) == 4 and again["shot_id"] == take["shot_id"] and again["request"]["aspect"] == "9:16"
    assert take["seed"] is not None and (await bot.takes(again["id"]))[0]["seed"] == take["seed"]
    await reply_on_board(bot, slack, ts, "final")
    await eventually(lambda: delivered(bot, 5))
    jobs = await bot.jobs()
    assert len(jobs) == 5 and jobs[-1]["kind"] == "final" and jobs[-1]["shot_id"] == take["shot_id"]
    assert len(top_level_posts(slack)) == 1


async def test_cancel_c1_stops_every_unfinished_shot(tmp_path, slack):
    from tests.fakes.kling import FakeKling
    from tests.harness import running_bot

    async with FakeKling(polls_to_finish=1) as fake:
        env = {"KLING_BASE_URL": fake.url, "KLING_API_KEY": fake.api_key}
        async with running_bot(tmp_path, slack, **env) as bot:
            await bot.command("settings budget 0.5")
            view = await campaign_form(bot, slack)
            values = {"title": "Held", "model": "kling-v3", "seconds": "5", "aspects": ["16:9", "9:16"],
                      "shots": "a red sneaker\na blue sneaker"}  # fmt: skip
            await interact(bot, view_submission_payload(view, values, user_id=ALICE))
            await eventually(lambda: bot.jobs())
            campaign = await bot.dailies.store.run(lambda db: db.query("SELECT id FROM campaigns")[0]["id"])
            await bot.command(f"cancel C{campaign}", user_id=ALICE)

            async def cancelled():
                jobs = await bot.jobs()
                return len(jobs) == 4 and all(j["state"] == "cancelled" for j in jobs)

            await eventually(cancelled)
            await bot.settle()
            assert not fake.creates
            assert "0 of 2 delivered" in slack.message(CHANNEL, await board_ts(bot))["text"]


async def test_jobs_lists_the_channels_campaigns(bot, slack):
    view = await campaign_form(bot, slack)
    values = {"title": "Listed", "model": "preview", "seconds": "1", "aspects": ["16:9"], "shots": "a\nb"}
    await interact(bot, view_submission_payload(view, values, user_id=ALICE))
    await eventually(lambda: delivered(bot, 2))
    await bot.command("jobs")

    def answered():
        return [r for r in slack.responses if "Listed" in json.dumps(r["body"])]

    answers = await eventually(lambda: asyncio.sleep(0, answered()))
    assert "C1 *Listed*: 2 of 2 delivered" in json.dumps(answers[-1]["body"])


async def test_a_campaign_survives_a_restart_with_one_board_and_each_clip_once(tmp_path, slack):
    from tests.fakes.kling import FakeKling
    from tests.harness import running_bot

    async with FakeKling(polls_to_finish=40) as fake:
        env = {"KLING_BASE_URL": fake.url, "KLING_API_KEY": fake.api_key}
        async with running_bot(tmp_path, slack, **env) as bot:
            view = await campaign_form(bot, slack)
            values = {"title": "Restarted", "model": "kling-v3", "seconds": "5", "aspects": ["16:9"],
                      "shots": "a red sneaker\na blue sneaker\na green sneaker"}  # fmt: skip
            await interact(bot, view_submission_payload(view, values, user_id=ALICE))
            await eventually(lambda: asyncio.sleep(0, len(fake.creates) == 3))
        async with running_bot(tmp_path, slack, **env) as bot:
            await eventually(lambda: delivered(bot, 3), timeout=60)
            await bot.settle()
            ts = await board_ts(bot)
            await eventually(lambda: asyncio.sleep(0, any(
                f["name"].endswith(".png") for m in slack.thread(CHANNEL, ts) for f in m.get("files", [])
            )))  # fmt: skip
            clips = [
                m
                for m in slack.thread(CHANNEL, ts)
                if any(f["name"].endswith(".mp4") for f in m.get("files", []))
            ]
            assert len(fake.creates) == 3 and len(clips) == 3 and len(top_level_posts(slack)) == 1
            assert "3 of 3 delivered" in slack.message(CHANNEL, ts)["text"]


async def test_the_boards_every_aspect_button_renders_the_approved_version_at_the_other_aspects(bot, slack):
    view = await campaign_form(bot, slack)
    values = {"title": "Buttons", "model": "preview", "seconds": "1", "aspects": ["16:9"], "shots": "a\nb"}
    await interact(bot, view_submission_payload(view, values, user_id=ALICE))
    await eventually(lambda: delivered(bot, 2))
    await bot.settle()
    ts = await board_ts(bot)
    take = await approve_clip_of(bot, slack, ts, 1)
    await bot.settle()
    board = slack.message(CHANNEL, ts)
    buttons = [e for b in board["blocks"] if b["type"] == "actions" for e in b["elements"]]
    every = next(b for b in buttons if b["action_id"] == "campaign_every_aspect")
    await bot.action(every["action_id"], every["value"], user_id=ALICE, channel_id=CHANNEL, message_ts=ts)
    await eventually(lambda: delivered(bot, 4))
    jobs = (await bot.jobs())[2:]
    assert {j["request"]["aspect"] for j in jobs} == {"9:16", "1:1"}
    assert {j["shot_id"] for j in jobs} == {take["shot_id"]}


async def test_app_homes_new_campaign_picks_a_channel_then_posts_the_board_there(bot, slack):
    from tests.fakes.slack_requests import view_action_payload

    await bot.event({"type": "app_home_opened", "user": ALICE, "channel": "D0HOME", "tab": "home"})
    await slack.wait_for(lambda: ALICE in slack.views)
    home = slack.views[ALICE]
    button = next(
        e
        for b in home["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "home_new_campaign"
    )
    await interact(
        bot, view_action_payload(home, "home-new", button, user_id=ALICE, trigger_id=slack.issue_trigger())
    )
    await slack.wait_for_count("views.open", 1)
    modal = next(v for v in slack.modals.values() if v["callback_id"] == "campaign_form")
    assert modal["blocks"][0]["block_id"] == "channel"
    values = {"title": "From home", "model": "preview", "seconds": "1", "aspects": ["16:9"], "shots": "a\nb"}
    unpicked = json.loads((await interact(bot, view_submission_payload(modal, values, user_id=ALICE)))[1])
    assert set(unpicked["errors"]) == {"channel"}
    values["channel"] = CHANNEL
    assert await interact(bot, view_submission_payload(modal, values, user_id=ALICE)) == (200, "")
    await eventually(lambda: delivered(bot, 2))
    await bot.settle()
    assert "2 of 2 delivered" in slack.message(CHANNEL, await board_ts(bot))["text"]
    # the tab lists the campaign on one line (its shots are on its board, not among the shots)
    published = slack.count("views.publish")
    await bot.event({"type": "app_home_opened", "user": ALICE, "channel": "D0HOME", "tab": "home"})
    await slack.wait_for(lambda: slack.count("views.publish") > published)
    shown = json.dumps(slack.views[ALICE]["blocks"])
    assert "Your campaigns" in shown and "From home" in shown and "2 of 2 delivered" in shown
    assert "No shots yet" in shown  # S1 and S2 are not listed one by one
    # and the channel's audit has it, with what it asked for
    from tests.scenario.test_scenario_review import say

    audit = await say(bot, slack, "audit")
    assert f"<@{ALICE}> campaign: C1 From home: 2 shots, 2 renders, est. $0.00" in audit

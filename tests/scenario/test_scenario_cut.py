"""Issue 25, the way Slack drives it: `cut` in a campaign board's thread (or its Make the cut button)
assembles one clip per shot into an MP4 posted in the thread with its `.edl` and `.otio`; order and
trims are followed; shots of different sizes and sound make one uniform stream; bad cuts are refused
before any work; a second cut is v2."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import av
import opentimelineio as otio
import pytest

from bot.media.probe import probe_mp4
from tests.fakes.slack_requests import (
    FORM,
    JSON,
    event_body,
    interactive_body,
    post_signed,
    view_submission_payload,
)
from tests.faultbot import FaultBot
from tests.scenario.test_scenario_campaigns import (
    ALICE,
    CHANNEL,
    board_ts,
    campaign_form,
    delivered,
    eventually,
    interact,
)


async def campaign(bot, slack, shots: str, **values) -> str:
    """A preview campaign of `shots` (one per line), every shot delivered; its board's ts."""
    view = await campaign_form(bot, slack)
    fields = {"title": "Spring drop", "model": "preview", "aspects": ["16:9"], "shots": shots, **values}
    await interact(bot, view_submission_payload(view, fields, user_id=ALICE))
    await eventually(lambda: delivered(bot, len(shots.splitlines())))
    await bot.settle()
    return await board_ts(bot)


async def reply(bot, slack, ts: str, text: str, user: str = ALICE) -> None:
    posted = slack.add_message(CHANNEL, text, user=user, thread_ts=ts)
    event = {"type": "message", "channel": CHANNEL, "user": user, "text": text,
             "ts": posted["ts"], "thread_ts": ts, "team": "T0TEAM"}  # fmt: skip
    await bot.event(event)


def cut_messages(slack, ts: str) -> list[dict]:
    return [m for m in slack.thread(CHANNEL, ts) if m.get("text", "").startswith("the cut v")]


def files_of(slack, message: dict) -> dict[str, str]:
    """Extension -> the uploaded file's path on the stand-in's disk."""
    return {f["name"].rsplit(".", 1)[1]: str(slack.upload_path(f["id"])) for f in message.get("files", [])}


async def the_cut(slack, ts: str, n: int = 1, timeout: float = 60.0) -> dict:
    await eventually(lambda: asyncio.sleep(0, len(cut_messages(slack, ts)) >= n), timeout=timeout)
    return cut_messages(slack, ts)[n - 1]


THREE = "a red sneaker --seconds 1\nthe sneaker spins --seconds 2\na runner laces it up --seconds 3"


async def test_cut_after_three_shots_posts_the_mp4_its_edl_and_its_otio(bot, slack):
    ts = await campaign(bot, slack, THREE)
    await reply(bot, slack, ts, "cut")
    message = await the_cut(slack, ts)
    told = [c.params.get("text", "") for c in slack.calls_to("chat.postEphemeral")]
    assert "S1, S2, S3 have no approved version, so the latest delivered is used." in told
    files = files_of(slack, message)
    assert set(files) == {"mp4", "edl", "otio"}
    assert message["text"].splitlines()[0] == "the cut v1 · 0:06 · S1 v1 · S2 v1 · S3 v1"
    assert "AI-generated with preview" in message["text"]
    clip = probe_mp4(Path(files["mp4"]))
    assert abs(clip["seconds"] - 6.0) <= 0.5 and clip["has_audio"]
    edl = Path(files["edl"]).read_text(encoding="utf-8")
    events = [line for line in edl.splitlines() if line[:3].isdigit()]
    assert len(events) == 3, edl
    timeline = otio.adapters.read_from_file(files["otio"], adapter_name="otio_json")
    clips = list(timeline.find_clips())
    assert [c.name for c in clips] == ["S1 v1", "S2 v1", "S3 v1"]
    # the plan is kept with the job, each piece placed in the sequence
    job = (await bot.jobs())[-1]
    assert job["kind"] == "cut" and job["cost_usd"] == 0.0 and job["state"] == "delivered"
    placed = job["request"]["cut"]["pieces"]
    assert [p["shot"] for p in placed] == [1, 2, 3]
    assert [round(p["record_in"]) for p in placed] == [0, 1, 3]
    # the board has the cut's line; a colleague's "cut" is conversation and starts nothing
    await bot.settle()
    assert "The cut v1* · delivered · 0:06" in json.dumps(
        slack.message(CHANNEL, ts)["blocks"], ensure_ascii=False
    )
    await reply(bot, slack, ts, "cut", user="U0EVE")
    await asyncio.sleep(0.3)
    assert len(await bot.jobs()) == 4
    sheets = [
        m for m in slack.thread(CHANNEL, ts) if any(f["name"].endswith(".png") for f in m.get("files", []))
    ]
    assert len(sheets) == 1  # the cut is no shot of the brief: no second contact sheet


async def test_order_and_trims_are_followed_and_a_second_cut_is_v2(bot, slack):
    ts = await campaign(bot, slack, "a red sneaker --seconds 2\nthe sneaker spins --seconds 3")
    await reply(bot, slack, ts, "cut S2 S1[0-1]")
    first = await the_cut(slack, ts)
    assert first["text"].splitlines()[0] == "the cut v1 · 0:04 · S2 v1 · S1 v1"
    clip = probe_mp4(Path(files_of(slack, first)["mp4"]))
    assert abs(clip["seconds"] - 4.0) <= 0.5
    timeline = otio.adapters.read_from_file(files_of(slack, first)["otio"], adapter_name="otio_json")
    ranges = [(c.name, round(c.source_range.duration.to_seconds(), 1)) for c in timeline.find_clips()]
    assert ranges == [("S2 v1", 3.0), ("S1 v1", 1.0)]
    # the board's button makes the next version of the cut, every shot in order
    await bot.action("campaign_cut", "1", channel_id=CHANNEL, user_id=ALICE, message_ts=ts)
    second = await the_cut(slack, ts, 2)
    assert second["text"].startswith("the cut v2 · 0:05 · S1 v1 · S2 v1")


async def test_different_sizes_and_a_shot_without_sound_make_one_uniform_stream(bot, slack):
    shots = "a red sneaker --seconds 1 --res 1080p\na blue sneaker --model kling-v3 --seconds 3 --audio"
    ts = await campaign(bot, slack, shots)
    await reply(bot, slack, ts, "cut --fade 0.25")
    message = await the_cut(slack, ts)
    path = Path(files_of(slack, message)["mp4"])
    clip = probe_mp4(path)
    assert (clip["width"], clip["height"]) == (960, 540)  # the larger shot's frame (the tests' half scale)
    assert clip["has_audio"] and abs(clip["seconds"] - 4.0) <= 0.5
    with av.open(str(path)) as container:
        assert len(container.streams.video) == 1 and len(container.streams.audio) == 1
        rate = container.streams.video[0].average_rate
        sound = container.streams.audio[0].codec_context
        assert (sound.sample_rate, sound.channels) == (48_000, 2)
        times = [f.time for f in container.decode(video=0)]
        sizes = set()
        container.seek(0)
        for frame in container.decode(video=0):
            sizes.add((frame.width, frame.height))
    assert sizes == {(960, 540)}
    gaps = {round(b - a, 4) for a, b in zip(times, times[1:], strict=False)}
    assert gaps == {round(1 / float(rate), 4)}  # one frame rate from the first frame to the last


async def test_bad_cuts_are_refused_before_any_work(bot, slack):
    ts = await campaign(bot, slack, "a red sneaker --seconds 2\nthe sneaker spins --seconds 2")
    before = len(await bot.jobs())
    for text, says in [
        ("cut S1[1-5]", "S1 v1 runs 2 s"),
        ("cut S4", "no S4; its shots are S1–S2"),
        ("cut S2[3-1]", "ends before it starts"),
        ("cut --fade 3", "at most 2 seconds"),
    ]:
        await reply(bot, slack, ts, text)
        await eventually(
            lambda s=says: asyncio.sleep(
                0, any(s in c.params.get("text", "") for c in slack.calls_to("chat.postEphemeral"))
            )
        )
    await asyncio.sleep(0.2)
    assert len(await bot.jobs()) == before and cut_messages(slack, ts) == []


@pytest.mark.faults
async def test_a_cut_killed_mid_assembly_restarts_it_and_is_delivered_once(tmp_path, slack):
    """kill -9 of `dailies serve` while the cut is being assembled: the restarted process assembles
    it again from the start and posts it once."""
    # full-size frames and longer shots, so the assembly lasts long enough to be caught mid-way; the
    # shots' clips kept on disk (`dailies serve` fetches only from files.slack.com, not the stand-in)
    bot = FaultBot(tmp_path, slack, DAILIES_PREVIEW_SCALE="1", DAILIES_KEEP_MEDIA="1")
    try:
        await bot.start()
        await bot.command("campaign", trigger_id=slack.issue_trigger())
        await slack.wait_for_count("views.open", 1)
        view = next(v for v in slack.modals.values() if v["callback_id"] == "campaign_form")
        shots = "a red sneaker\nthe sneaker spins\na runner laces it up"
        values = {
            "title": "Spring drop",
            "model": "preview",
            "seconds": "6",
            "aspects": ["16:9"],
            "shots": shots,
        }
        payload = interactive_body(view_submission_payload(view, values, user_id=ALICE))
        assert (await post_signed(bot.url, "/slack/events", payload, FORM))[0] == 200
        await bot.wait(
            lambda: sum(t["state"] == "delivered" for t in bot.takes()) == 3, "three shots", timeout=120
        )
        ts = bot.rows("SELECT s.card_ts FROM campaigns c JOIN shots s ON s.id = c.board_shot_id")[0][
            "card_ts"
        ]
        ask = "cut S1 S2 S3 S1 S2 S3"  # a shot may come back: a cut long enough to be caught
        posted = slack.add_message(CHANNEL, ask, user=ALICE, thread_ts=ts)
        event = {"type": "message", "channel": CHANNEL, "user": ALICE, "text": ask,
                 "ts": posted["ts"], "thread_ts": ts, "team": "T0TEAM"}  # fmt: skip
        await post_signed(bot.url, "/slack/events", event_body(event), JSON)

        def cut_take() -> dict | None:
            rows = bot.rows("SELECT t.* FROM takes t JOIN jobs j ON j.id = t.job_id WHERE j.kind = 'cut'")
            return rows[0] if rows else None

        await bot.wait(
            lambda: (
                (cut_take() or {}).get("state") == "rendering" and (cut_take() or {}).get("progress", 0) > 0
            ),
            "the cut being assembled",
            timeout=60,
        )
        bot.kill()
        assert cut_take()["state"] == "rendering" and cut_messages(slack, ts) == []
        await bot.start()
        await bot.wait(
            lambda: (cut_take() or {}).get("state") == "delivered", "the cut delivered", timeout=120
        )
        await asyncio.sleep(0.5)  # nothing more lands
        messages = cut_messages(slack, ts)
        assert len(messages) == 1, "the cut is in the thread exactly once"
        assert set(files_of(slack, messages[0])) == {"mp4", "edl", "otio"}
        clip = probe_mp4(Path(files_of(slack, messages[0])["mp4"]))
        assert abs(clip["seconds"] - 36.0) <= 0.5
        rendering = bot.rows(
            "SELECT count(*) AS n FROM transitions WHERE take_id = ? AND to_state = 'rendering'",
            (cut_take()["id"],),
        )
        assert rendering[0]["n"] >= 1
    finally:
        bot.stop()


async def test_cancelling_the_cut_stops_its_assembly_and_posts_nothing(tmp_path, slack):
    from tests.harness import running_bot

    async with running_bot(tmp_path, slack, DAILIES_PREVIEW_SCALE="1") as bot:
        ts = await campaign(bot, slack, "a red sneaker\nthe sneaker spins\na runner", seconds="6")
        await reply(bot, slack, ts, "cut S1 S2 S3 S1 S2 S3 S1 S2 S3")  # a shot may come back: a long cut

        async def assembling():
            takes = await bot.takes()
            return len(takes) == 4 and takes[-1]["state"] == "rendering" and takes[-1]["progress"] > 0

        await eventually(assembling, timeout=60)
        job = (await bot.jobs())[-1]
        assert job["kind"] == "cut"
        assert await bot.command(f"cancel J{job['id']}") == (200, "")
        await eventually(lambda: asyncio.sleep(0, bot.dailies.runner.in_flight == 0), timeout=30)
        assert (await bot.takes())[-1]["state"] == "cancelled"
        await asyncio.sleep(0.5)
        assert cut_messages(slack, ts) == []
        assert not list((tmp_path / "media" / "cuts").rglob("*"))  # the stopped assembly left nothing


async def test_cut_in_a_plain_jobs_thread_says_where_it_works_and_cut_to_stays_an_edit(bot, slack):
    job = await bot.new_job("a red sneaker --model preview --seconds 1")
    ts = slack.messages[CHANNEL][0]["ts"]
    await reply(bot, slack, ts, "cut")
    await eventually(
        lambda: asyncio.sleep(
            0, any("works in a campaign board's thread" in c.params.get("text", "")
                   for c in slack.calls_to("chat.postEphemeral"))
        )
    )  # fmt: skip
    assert len(await bot.jobs()) == 1
    await reply(bot, slack, ts, "cut to a close-up --model preview")
    edit = await bot.wait_job("delivered", job_index=1)
    assert (edit["kind"], edit["request"].get("instruction")) == ("edit", "cut to a close-up")
    assert edit["shot_id"] == job["shot_id"]


async def test_the_cuts_screening_room_marks_each_shot_and_places_their_notes(tmp_path, slack):
    import re
    from urllib.parse import urlsplit

    import aiohttp

    from tests.harness import running_bot

    public = "https://dailies.example.com"
    async with running_bot(tmp_path, slack, DAILIES_PUBLIC_URL=public) as bot:
        ts = await campaign(bot, slack, "a red sneaker --seconds 2\nthe sneaker spins --seconds 3")
        await reply(bot, slack, ts, "S2: the spin is too fast at 0:01", user="U0EVE")  # a note on S2 v1
        await eventually(lambda: bot.dailies.store.run(lambda db: db.query("SELECT id FROM review_notes")))
        await reply(bot, slack, ts, "cut S2 S1")
        await the_cut(slack, ts)
        await bot.settle()
        line = next(
            b["text"]["text"]
            for b in slack.message(CHANNEL, ts)["blocks"]
            if "The cut v1" in (b.get("text") or {}).get("text", "")
        )
        link = re.search(r"<(https://[^|>]+)\|screening room>", line).group(1)
        async with aiohttp.ClientSession() as http, http.get(bot.url + urlsplit(link).path) as resp:
            assert resp.status == 200
            html = await resp.text()
        # the campaign's page (the board's Screening room button) has the cut as its last row
        buttons = [
            e for b in slack.message(CHANNEL, ts)["blocks"] if b["type"] == "actions" for e in b["elements"]
        ]
        page = next(e["url"] for e in buttons if e["action_id"] == "campaign_screening_room")
        async with aiohttp.ClientSession() as http, http.get(bot.url + urlsplit(page).path) as resp:
            assert resp.status == 200
            grid = await resp.text()
    assert grid.index(">S2<") < grid.index("The cut")
    assert re.findall(r'class="piece" data-seek="([\d.]+)"[^>]*>([^<]+)</button>', grid) == [
        ("0", "S2 v1"), ("3", "S1 v1"),
    ]  # fmt: skip
    pieces = re.findall(r'class="piece" data-seek="([\d.]+)"[^>]*>([^<]+)</button>', html)
    assert pieces == [("0", "S2 v1"), ("3", "S1 v1")]
    assert "on the board in Slack" in html and "on the card" not in html  # the cut's buttons are the board's
    assert re.search(r'data-seek="1">0:01</button> <b>S2 v1</b> @?\S+ the spin is too fast at 0:01', html)


@pytest.mark.skipif(not __import__("shutil").which("chromium"), reason="Debian's chromium is not installed")
async def test_in_a_browser_the_cuts_shots_and_notes_sit_at_their_place_on_its_timeline(tmp_path, slack):
    """The page's policy drops inline style attributes: a marker placed that way sits at the left
    edge in a real browser, whatever the HTML says. Here the places are measured in Chromium."""
    import re
    from urllib.parse import urlsplit

    from tests.harness import running_bot
    from tests.scenario.test_screening_room import chromium, until

    public = "https://dailies.example.com"
    async with chromium() as browser, running_bot(tmp_path, slack, DAILIES_PUBLIC_URL=public) as bot:
        ts = await campaign(bot, slack, "a red sneaker --seconds 2\nthe sneaker spins --seconds 3")
        await reply(bot, slack, ts, "S2: the spin is too fast at 0:01", user="U0EVE")
        await reply(bot, slack, ts, "cut S2 S1")
        await the_cut(slack, ts)
        await bot.settle()
        line = next(
            b["text"]["text"]
            for b in slack.message(CHANNEL, ts)["blocks"]
            if "The cut v1" in (b.get("text") or {}).get("text", "")
        )
        link = re.search(r"<(https://[^|>]+)\|screening room>", line).group(1)
        page = await browser.new_page(viewport={"width": 1200, "height": 900})
        assert (await page.goto(bot.url + urlsplit(link).path)).status == 200
        await until(page, "document.documentElement.classList.contains('js')")
        bar, pieces, mark = await page.evaluate(
            """() => {
              const box = (el) => el.getBoundingClientRect();
              const bar = box(document.querySelector('.sequence'));
              return [[bar.left, bar.width],
                      [...document.querySelectorAll('.sequence .piece')].map((b) => [box(b).left, box(b).width]),
                      box(document.querySelector('.sequence .mark')).left];
            }"""
        )
    (left, width), (s2, s1) = bar, pieces
    # S2 (3 s) fills the first 3/5 of the bar, S1 (2 s) the rest; the note at 0:01 sits at 1/5
    assert abs(s2[0] - left) < 2 and abs(s2[1] - width * 3 / 5) < 3, (bar, pieces)
    assert abs(s1[0] - (left + width * 3 / 5)) < 3 and abs(s1[1] - width * 2 / 5) < 3, (bar, pieces)
    assert abs(mark - (left + width / 5)) < 12, (bar, mark)


async def test_a_campaign_at_two_aspects_is_cut_at_its_first_or_at_the_one_asked(bot, slack):
    ts = await campaign(
        bot, slack, "a red sneaker --seconds 1\nthe sneaker spins --seconds 1", aspects=["9:16", "16:9"]
    )
    await reply(bot, slack, ts, "cut")
    message = await the_cut(slack, ts)
    jobs = {j["id"]: j for j in await bot.jobs()}
    pieces = jobs[max(jobs)]["request"]["cut"]["pieces"]
    takes = {t["id"]: t for t in await bot.takes()}
    assert {jobs[takes[p["take_id"]]["job_id"]]["request"]["aspect"] for p in pieces} == {"9:16"}
    clip = probe_mp4(Path(files_of(slack, message)["mp4"]))
    assert clip["height"] > clip["width"]
    # the other aspect when asked for: each shot's version at 16:9, a landscape cut, as v2
    await reply(bot, slack, ts, "cut --aspect 16:9")
    message = await the_cut(slack, ts, n=2)
    jobs = {j["id"]: j for j in await bot.jobs()}
    pieces = jobs[max(jobs)]["request"]["cut"]["pieces"]
    assert {jobs[takes[p["take_id"]]["job_id"]]["request"]["aspect"] for p in pieces} == {"16:9"}
    clip = probe_mp4(Path(files_of(slack, message)["mp4"]))
    assert clip["width"] > clip["height"] and message["text"].startswith("the cut v2")
    # an aspect no shot was rendered at: refused with what to do, nothing made
    await reply(bot, slack, ts, "cut --aspect 1:1")
    await told(slack, "S1, S2 have no 1:1 version yet")
    assert len(await bot.jobs()) == len(jobs)


async def told(slack, says: str) -> None:
    await eventually(
        lambda: asyncio.sleep(
            0, any(says in c.params.get("text", "") for c in slack.calls_to("chat.postEphemeral"))
        )
    )


async def test_a_shot_not_yet_delivered_and_a_cut_over_ten_minutes_are_refused(bot, slack):
    view = await campaign_form(bot, slack)
    fields = {"title": "Slow", "model": "preview", "aspects": ["16:9"],
              "shots": "a red sneaker --seconds 2\nthe sneaker spins --seconds 20"}  # fmt: skip
    await interact(bot, view_submission_payload(view, fields, user_id=ALICE))
    await eventually(lambda: delivered(bot, 1))  # S1 has landed; S2 still renders
    ts = await board_ts(bot)
    await reply(bot, slack, ts, "cut")
    await told(slack, "S2 has no delivered version yet; wait for it to land or leave it out: `cut S1`")
    await reply(bot, slack, ts, "cut " + " ".join(["S1"] * 301))  # 301 × 2 s
    await told(slack, "That cut would run 10:02; a cut is at most 10:00")
    assert [j["kind"] for j in await bot.jobs()] == ["generate", "generate"]

"""The job card as pure Block Kit: headline per state, fields, versions, buttons, Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.cards.blocks import CardView, caption, headline, render_card
from bot.cards.offers import OFFER_ACTION, offer_blocks

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def job(**kw) -> dict:
    row = dict(
        id=7,
        shot_id=3,
        kind="generate",
        state="queued",
        model="kling-v3",
        backend="kling",
        takes=1,
        estimate_usd=0.63,
        cost_usd=0.0,
        user_id="U1",
        error=None,
        parent_take_id=None,
        request={"prompt": "a red fox in fresh snow", "seconds": 5},
    )
    row.update(kw)
    return row


def take(**kw) -> dict:
    row = dict(
        id=11,
        job_id=7,
        shot_id=3,
        version=1,
        state="queued",
        progress=0,
        status_note=None,
        seed=None,
        cost_usd=0.0,
        error=None,
        submitted_at=None,
        approved_at=None,
    )
    row.update(kw)
    return row


def view(jobs, takes, **kw) -> CardView:
    return CardView({"id": 3, "title": "a red fox", "card_ts": "1.2"}, jobs, takes, NOW, **kw)


def test_headline_follows_the_job_state():
    assert headline(view([job()], [take()])).startswith(":hourglass_flowing_sand: Queued")
    assert headline(view([job(state="uploading")], [take(state="uploading")])).startswith(
        ":outbox_tray: Uploading"
    )
    rendering = view([job(state="rendering")], [take(state="rendering", progress=42)])
    assert headline(rendering) == ":clapper: Rendering 42%"
    waiting = view([job(state="awaiting_approval")], [take(state="held")])
    assert "Awaiting approval" in headline(waiting) and "$0.63" in headline(waiting)


def test_without_provider_progress_the_card_shows_elapsed_and_typical_time():
    started = (NOW - timedelta(seconds=80)).isoformat()
    v = view(
        [job(state="rendering")],
        [take(state="rendering", progress=0, submitted_at=started)],
        typical_seconds=300,
    )
    assert "1m 20s elapsed" in headline(v) and "typically ~5 min" in headline(v)


def test_a_take_not_yet_handed_over_says_why_on_the_card():
    note = "Kling is not answering; retrying"
    v = view([job(state="queued")], [take(state="submitting", status_note=note)])
    assert headline(v) == f":hourglass_flowing_sand: Queued · {note}"


def test_a_waiting_note_replaces_the_progress():
    v = view([job(state="rendering")], [take(state="rendering", status_note="waiting for the provider")])
    assert "waiting for the provider" in headline(v)


def test_card_fields_and_buttons_while_running():
    text, blocks = render_card(view([job(state="rendering")], [take(state="rendering", progress=10)]))
    dump = json.dumps(blocks)
    for part in ("kling-v3", "kling", "5s", "*Takes* 1", "$0.63", "<@U1>", "J7", "a red fox in fresh snow"):
        assert part in dump
    actions = [b for b in blocks if b["type"] == "actions"][0]["elements"]
    assert [a["action_id"] for a in actions] == ["cancel"]
    assert actions[0]["value"] == "3:job:7"
    assert text.startswith(":clapper: Rendering")


def test_delivered_card_offers_review_buttons_for_that_version():
    jobs = [job(state="delivered", cost_usd=0.63)]
    takes = [take(state="delivered", cost_usd=0.63)]
    _, blocks = render_card(view(jobs, takes))
    actions = [b for b in blocks if b["type"] == "actions"][0]["elements"]
    assert [a["action_id"] for a in actions] == ["approve", "another_take", "final_render"]
    assert {a["value"] for a in actions} == {"3:take:11"}
    assert "*Cost* $0.63" in json.dumps(blocks)


def test_failed_card_says_why():
    jobs = [job(state="failed", error="kling refused this request: risk control")]
    _, blocks = render_card(
        view(jobs, [take(state="failed", error="kling refused this request: risk control")])
    )
    assert "risk control" in json.dumps(blocks)
    assert not [b for b in blocks if b["type"] == "actions"]


def test_the_backend_label_and_note_are_said_on_the_card():
    note = "No backend is configured for `kling-v3`: this is a local preview animatic."
    _, blocks = render_card(
        view([job(backend="preview")], [take()], backend_label="preview (local renderer)", backend_note=note)
    )
    assert "on preview (local renderer)" in json.dumps(blocks) and note in json.dumps(blocks)
    _, blocks = render_card(view([job(backend="kling")], [take()]))
    assert "on kling" in json.dumps(blocks) and "animatic" not in json.dumps(blocks)


def test_hostile_prompt_stays_within_slack_limits_and_is_escaped():
    prompt = "<!channel> " + "x" * 5000
    _, blocks = render_card(view([job(request={"prompt": prompt, "seconds": 5})], [take()]))
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    assert "<!channel>" not in json.dumps(blocks)


def test_caption_carries_what_reproduces_the_clip():
    line = caption(
        model="kling-v3",
        seconds=5.0,
        cost=0.63,
        job_id=7,
        take=take(seed=42, version=2),
        extra="_edit:_ dusk",
    )
    assert line.splitlines()[0] == "v2 · AI-generated with kling-v3 · 5s · $0.63 · job J7 · take 11 · seed 42"
    assert line.splitlines()[1] == "_edit:_ dusk"


def test_a_version_line_counts_its_notes_and_says_how_a_reply_was_read():
    first = job(state="delivered", cost_usd=0.4)
    vertical = job(
        id=8,
        kind="again",
        state="delivered",
        request={"prompt": "a red fox", "read_as": "re-render at 9:16 of v1"},
    )
    takes = [
        take(state="delivered", cost_usd=0.4, notes=2),
        take(id=12, job_id=8, version=2, state="delivered", cost_usd=0.4, notes=1),
    ]
    _, blocks = render_card(view([first, vertical], takes))
    lines = next(
        b["text"]["text"]
        for b in blocks
        if "v1" in b.get("text", {}).get("text", "") and "v2" in b["text"]["text"]
    )
    v1, v2 = lines.splitlines()
    assert v1.endswith(":speech_balloon: 2 notes")
    assert "v2 (re-render at 9:16 of v1)" in v2 and v2.endswith(":speech_balloon: 1 note")
    _, quiet = render_card(view([first], [take(state="delivered", cost_usd=0.4, notes=0)]))
    assert "speech_balloon" not in json.dumps(quiet)


def test_a_review_notes_offer_is_one_priced_button():
    label, blocks = offer_blocks(41, 3, 0.42, "edit of v2 on `kling-o1`")
    assert label == "Render this as v3 ($0.42)"
    (button,) = blocks[1]["elements"]
    assert (button["action_id"], button["value"], button["text"]["text"]) == (OFFER_ACTION, "41", label)
    assert "edit of v2" in blocks[0]["text"]["text"] and "v3" in blocks[0]["text"]["text"]
    assert offer_blocks(41, 3, 1.5, "3 more of v2", takes=3)[0] == "Render this as v3–v5 ($1.50)"


def test_caption_says_when_a_clip_could_not_be_signed():
    line = caption(model="kling-v3", seconds=5.0, cost=0.63, job_id=7, take=take(version=1), unsigned=True)
    assert line.startswith("v1 · AI-generated with kling-v3 · 5s")
    assert line.endswith("· unsigned (C2PA signing failed)")

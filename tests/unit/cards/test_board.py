"""The campaign board (pure): each shot's line, the totals in words, the held notice, a 50-shot
board within Slack's block limit, and which edit goes first."""

from __future__ import annotations

import json

from bot.cards.board import BoardView, board_key, board_priority, cut_line, render_board
from bot.slack.budget import Priority
from storage.campaigns import CampaignShotView, CampaignView


def shot(n: int, job_state: str, take_states: tuple[str, ...], approved: bool = False) -> CampaignShotView:
    takes = [
        {"id": n * 10 + i, "version": i + 1, "state": s, "cost_usd": 0.5 if s == "delivered" else 0.0,
         "approved_at": "2026-12-06T08:00:00" if approved and s == "delivered" else None}
        for i, s in enumerate(take_states)
    ]  # fmt: skip
    row = {"id": 100 + n, "title": f"shot {n} prompt", "campaign_shot": n}
    return CampaignShotView(n, row, [{"id": n, "state": job_state}], takes)


def view(shots, approvers=(), rooms=None) -> BoardView:
    campaign = {
        "id": 7, "title": "Spring drop", "user_id": "U1", "estimate_usd": 3.0,
        "brief": {"model": "kling-v3", "aspects": ["16:9", "9:16"], "takes": 1},
    }  # fmt: skip
    board = {"id": 1, "team_id": "T1", "channel_id": "C1", "campaign_id": 7, "campaign_shot": None}
    return BoardView(CampaignView(campaign, board, tuple(shots)), approvers, rooms or {})


def test_each_shot_and_the_totals():
    text, blocks = render_board(
        view([shot(1, "delivered", ("delivered",), approved=True), shot(2, "rendering", ("rendering",))])
    )
    shown = json.dumps(blocks, ensure_ascii=False)
    assert text == "Spring drop: 1 of 2 delivered"
    assert "*1 of 2 delivered*" in shown and "campaign C7" in shown
    assert "*S1* :white_check_mark: Delivered · 1 version(s) · approved v1 · $0.50" in shown
    assert "*S2* :clapper: Rendering · 0 version(s)" in shown and "shot 2 prompt" in shown


def test_a_held_campaign_says_who_can_approve_it_and_the_total_that_waits():
    held = [shot(n, "awaiting_approval", ("held",)) for n in (1, 2)]
    for s in held:
        s.jobs[0]["estimate_usd"] = 1.5
    _, blocks = render_board(view(held, approvers=("U9",)))
    assert "waits for one approval of $3.00: <@U9> can react :white_check_mark:" in json.dumps(
        blocks, ensure_ascii=False
    )
    # a later batch (the finals of S1 alone) waits for its own total, not the campaign's estimate
    finals = [shot(1, "delivered", ("delivered",)), shot(2, "delivered", ("delivered",))]
    finals[0].jobs.append({"id": 9, "state": "awaiting_approval", "estimate_usd": 0.8})
    _, blocks = render_board(view(finals))
    assert "waits for one approval of $0.80: anyone in the channel can react" in json.dumps(blocks)


def test_fifty_shots_stay_within_slacks_fifty_blocks():
    _, blocks = render_board(view([shot(n, "queued", ("queued",)) for n in range(1, 51)]))
    assert len(blocks) <= 50
    assert "and S41–S50: 0 of 10 delivered" in json.dumps(blocks, ensure_ascii=False)


def test_a_settled_board_goes_first_then_a_state_change_then_progress():
    done = view([shot(1, "delivered", ("delivered",)), shot(2, "failed", ("failed",))])
    assert board_priority(done, None) == Priority.URGENT
    busy = view([shot(1, "rendering", ("rendering",))])
    assert board_priority(busy, None) == Priority.STATE
    assert board_priority(busy, board_key(busy)) == Priority.PROGRESS


def test_each_shot_links_its_screening_room_when_there_is_one():
    _, blocks = render_board(
        view([shot(1, "delivered", ("delivered",))], rooms={1: "https://d.example/review/t1"})
    )
    assert "<https://d.example/review/t1|screening room>" in json.dumps(blocks)


def test_the_board_links_the_campaigns_screening_room_and_each_shots_row():
    rooms = {1: "https://d.test/campaign/TOK#S1", 2: "https://d.test/campaign/TOK#S2"}
    shots = [shot(1, "delivered", ("delivered",)), shot(2, "rendering", ("rendering",))]
    _, blocks = render_board(view(shots, rooms=rooms))
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    room = next(b for b in buttons if b["action_id"] == "campaign_screening_room")
    assert (room["url"], room["value"], room["text"]["text"]) == (
        "https://d.test/campaign/TOK",
        "7",
        "Screening room",
    )
    assert "<https://d.test/campaign/TOK#S2|screening room>" in json.dumps(blocks)
    # nothing to watch yet: no button
    _, blocks = render_board(view([shot(1, "rendering", ("rendering",))], rooms=rooms))
    assert "campaign_screening_room" not in json.dumps(blocks)


def test_the_cut_has_its_own_line_and_the_board_a_make_the_cut_button():
    done = [shot(1, "delivered", ("delivered",)), shot(2, "delivered", ("delivered",))]
    _, blocks = render_board(view(done))
    buttons = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert "campaign_cut" in buttons
    _, blocks = render_board(
        view([shot(1, "delivered", ("delivered",)), shot(2, "rendering", ("rendering",))])
    )
    assert "campaign_cut" not in json.dumps(blocks)  # a cut needs every shot delivered
    cut = CampaignShotView(0, {"id": 99}, [{"id": 9, "state": "rendering"}], [
        {"id": 90, "version": 1, "state": "delivered", "seconds": 14.2},
        {"id": 91, "version": 2, "state": "rendering", "progress": 40},
    ])  # fmt: skip
    board = view(done)
    board = BoardView(CampaignView(board.campaign.campaign, board.campaign.board, board.campaign.shots, cut))
    _, blocks = render_board(board)
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "*The cut v2* · assembling 40%" in shown and "Cancel campaign" in shown
    assert cut_line(cut.takes[0]) == ":film_frames: *The cut v1* · delivered · 0:14"
    assert board_key(board) != board_key(view(done))

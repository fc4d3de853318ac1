"""Issue 16: App Home (pure): what waits for review with its buttons, the user's shots with their
latest version, and a clean cut past Slack's 100 blocks."""

from __future__ import annotations

from bot.cards.home import MAX_BLOCKS, MORE, NEW_VIDEO, home_view
from tests.fakes.block_kit import problems


def shot(n: int, state: str = "delivered", **take) -> dict:
    return {
        "id": n, "channel_id": "C1", "title": f"shot {n}", "card_ts": f"1.{n}",
        "job": {"id": n, "kind": "generate", "state": state, "model": "kling-v3", "estimate_usd": 0.5,
                "cost_usd": 0.42, "error": None},
        "take": {"id": n, "version": 1, "state": state, "progress": 40, "cost_usd": 0.42, "approved_at": None, **take},
    }  # fmt: skip


def review(n: int, take_id: int | None = 7) -> dict:
    return {
        "job_id": n, "take_id": take_id, "version": 2 if take_id else None, "shot_id": n, "channel_id": "C1",
        "user_id": "U0ALICE", "model": "kling-v3", "cost_usd": 0.42, "title": "a fox", "card_ts": f"1.{n}",
    }  # fmt: skip


def test_the_tab_offers_a_new_video_and_buttons_on_what_waits_for_review():
    view = home_view(
        {"shots": [shot(1, "rendering")], "review": [review(1), review(2, None)], "libraries": {}}
    )
    assert problems("views.publish", {"view": view}) == []
    assert view["blocks"][0]["elements"][0]["action_id"] == NEW_VIDEO
    actions = [b for b in view["blocks"] if b["type"] == "actions" and b["block_id"].startswith("review-")]
    assert [[e["value"] for e in a["elements"]] for a in actions] == [["C1:1:take:7"] * 2, ["C1:2:job:2"] * 2]
    text = str(view["blocks"])
    assert "*v2* of J1" in text and "*J2* waits for approval" in text and "v1 rendering 40%" in text


def test_the_latest_versions_state_and_cost_show_per_shot():
    view = home_view({"shots": [shot(1, approved_at="2027-01-01")], "review": [], "libraries": {}})
    assert "v1 delivered ✅ approved · $0.42" in str(view["blocks"])
    noted = home_view({"shots": [shot(1, notes=2)], "review": [], "libraries": {}})
    assert "v1 delivered · $0.42 · :speech_balloon: 2 notes" in str(noted["blocks"])


def test_past_100_blocks_the_tab_is_cut_between_items_with_a_line_saying_where_the_rest_is():
    subjects = [{"name": f"s{i}", "description": "", "image_count": 1} for i in range(3)]
    data = {
        "shots": [shot(n) for n in range(1, 40)],
        "review": [review(n) for n in range(1, 40)],
        "libraries": {f"C{i}": subjects for i in range(8)},
    }
    view = home_view(data, notice="Approved v1.")
    blocks = view["blocks"]
    assert len(blocks) <= MAX_BLOCKS and blocks[-1]["elements"][0]["text"] == MORE
    assert blocks[-2]["type"] != "header"  # never a heading without its first item
    # every review item keeps its buttons: no section is left without the actions block after it
    for i, block in enumerate(blocks[:-1]):
        if block["type"] == "section" and "of J" in block["text"]["text"]:
            assert blocks[i + 1]["type"] == "actions"
    assert problems("views.publish", {"view": view}) == []


def test_a_short_tab_is_not_cut():
    view = home_view({"shots": [shot(1)], "review": [], "libraries": {}})
    assert MORE not in str(view["blocks"])


def test_campaigns_are_listed_one_line_each_with_their_boards_link():
    campaign = {
        "id": 7,
        "title": "Spring drop",
        "channel_id": "C1",
        "card_ts": "9.1",
        "shots": 6,
        "delivered": 4,
    }
    view = home_view(
        {
            "campaigns": [campaign],
            "shots": [],
            "review": [],
            "libraries": {},
            "links": {("C1", "9.1"): "https://x/p9"},
        }
    )
    assert problems("views.publish", {"view": view}) == []
    text = str(view["blocks"])
    assert "Your campaigns" in text
    assert "*C7* Spring drop in <#C1> · 4 of 6 delivered · <https://x/p9|board>" in text
    assert "Your campaigns" not in str(home_view({"shots": [], "review": [], "libraries": {}})["blocks"])

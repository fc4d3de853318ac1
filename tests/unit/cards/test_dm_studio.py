"""The DM studio's card parts (pure): the status line a rendering DM thread shows, and Post to
#channel under a delivered version in a DM, never in a channel."""

from __future__ import annotations

from bot.cards.blocks import CardView, render_card
from bot.cards.dm_studio import SHARE_BUTTON, SHARE_SELECT, is_dm, status_line
from tests.unit.cards.test_cards import NOW, job, take


def test_the_status_line_follows_the_running_job():
    assert status_line("queued", [take(state="queued")]) == "is queued…"
    assert status_line("rendering", [take(state="rendering", progress=0)]) == "is rendering…"
    two = [take(state="rendering", progress=70), take(id=12, state="rendering", progress=40)]
    assert status_line("rendering", two) == "is rendering… 40%", "the slowest take leads"
    assert status_line("uploading", [take(state="uploading")]) == "is uploading the clip…"
    for ended in ("delivered", "failed", "cancelled", "awaiting_approval"):
        assert status_line(ended, [take(state="delivered")]) is None


def card_blocks(channel_id: str, state: str) -> list[dict]:
    shot = {"id": 3, "title": "a red fox", "card_ts": "1.2", "channel_id": channel_id}
    _, blocks = render_card(CardView(shot, [job(state=state)], [take(state=state)], NOW))
    return blocks


def test_post_to_channel_is_under_a_delivered_dm_card_only():
    (share,) = [b for b in card_blocks("D0ALICE", "delivered") if b.get("block_id") == "share-3"]
    menu, button = share["elements"]
    assert (menu["type"], menu["action_id"]) == ("conversations_select", SHARE_SELECT)
    assert (button["action_id"], button["value"], button["text"]["text"]) == (
        SHARE_BUTTON,
        "11",
        "Post to #channel",
    )
    assert not [b for b in card_blocks("C0CHANNEL", "delivered") if b.get("block_id") == "share-3"]
    assert not [b for b in card_blocks("D0ALICE", "rendering") if b.get("block_id") == "share-3"]
    assert is_dm("D0ALICE") and not is_dm("C0CHANNEL") and not is_dm("G0PRIVATE")

"""A card is edited at most once per interval over a whole render: every edit that reached Slack
counts as the card's last edit, so progress ticks never go out back to back."""

from __future__ import annotations

from tests.harness import running_bot

CHANNEL = "C0CHANNEL"
INTERVAL = 0.25


async def test_one_cards_edits_keep_the_interval_over_a_long_render(tmp_path, slack):
    env = {"DAILIES_CARD_INTERVAL_SECONDS": str(INTERVAL), "DAILIES_PREVIEW_SCALE": "0.5"}
    async with running_bot(tmp_path, slack, **env) as bot:
        await bot.new_job("a slow pan across a harbour at dawn --model preview --seconds 12 --n 2")
        await bot.settle()
    card_ts = slack.messages[CHANNEL][0]["ts"]
    edits = [c.at for c in slack.calls_to("chat.update") if c.params.get("ts") == card_ts]
    assert len(edits) >= 4, f"a render this long shows its progress in several edits: {len(edits)}"
    gaps = [later - earlier for earlier, later in zip(edits, edits[1:], strict=False)]
    # a little slack for the stand-in's clock against the publisher's: 10% of the interval
    assert min(gaps) >= INTERVAL * 0.9, f"edits {len(edits)}, gaps {[round(g, 3) for g in gaps]}"
    assert slack.message(CHANNEL, card_ts)["text"].startswith(":white_check_mark: Delivered")

"""The DM with Dailies as a private studio (pure): which conversations are DMs, the status line a
rendering DM thread shows instead of card edits, and the card's Post to #channel controls."""

from __future__ import annotations

from collections.abc import Sequence

from storage.rows import TakeRow
from storage.states import JOB_RUNNING, TakeState

# pinned at the top of the Messages tab when it opens (assistant.threads.setSuggestedPrompts)
PROMPTS_TITLE = "Draft a clip here; post the good one to a channel"
SUGGESTED_PROMPTS = (
    {"title": "A 5 s draft", "message": "a lighthouse at dusk, waves rolling in --seconds 5"},
    {"title": "Vertical, for Reels", "message": "a barista pouring latte art, close-up --aspect 9:16"},
    {"title": "Three takes to choose from", "message": "a red fox trotting through fresh snow --n 3"},
    {"title": "How this works", "message": "help dm"},
)
SHARE_SELECT = "share_channel"  # the channel menu (its own action: acknowledged, nothing else)
SHARE_BUTTON = "share_post"


def is_dm(channel_id: str) -> bool:
    """A direct message conversation (Slack's ids for them start with D)."""
    return channel_id.startswith("D")


def status_line(job_state: str, takes: Sequence[TakeRow]) -> str | None:
    """What the DM thread's status line says while the latest job runs (`is rendering… 40%`);
    None when nothing runs (then the card shows the outcome)."""
    if job_state not in JOB_RUNNING:
        return None
    running = [
        t for t in takes if t["state"] not in (TakeState.DELIVERED, TakeState.FAILED, TakeState.CANCELLED)
    ]
    if any(t["state"] == TakeState.UPLOADING for t in running):
        return "is uploading the clip…"
    rendering = [t for t in running if t["state"] in (TakeState.RENDERING, TakeState.DOWNLOADING)]
    if rendering:
        done = min(int(t.get("progress") or 0) for t in rendering)
        return f"is rendering… {done}%" if done else "is rendering…"
    return "is queued…"


def share_block(shot_id: int, take: TakeRow) -> dict:
    """Post to #channel: a channel menu and the button that posts the latest delivered version."""
    return {
        "type": "actions",
        "block_id": f"share-{shot_id}",
        "elements": [
            {
                "type": "conversations_select",
                "action_id": SHARE_SELECT,
                "placeholder": {"type": "plain_text", "text": "Pick a channel"},
                "filter": {"include": ["public", "private"], "exclude_bot_users": True},
            },
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Post to #channel"},
                "action_id": SHARE_BUTTON,
                "value": str(take["id"]),
            },
        ],
    }

"""A campaign's board: a pure rendering of its shots S1…Sn (prompt, state, versions, cost) and the
totals, the one message a campaign posts; edited in place like a job card."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.cards.blocks import STATE_LINE, button
from bot.request.money import usd
from bot.slack.budget import Priority
from storage.campaigns import CampaignView
from storage.rows import ShotRow
from storage.states import JobState, TakeState

MAX_LISTED = 40  # shots listed one line each (a message holds 50 blocks; the rest are summed up)
EVERY_ASPECT = "campaign_every_aspect"  # each approved version again at the other aspects
CANCEL_CAMPAIGN = "campaign_cancel"
CAMPAIGN_ROOM = "campaign_screening_room"  # a link button: the listener answers with a personal link
MAKE_CUT = "campaign_cut"  # every shot's chosen version assembled into one sequence
_UNFINISHED = (JobState.AWAITING_APPROVAL, JobState.QUEUED, JobState.RENDERING, JobState.UPLOADING)


@dataclass(frozen=True)
class BoardView:
    campaign: CampaignView
    approvers: tuple[str, ...] = ()
    # S number -> its row on the campaign's screening-room page (`…/campaign/<pass>#S3`)
    rooms: dict[int, str] = field(default_factory=dict)

    @property
    def shot(self) -> ShotRow:
        """The board's own row (its message ts, its workspace), as a card's view has its shot."""
        return self.campaign.board


def _shot_state(jobs: list) -> str:
    states = [j["state"] for j in jobs]
    for state in (
        JobState.AWAITING_APPROVAL,
        JobState.RENDERING,
        JobState.UPLOADING,
        JobState.QUEUED,
    ):
        if state in states:
            return state
    return states[-1] if states else JobState.QUEUED


def _delivered(view: BoardView) -> int:
    return sum(1 for s in view.campaign.shots if any(t["state"] == TakeState.DELIVERED for t in s.takes))


def _cost(takes: list) -> float:
    return sum(t.get("cost_usd") or 0.0 for t in takes)


def render_board(view: BoardView) -> tuple[str, list[dict]]:
    """(fallback text, blocks) of the board."""
    campaign = view.campaign.campaign
    shots = view.campaign.shots
    delivered, total = _delivered(view), len(shots)
    spent = sum(_cost(s.takes) for s in shots)
    # what waits: the campaign's renders when it was over the gate, or a later batch (its finals)
    held = [j for s in shots for j in s.jobs if j["state"] == JobState.AWAITING_APPROVAL]
    brief = campaign["brief"]
    title = f":clapper: *{campaign['title']}* · campaign C{campaign['id']}"
    facts = (
        f"{brief.get('model', '')} · {', '.join(brief.get('aspects', ()))} · "
        f"{brief.get('takes', 1)} take(s) per shot · asked by <@{campaign['user_id']}>"
    )
    totals = (
        f"*{delivered} of {total} delivered* · spent {usd(spent)} of {usd(campaign['estimate_usd'] or 0)} "
        "estimated"
    )
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{title}\n{facts}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": totals}},
    ]
    if held:
        who = ", ".join(f"<@{u}>" for u in view.approvers) or "anyone in the channel"
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f":raised_hand: The campaign waits for one approval of "
                        f"{usd(sum(j.get('estimate_usd') or 0 for j in held))}: {who} can react "
                        ":white_check_mark: here to start all of it, :x: to cancel it.",
                    }
                ],
            }
        )
    blocks.append({"type": "divider"})
    for shot in shots[:MAX_LISTED]:
        state = _shot_state(shot.jobs)
        versions = [t for t in shot.takes if t["state"] == TakeState.DELIVERED]
        approved = [t for t in shot.takes if t.get("approved_at")]
        prompt = (shot.shot.get("title") or "").replace("\n", " ")
        prompt = prompt if len(prompt) <= 120 else prompt[:119] + "…"
        line = (
            f"*S{shot.number}* {STATE_LINE.get(state, state)} · {len(versions)} version(s)"
            + (f" · approved v{approved[-1]['version']}" if approved else "")
            + f" · {usd(_cost(shot.takes))}"
            + (f" · <{view.rooms[shot.number]}|screening room>" if shot.number in view.rooms else "")
            + f"\n>{prompt}"
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line[:3000]}})
    if len(shots) > MAX_LISTED:
        rest = shots[MAX_LISTED:]
        done = sum(1 for s in rest if any(t["state"] == TakeState.DELIVERED for t in s.takes))
        more = f"…and S{rest[0].number}–S{rest[-1].number}: {done} of {len(rest)} delivered"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    cut = view.campaign.cut
    if cut is not None and cut.takes:
        line = cut_line(cut.takes[-1], view.rooms.get(cut.number))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line}})
    buttons = []
    if any(t.get("approved_at") for s in shots for t in s.takes):
        buttons.append(button("Every aspect", EVERY_ASPECT, str(campaign["id"])))
    if shots and delivered == total:
        buttons.append(button("Make the cut", MAKE_CUT, str(campaign["id"])))
    if any(j["state"] in _UNFINISHED for s in (*shots, *([cut] if cut else [])) for j in s.jobs):
        buttons.append(button("Cancel campaign", CANCEL_CAMPAIGN, str(campaign["id"]), "danger"))
    room = campaign_room(view)
    if room and delivered:
        buttons.append({**button("Screening room", CAMPAIGN_ROOM, str(campaign["id"])), "url": room})
    if buttons:
        blocks.append({"type": "actions", "block_id": f"campaign_{campaign['id']}", "elements": buttons})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Reply here with `S3: make it dusk` to change a shot, `final` for the approved "
                    "versions on the final model, `cut` to assemble them. React on a clip to decide on it.",
                }
            ],
        }
    )
    text = f"{campaign['title']}: {delivered} of {total} delivered"
    return text, blocks


def campaign_room(view: BoardView) -> str:
    """The campaign's screening-room page: each shot's link is its row there (`…#S3`)."""
    return next(iter(view.rooms.values()), "").partition("#")[0]


def cut_line(take: Mapping[str, Any], room: str | None = None) -> str:
    """The cut's line: `The cut v1 · assembling 40%`, then `delivered · 0:14` (and its screening
    room's link, where its shots are marked)."""
    state = take["state"]
    if state == TakeState.DELIVERED:
        seconds = round(take.get("seconds") or 0)
        where = f"delivered · {seconds // 60}:{seconds % 60:02d}"
    elif state in (TakeState.QUEUED, TakeState.SUBMITTING):
        where = "queued"
    elif state in (TakeState.RENDERING, TakeState.DOWNLOADING):
        where = f"assembling {take.get('progress') or 0}%"
    else:
        where = STATE_LINE.get(state, state)
    link = f" · <{room}|screening room>" if room and state == TakeState.DELIVERED else ""
    return f":film_frames: *The cut v{take['version']}* · {where}{link}"


def board_key(view: BoardView) -> tuple:
    """What the board's reader would call its state: each shot's job and take states."""
    cut = view.campaign.cut
    return tuple(
        (s.number, tuple(j["state"] for j in s.jobs), tuple(t["state"] for t in s.takes))
        for s in (*view.campaign.shots, *([cut] if cut else []))
    )


def board_priority(view: BoardView, last_sent: tuple | None) -> Priority:
    """A board whose every shot has settled goes first; a changed state next; else progress."""
    cut = view.campaign.cut
    jobs = [j for s in (*view.campaign.shots, *([cut] if cut else [])) for j in s.jobs]
    if all(j["state"] not in (JobState.QUEUED, JobState.RENDERING, JobState.UPLOADING) for j in jobs):
        return Priority.URGENT
    if board_key(view) != last_sent:
        return Priority.STATE
    return Priority.PROGRESS

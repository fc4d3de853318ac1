"""The App Home tab as a place to work: New video and New campaign buttons, the versions waiting
for the user's review as an approver (Approve / Reject do what ✅ / ❌ do), their campaigns (each a
line: a campaign's shots are on its board) and recent shots with where each stands, and the
subject libraries of their channels. Past Slack's 100 blocks it is cut between items, with a line
saying where the rest is."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.blocks import note_count
from bot.request.money import usd
from storage import home as home_db
from storage.db import Store
from storage.states import TakeState

MAX_SHOTS = 25
MAX_REVIEW = 20
MAX_CHANNELS = 8
MAX_BLOCKS = 100  # a Home tab's limit
NEW_VIDEO = "home_new_video"
NEW_CAMPAIGN = "home_new_campaign"
DECIDE = {"home_approve": "approve", "home_reject": "reject"}
HOW_TO = (
    "Use a subject with `{name}` in a prompt (e.g. `/video {maya} walks into the studio`) or `--subject name`; "
    'make it talk with `/video avatar {maya} "hello"`. Add one with `/video subject add NAME IMAGE_URL -- description`.'
)
MORE = (
    "More than fits here: `/video jobs` in a channel lists its shots, `/video subject list` its library, "
    "and every card's thread has all its versions."
)


async def thread_links(client: AsyncWebClient, items: list[dict]) -> dict[tuple[str, str], str]:
    """(channel, card ts) -> the card's permalink, asked from Slack (`chat.getPermalink`): the
    workspace's own URL, which a hand-built slack.com link is not (custom domains, Grid)."""
    cards = {(i["channel_id"], i["card_ts"]) for i in items if i.get("card_ts")}

    async def one(card: tuple[str, str]) -> tuple[tuple[str, str], str | None]:
        try:
            answer = await client.chat_getPermalink(channel=card[0], message_ts=card[1])
        except SlackApiError:
            return card, None  # a deleted card or a channel we left: the line goes without a link
        return card, answer.get("permalink")

    found = await asyncio.gather(*(one(c) for c in sorted(cards)))
    return {card: link for card, link in found if link}


async def publish(client: AsyncWebClient, store: Store, team_id: str, user_id: str, notice: str = "") -> None:
    """Read, render and publish the user's Home tab (what they have in that workspace)."""
    data = await store.run(home_db.home_of, team_id, user_id, MAX_SHOTS, MAX_REVIEW, MAX_CHANNELS)
    data["links"] = await thread_links(client, [*data.get("campaigns", []), *data["shots"], *data["review"]])
    await client.views_publish(user_id=user_id, view=home_view(data, notice))


# ---- rendering (pure) ---------------------------------------------------------------------------


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def _link(item: dict, links: dict) -> str:
    link = links.get((item["channel_id"], item.get("card_ts")))
    return f" · <{link}|thread>" if link else ""


def _title(text: str | None) -> str:
    words = " ".join((text or "").split())
    return (words[:80] + "…") if len(words) > 80 else words


def _standing(shot: dict[str, Any]) -> str:
    """The latest version's state and cost, in the card's words."""
    job, take = shot["job"], shot.get("take")
    if take is None:
        return f"J{job['id']} {job['state'].replace('_', ' ')} · est. {usd(job['estimate_usd'])}"
    state = take["state"]
    if state == TakeState.RENDERING and take.get("progress"):
        state = f"rendering {take['progress']}%"
    elif state == TakeState.DELIVERED and take.get("approved_at"):
        state = "delivered ✅ approved"
    cost = (
        usd(take["cost_usd"]) if take["state"] == TakeState.DELIVERED else f"est. {usd(job['estimate_usd'])}"
    )
    notes = f" · {note_count(take.get('notes') or 0)}" if take.get("notes") else ""
    return f"v{take['version']} {state} · {cost}{notes}"


def _shot(shot: dict[str, Any], links: dict) -> list[dict]:
    job = shot["job"]
    line = (
        f"*J{job['id']}* in <#{shot['channel_id']}> · {_standing(shot)} · `{job['model']}`"
        f"{_link(shot, links)}\n_{_title(shot.get('title'))}_"
    )
    return [_section(line)]


def _campaign(campaign: dict[str, Any], links: dict) -> list[dict]:
    """`C7 Spring drop in #launch · 4 of 6 delivered · board`: a campaign, whose shots are on its board."""
    board = links.get((campaign["channel_id"], campaign.get("card_ts")))
    link = f" · <{board}|board>" if board else ""
    line = (
        f"*C{campaign['id']}* {_title(campaign.get('title'))} in <#{campaign['channel_id']}> · "
        f"{campaign['delivered']} of {campaign['shots']} delivered{link}"
    )
    return [_section(line)]


def _review(item: dict, links: dict) -> list[dict]:
    if item["take_id"] is None:
        what = f"*J{item['job_id']}* waits for approval · estimate {usd(item['cost_usd'])}"
        ref = f"{item['shot_id']}:job:{item['job_id']}"
    else:
        what = f"*v{item['version']}* of J{item['job_id']} · {usd(item['cost_usd'])}"
        ref = f"{item['shot_id']}:take:{item['take_id']}"
    line = (
        f"{what} · <#{item['channel_id']}> · `{item['model']}` · asked by <@{item['user_id']}>"
        f"{_link(item, links)}\n_{_title(item.get('title'))}_"
    )
    value = f"{item['channel_id']}:{ref}"
    buttons = [
        {"type": "button", "text": {"type": "plain_text", "text": "Approve"}, "style": "primary",
         "action_id": "home_approve", "value": value},
        {"type": "button", "text": {"type": "plain_text", "text": "Reject"}, "style": "danger",
         "action_id": "home_reject", "value": value},
    ]  # fmt: skip
    return [_section(line), {"type": "actions", "block_id": f"review-{ref}", "elements": buttons}]


def _library(channel: str, subjects: list[dict]) -> list[dict]:
    lines = [f"*<#{channel}>*"]
    for s in subjects[:20]:
        desc = f" — {s['description']}" if s["description"] else ""
        count = s["image_count"]
        lines.append(f"• `{{{s['name']}}}`{desc} ({count} image{'s' if count != 1 else ''})")
    return [_section("\n".join(lines))]


def _fit(groups: list[list[dict]], limit: int = MAX_BLOCKS) -> list[dict]:
    """Whole groups (a heading, an item and its buttons) while they fit; the rest is left for
    Slack's own lists, said in one last line. Never a heading without its first item."""
    blocks: list[dict] = []
    for n, group in enumerate(groups):
        room = limit - len(blocks) - (1 if n < len(groups) - 1 else 0)
        if len(group) > room:
            return [*blocks, _context(MORE)]
        blocks.extend(group)
    return blocks


def home_view(data: dict, notice: str = "") -> dict:
    """The `views.publish` view for `storage.home.home_of`'s data (and a line on what just happened). Pure."""
    links = data.get("links", {})
    new = {
        "type": "button", "text": {"type": "plain_text", "text": "New video"}, "style": "primary",
        "action_id": NEW_VIDEO, "value": "new",
    }  # fmt: skip
    campaign = {
        "type": "button", "text": {"type": "plain_text", "text": "New campaign"},
        "action_id": NEW_CAMPAIGN, "value": "new",
    }  # fmt: skip
    groups: list[list[dict]] = [
        [
            {"type": "actions", "block_id": "home-new", "elements": [new, campaign]},
            _context("…or type `/video` in a channel."),
        ]
    ]
    if notice:
        groups.append([_section(notice)])
    review = data.get("review", [])
    if review:
        items = [_review(i, links) for i in review]
        groups.append([_header("Waiting for your review"), *items[0]])
        groups.extend(items[1:])
    campaigns = data.get("campaigns", [])
    if campaigns:
        items = [_campaign(c, links) for c in campaigns]
        groups.append([_header("Your campaigns"), *items[0]])
        groups.extend(items[1:])
    shots = data.get("shots", [])
    if shots:
        items = [_shot(s, links) for s in shots]
        groups.append([_header("Your recent shots"), *items[0]])
        groups.extend(items[1:])
    else:
        groups.append(
            [
                _header("Your recent shots"),
                _section(
                    "No shots yet. Press New video, or try `/video a red fox trotting through fresh snow`."
                ),
            ]
        )
    libraries = [(c, s) for c, s in data.get("libraries", {}).items() if s]
    if libraries:
        items = [_library(c, s) for c, s in libraries]
        groups.append([_header("Subjects in your channels"), *items[0]])
        groups.extend(items[1:])
    else:
        groups.append(
            [
                _header("Subjects in your channels"),
                _section("No subjects yet in the channels where you used Dailies."),
            ]
        )
    groups.append([_context(HOW_TO)])
    return {"type": "home", "blocks": _fit(groups)}

"""The App Home tab: a user's recent jobs and the subject libraries of the channels they use."""

from __future__ import annotations

import asyncio

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from storage import jobs as jobs_db
from storage import subjects as subjects_db
from storage.db import Db
from storage.states import JobState

MAX_JOBS = 10
MAX_CHANNELS = 8
HOW_TO = (
    "Use a subject with `{name}` in a prompt (e.g. `/video {maya} walks into the studio`) or `--subject name`; "
    'make it talk with `/video avatar {maya} "hello"`. Add one with `/video subject add NAME IMAGE_URL -- description`.'
)


def load_home(db: Db, user_id: str) -> dict:
    """What the tab shows, read in one go: the user's jobs (with card ts) and their channels' subjects."""
    jobs = jobs_db.recent_jobs_of_user(db, user_id, MAX_JOBS)
    channels = subjects_db.channels_of_user(db, user_id)[:MAX_CHANNELS]
    return {"jobs": jobs, "libraries": {c: subjects_db.list_subjects(db, c) for c in channels}}


async def thread_links(client: AsyncWebClient, jobs: list[dict]) -> dict[int, str]:
    """Job id -> its card's permalink, asked from Slack (`chat.getPermalink`): the workspace's own
    URL, which a hand-built slack.com link is not (custom domains, Enterprise Grid)."""

    async def one(job: dict) -> tuple[int, str | None]:
        try:
            answer = await client.chat_getPermalink(channel=job["channel_id"], message_ts=job["card_ts"])
        except SlackApiError:
            return job["id"], None  # a deleted card or a channel we left: the line goes without a link
        return job["id"], answer.get("permalink")

    found = await asyncio.gather(*(one(j) for j in jobs if j.get("card_ts")))
    return {job_id: link for job_id, link in found if link}


def _thread_link(job: dict, links: dict[int, str]) -> str:
    link = links.get(job["id"])
    return f" · <{link}|thread>" if link else ""


def _cost(job: dict) -> str:
    if job["state"] == JobState.DELIVERED and job.get("cost_usd") is not None:
        return f"${job['cost_usd']:.2f}"
    return f"est. ${job.get('estimate_usd') or 0:.2f}"


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def home_view(data: dict) -> dict:
    """The `views.publish` view for `load_home`'s data. Pure."""
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": "Your recent jobs"}}]
    if data["jobs"]:
        lines = [
            f"• *J{j['id']}* in <#{j['channel_id']}> · {j['state']} · `{j['model']}` · {_cost(j)}"
            f"{_thread_link(j, data.get('links', {}))}\n   _{(j.get('title') or '')[:80]}_"
            for j in data["jobs"]
        ]
        blocks.append(_section("\n".join(lines)))
    else:
        blocks.append(
            _section("No jobs yet. Try `/video a red fox trotting through fresh snow` in a channel.")
        )
    blocks.append({"type": "header", "text": {"type": "plain_text", "text": "Subjects in your channels"}})
    shown = False
    for channel, subjects in data["libraries"].items():
        if not subjects:
            continue
        shown = True
        lines = [f"*<#{channel}>*"]
        for s in subjects[:20]:
            desc = f" — {s['description']}" if s["description"] else ""
            count = s["image_count"]
            lines.append(f"• `{{{s['name']}}}`{desc} ({count} image{'s' if count != 1 else ''})")
        blocks.append(_section("\n".join(lines)))
    if not shown:
        blocks.append(_section("No subjects yet in the channels where you used Dailies."))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": HOW_TO}]})
    return {"type": "home", "blocks": blocks[:100]}

"""What Dailies says around a job card besides the card itself: a note in the job's thread, an
ephemeral answer to one person, its own ✅ on an approved card, and where a clip's message is.
Each is a courtesy the card also shows, so a Slack failure is logged and reported, never raised."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
APPROVED_MARK = "white_check_mark"


class ThreadNotes:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post(self, channel_id: str, thread_ts: str | None, text: str) -> bool:
        """A line in a thread for everyone in it; False when Slack did not take it."""
        try:
            await self.client.chat_postMessage(channel=channel_id, thread_ts=thread_ts, text=text)
        except Exception as exc:
            log.warning("could not post in thread %s/%s (%s)", channel_id, thread_ts, type(exc).__name__)
            return False
        return True

    async def tell(self, channel_id: str, user_id: str, text: str, thread_ts: str | None = None) -> bool:
        """An ephemeral line for one person (in a thread when `thread_ts` is given)."""
        try:
            await self.client.chat_postEphemeral(
                channel=channel_id, user=user_id, text=text, thread_ts=thread_ts
            )
        except Exception as exc:  # the person left, or Slack is unreachable: nothing else to lose
            log.info("could not tell %s in %s (%s)", user_id, channel_id, type(exc).__name__)
            return False
        return True

    async def offer(
        self, channel_id: str, user_id: str, thread_ts: str, text: str, blocks: list[dict]
    ) -> bool:
        """An ephemeral message with buttons for one person, in a job's thread."""
        try:
            await self.client.chat_postEphemeral(
                channel=channel_id, user=user_id, text=text, blocks=blocks, thread_ts=thread_ts
            )
        except Exception as exc:  # the person left, or Slack is unreachable: the note stays a note
            log.info("could not offer %s a render in %s (%s)", user_id, channel_id, type(exc).__name__)
            return False
        return True

    async def mark_approved(self, channel_id: str, ts: str) -> None:
        """The bot's own ✅ on a card: an approved shot is visible at a glance in the channel."""
        try:
            await self.client.reactions_add(channel=channel_id, timestamp=ts, name=APPROVED_MARK)
        except Exception as exc:  # already_reacted, or Slack unreachable: the card's headline says it too
            log.info("could not add the approval mark on %s/%s (%s)", channel_id, ts, type(exc).__name__)

    async def clip_message_ts(self, channel_id: str, file_id: str) -> str | None:
        """The ts of the message that shows the file in `channel_id`, from `files.info` shares (Tier
        4; conversations.replies allows a distributed app one call a minute, too few to review by);
        None while Slack has not recorded the share, or when it can't say."""
        try:
            resp = await self.client.files_info(file=file_id)
        except Exception as exc:
            log.info("could not look up file %s (%s)", file_id, type(exc).__name__)
            return None
        return share_ts(resp.get("file") or {}, channel_id)


def share_ts(file: dict, channel_id: str) -> str | None:
    """The ts of the file's share in `channel_id` (public or private), if Slack lists one."""
    shares = file.get("shares") or {}
    for kind in ("public", "private"):
        for share in (shares.get(kind) or {}).get(channel_id) or ():
            if share.get("ts"):
                return str(share["ts"])
    return None

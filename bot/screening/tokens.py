"""Screening-room passes (pure): HMAC-signed, expiring capabilities naming one shot (or one
campaign), and for decisions the Slack user they were issued to. No accounts or cookies: the link
is the grant."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from bot.screening import signed
from storage.campaigns import CUT
from storage.rows import ShotRow

VERSION = "r1"
# a pass from the card's button lets anyone who can see the card watch; deterministic per shot, so
# re-rendering the card does not change its blocks (and cost a chat.update)
VIEW_SECONDS = 90 * 24 * 3600
# a pass that can approve is personal and short-lived: it is handed out in an ephemeral message
DECIDE_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Pass:
    team_id: str
    channel_id: str
    shot_id: int
    expires: int  # Unix seconds
    user_id: str = ""  # set: the holder may decide as this Slack user

    @property
    def can_decide(self) -> bool:
        return bool(self.user_id)


def derive_key(secret: str) -> bytes:
    """A key of its own, so a pass never doubles as anything signed with the secret itself."""
    return hmac.new(secret.encode(), b"dailies screening room", hashlib.sha256).digest()


MAC_BYTES = 20  # what every pass handed out so far carries


def issue(key: bytes, p: Pass) -> str:
    fields = (VERSION, p.team_id, p.channel_id, str(p.shot_id), str(p.expires), p.user_id)
    return signed.sign(key, fields, mac_length=MAC_BYTES)


def read(key: bytes, token: str, now: float) -> Pass | None:
    """The pass, or None when the token is malformed, altered, signed with another key, or expired."""
    parts = signed.verify(key, token, count=6, max_length=400, mac_length=MAC_BYTES)
    if parts is None or parts[0] != VERSION or not parts[3].isdigit() or not parts[4].isdigit():
        return None
    found = Pass(parts[1], parts[2], int(parts[3]), int(parts[4]), parts[5])
    return found if found.expires > now else None


def watch_pass(shot: ShotRow) -> Pass:
    """The card's pass: anyone who can see the card may watch; it expires VIEW_SECONDS after the
    shot was made, and is the same on every render of the card."""
    created = datetime.fromisoformat(shot["created_at"]).timestamp() if shot.get("created_at") else 0
    return Pass(shot.get("team_id") or "", shot["channel_id"], shot["id"], int(created) + VIEW_SECONDS)


def personal_pass(shot: ShotRow, user_id: str, now: float) -> Pass:
    return Pass(shot.get("team_id") or "", shot["channel_id"], shot["id"], int(now) + DECIDE_SECONDS, user_id)


def room_url(public_url: str, key: bytes, p: Pass) -> str:
    return f"{public_url.rstrip('/')}/review/{issue(key, p)}"


CAMPAIGN_VERSION = "c1"  # a campaign's pass: never read as a shot's, nor the reverse


@dataclass(frozen=True)
class CampaignPass:
    """A pass to a campaign's page: every shot of campaign `campaign_id` in that workspace's channel."""

    team_id: str
    channel_id: str
    campaign_id: int
    expires: int  # Unix seconds
    user_id: str = ""  # set: the holder may decide as this Slack user


def issue_campaign(key: bytes, p: CampaignPass) -> str:
    fields = (CAMPAIGN_VERSION, p.team_id, p.channel_id, str(p.campaign_id), str(p.expires), p.user_id)
    return signed.sign(key, fields, mac_length=MAC_BYTES)


def read_campaign(key: bytes, token: str, now: float) -> CampaignPass | None:
    """The campaign's pass, or None when the token is malformed, altered, a shot's, or expired."""
    parts = signed.verify(key, token, count=6, max_length=400, mac_length=MAC_BYTES)
    if parts is None or parts[0] != CAMPAIGN_VERSION or not parts[3].isdigit() or not parts[4].isdigit():
        return None
    found = CampaignPass(parts[1], parts[2], int(parts[3]), int(parts[4]), parts[5])
    return found if found.expires > now else None


def campaign_watch_pass(shot: ShotRow) -> CampaignPass:
    """The board's pass to the campaign of `shot` (the board or one of its shots, all made at the
    same moment): the same on every render, expiring VIEW_SECONDS after the campaign was made."""
    created = datetime.fromisoformat(shot["created_at"]).timestamp() if shot.get("created_at") else 0
    campaign_id = shot.get("campaign_id")
    if campaign_id is None:
        raise ValueError(f"shot {shot['id']} is no campaign's")
    return CampaignPass(
        shot.get("team_id") or "", shot["channel_id"], campaign_id, int(created) + VIEW_SECONDS
    )


@dataclass(frozen=True)
class RoomLinks:
    """Signed links into the screening room at `public_url`: the card's watch link and a person's own."""

    public_url: str
    key: bytes

    def watch(self, shot: ShotRow) -> str:
        return room_url(self.public_url, self.key, watch_pass(shot))

    def personal(self, shot: ShotRow, user_id: str, now: float) -> str:
        return room_url(self.public_url, self.key, personal_pass(shot, user_id, now))

    def campaign(self, p: CampaignPass) -> str:
        return f"{self.public_url.rstrip('/')}/campaign/{issue_campaign(self.key, p)}"

    def card_link(self, shot: ShotRow) -> str:
        """The link a card shows: a campaign shot's is its row on the campaign's page (`…#S3`, and
        the board's Screening room button is that page), any other shot's (the cut's too, whose page
        marks its shots on the timeline) is its own page."""
        if shot.get("campaign_id") and shot.get("campaign_shot") not in (None, CUT):
            return f"{self.campaign(campaign_watch_pass(shot))}#S{shot['campaign_shot']}"
        return self.watch(shot)

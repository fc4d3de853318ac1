"""The screening room's HTTP routes: the page, each version's clip (ranged, relayed from Slack)
and poster, and decisions posted from the page, which go through the studio's button entry point
(the same rules, audit and card update as in Slack)."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Config
from bot.delivery.slack_clip import ClipUnavailable, SlackClips, SlackFile
from bot.screening import tokens
from bot.screening.page import refused_page, render_page
from bot.screening.posters import Posters
from bot.screening.room import Room, build_room
from bot.screening.stream import serve_clip
from bot.slack.people import People
from bot.slack.workspace import WorkspaceGone
from bot.studio.origin import Origin
from bot.studio.studio import Studio
from storage import approvals
from storage import jobs as jobs_db
from storage.db import Store
from storage.rows import ShotRow
from storage.states import TakeState

log = logging.getLogger(__name__)
ACTIONS = ("approve", "reject", "another_take", "final_render")
ASSETS = {"room.css": "text/css", "room.js": "text/javascript"}
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",  # the pass is in the URL: never hand it to another site
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


def _any_workspace(team_id: str) -> AbstractAsyncContextManager:
    return nullcontext()


@dataclass(frozen=True)
class RoomSlack:
    """What the room asks Slack: the clips (files) and people's names, inside `serving(team_id)`."""

    clips: SlackClips
    people: People
    serving: Callable[[str], AbstractAsyncContextManager] = _any_workspace


class ScreeningRoom:
    def __init__(
        self, studio: Studio, store: Store, slack: RoomSlack, links: tokens.RoomLinks, posters_dir: Path
    ) -> None:
        self.serving = slack.serving  # Slack calls made inside are for that workspace, with its token
        self.studio = studio  # decisions go through its public entry points, as Slack's do
        self.store = store
        self.clips = slack.clips
        self.people = slack.people
        self.links = links
        self.key = links.key
        self.public_url = links.public_url
        self.posters = Posters(slack.clips, posters_dir)

    # ---- links ------------------------------------------------------------------------------------
    def watch_link(self, shot: ShotRow) -> str:
        return self.links.watch(shot)

    async def personal_link(self, channel_id: str, user_id: str, shot_id: int) -> str | None:
        """A link that decides as `user_id`, for the ephemeral "open as me" answer to the card's button."""
        shot = await self.store.run(jobs_db.get_shot, shot_id)
        if shot is None or shot["channel_id"] != channel_id:
            return None
        return self.links.personal(shot, user_id, time.time())

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/review/{token}", self.page)
        app.router.add_post("/review", self.decide)
        app.router.add_get(r"/review/{token}/v{version:\d+}.mp4", self.clip)
        app.router.add_get(r"/review/{token}/v{version:\d+}.jpg", self.poster)
        app.router.add_get("/review-assets/{name}", self.asset)

    # ---- what a pass opens ---------------------------------------------------------------------------
    async def _shot(self, token: str) -> tuple[tokens.Pass, ShotRow] | None:
        found = tokens.read(self.key, token, time.time())
        if found is None:
            return None
        shot = await self.store.run(jobs_db.get_shot, found.shot_id)
        # a pass names its workspace and channel: one for another workspace opens nothing here
        if (
            shot is None
            or shot["channel_id"] != found.channel_id
            or (shot.get("team_id") or "") != found.team_id
        ):
            return None
        return found, shot

    @asynccontextmanager
    async def _for_workspace(self, shot: ShotRow) -> AsyncIterator[None]:
        """What a page, clip or decision asks of Slack is asked with the token of the shot's
        workspace (distribution mode); a workspace that removed Dailies opens nothing."""
        try:
            async with self.serving(shot.get("team_id") or ""):
                yield
        except WorkspaceGone:
            raise web.HTTPForbidden(
                text=refused_page(), content_type="text/html", headers=PAGE_HEADERS
            ) from None

    async def _room(self, found: tokens.Pass, shot: ShotRow) -> Room:
        jobs, takes, decisions, settings, notes = await self.store.run(
            approvals.room_of, shot["id"], shot["team_id"] or "", shot["channel_id"]
        )
        return build_room(
            shot, jobs, takes, decisions, tuple(settings.approvers), settings.approval_rule, found.user_id,
            notes,
        )  # fmt: skip

    async def _take_file(self, shot: ShotRow, version: int) -> SlackFile:
        """The version's file as Slack has it; call inside `_for_workspace(shot)`."""
        takes = await self.store.run(jobs_db.takes_of_shot, shot["id"])
        take = next((t for t in takes if t["version"] == version and t["state"] == TakeState.DELIVERED), None)
        file_id = take.get("slack_file_id") if take is not None else None
        if not file_id:
            raise web.HTTPNotFound()
        try:
            return await self.clips.locate(file_id)
        except ClipUnavailable as exc:
            log.info("v%s of shot %s is not available from Slack (%s)", version, shot["id"], exc)
            raise web.HTTPNotFound() from None

    # ---- handlers ---------------------------------------------------------------------------------------
    async def page(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        opened = await self._shot(token)
        if opened is None:
            return _refused()
        async with self._for_workspace(opened[1]):
            return await self._render(token, *opened)

    async def _render(self, token: str, found: tokens.Pass, shot: ShotRow, note: str = "") -> web.Response:
        room = await self._room(found, shot)
        people = [found.user_id, *room.approvers]
        for v in room.versions:
            people += [v.asked_by, *(d.user_id for d in v.decisions), *(n.user_id for n in v.notes)]
        names = await self.people.names(people)
        html = render_page(room, token, names=names, note=note, once=secrets.token_hex(8))
        return web.Response(text=html, content_type="text/html", headers=PAGE_HEADERS)

    async def clip(self, request: web.Request) -> web.StreamResponse:
        opened = await self._shot(request.match_info["token"])
        if opened is None:
            return _refused()
        async with self._for_workspace(opened[1]):
            file = await self._take_file(opened[1], int(request.match_info["version"]))
            try:
                return await serve_clip(request, self.clips, file)
            except ClipUnavailable as exc:
                log.info("clip %s could not be relayed (%s)", file.file_id, exc)
                raise web.HTTPBadGateway() from None

    async def poster(self, request: web.Request) -> web.Response:
        opened = await self._shot(request.match_info["token"])
        if opened is None:
            return _refused()
        async with self._for_workspace(opened[1]):
            file = await self._take_file(opened[1], int(request.match_info["version"]))
            data = await self.posters.jpeg(file)
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(
            body=data, content_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"}
        )

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in ASSETS:
            raise web.HTTPNotFound()
        body = files("bot.screening").joinpath("assets", name).read_bytes()
        return web.Response(
            body=body, content_type=ASSETS[name], headers={"Cache-Control": "public, max-age=3600"}
        )

    async def decide(self, request: web.Request) -> web.Response:
        if not self._same_origin(request):
            return _refused()
        form = await request.post()
        token, action, version = (str(form.get(k, "")) for k in ("token", "action", "version"))
        opened = await self._shot(token)
        if opened is None or not opened[0].can_decide:
            return _refused()
        async with self._for_workspace(opened[1]):
            return await self._decide(token, action, version, str(form.get("once", "")), *opened)

    async def _decide(
        self, token: str, action: str, version: str, once: str, found: tokens.Pass, shot: ShotRow
    ) -> web.Response:
        if action not in ACTIONS or not version.isdigit():
            return await self._render(token, found, shot, "That button is not one Dailies knows.")
        takes = await self.store.run(jobs_db.takes_of_shot, shot["id"])
        take = next((t for t in takes if t["version"] == int(version)), None)
        if take is None:
            return await self._render(token, found, shot, f"There is no v{version} in this shot.")
        origin = Origin(
            channel_id=shot["channel_id"],
            user_id=found.user_id,
            team_id=found.team_id,
            source_key=f"room:{shot['id']}:{secrets.token_hex(8)}",
        )
        if once and not await self.studio.first_time(f"room:{once}:{action}:{version}", "screening"):
            return await self._render(token, found, shot, "Already done.")
        try:
            if action in ("approve", "reject"):
                reply = await self.studio.decide(origin, take["id"], action, via="screening room")
            else:
                reply = await self.studio.button(origin, action, f"{shot['id']}:take:{take['id']}")
        except Exception:
            log.exception("screening-room %s on shot %s failed", action, shot["id"])
            reply = "Something went wrong on our side and nothing changed. Please try again."
        return await self._render(token, found, shot, reply or "Done: the card in Slack says so too.")

    def _same_origin(self, request: web.Request) -> bool:
        """A form posted from another site carries its Origin: only this one's is accepted."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        allowed = {_origin(self.public_url), f"{request.scheme}://{request.host}"}
        return origin in allowed


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _refused() -> web.Response:
    return web.Response(status=403, text=refused_page(), content_type="text/html", headers=PAGE_HEADERS)


def room_links(config: Config) -> tokens.RoomLinks | None:
    """The room's links when Dailies has a public URL to link to and a secret to sign passes with."""
    if not config.public_base_url:
        return None
    secret = config.review_secret or config.slack_signing_secret
    if not secret:
        log.warning(
            "DAILIES_PUBLIC_URL is set but no screening-room links can be signed: "
            "set DAILIES_REVIEW_SECRET (any long random string)"
        )
        return None
    return tokens.RoomLinks(config.public_base_url.rstrip("/"), tokens.derive_key(secret))


def room_slack(
    config: Config,
    client: AsyncWebClient,
    http: httpx.AsyncClient,
    file_hosts: tuple[str, ...],
    serving: Callable[[str], AbstractAsyncContextManager] = _any_workspace,
) -> RoomSlack:
    # the Slack Web API Dailies is configured for already gets the token: its host may serve files too
    api_host = urlsplit(config.slack_api_url).netloc
    clips = SlackClips(client, http, config.slack_bot_token, file_hosts=(*file_hosts, api_host))
    return RoomSlack(clips, People(client), serving)


def screening_room(
    config: Config, links: tokens.RoomLinks | None, studio: Studio, store: Store, slack: RoomSlack
) -> ScreeningRoom | None:
    """The room behind `links`; none without them (no public URL or nothing to sign with)."""
    if links is None:
        return None
    return ScreeningRoom(studio, store, slack, links, Path(config.media_dir) / "posters")

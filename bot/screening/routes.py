"""The screening room's HTTP routes: the page, each version's clip (ranged, relayed from Slack)
and poster, Sign in with Slack when configured, and decisions posted from the page, which go
through the studio's entry points (the same rules, audit and card update as in Slack)."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Config
from bot.delivery.slack_clip import ClipUnavailable, SlackClips, SlackFile
from bot.screening import sessions, tokens
from bot.screening.campaign_page import CampaignRow, render_campaign_page
from bot.screening.cut_room import source_takes, with_sequences
from bot.screening.page import (
    SignInView,
    other_workspace_page,
    refused_page,
    render_page,
    sign_in_failed_page,
    stale_form_page,
)
from bot.screening.posters import Posters
from bot.screening.room import Room, build_room
from bot.screening.signin import CALLBACK_PATH, START_PATH, STATE_COOKIE, SignIn, SignInFailed, SignInSettings
from bot.screening.stream import serve_clip
from bot.slack.people import People
from bot.slack.workspace import WorkspaceGone
from bot.studio.origin import Origin
from bot.studio.studio import Studio
from storage import approvals
from storage import campaigns as campaigns_db
from storage import cuts as cuts_db
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
        self,
        studio: Studio,
        store: Store,
        slack: RoomSlack,
        links: tokens.RoomLinks,
        posters_dir: Path,
        sign_in: SignIn | None = None,
    ) -> None:
        # with Sign in with Slack, the signed-in person decides (a pass only opens the room)
        self.sign_in = sign_in
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

    async def personal_campaign_link(self, channel_id: str, user_id: str, campaign_id: int) -> str | None:
        """A link to the campaign's page that decides as `user_id` (the board's button's answer)."""
        campaign = await self.store.run(campaigns_db.get_campaign, campaign_id)
        if campaign is None or campaign["channel_id"] != channel_id:
            return None
        expires = int(time.time()) + tokens.DECIDE_SECONDS
        team = campaign.get("team_id") or ""
        return self.links.campaign(tokens.CampaignPass(team, channel_id, campaign_id, expires, user_id))

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/review/{token}", self.page)
        app.router.add_post("/review", self.decide)
        app.router.add_get(r"/review/{token}/v{version:\d+}.mp4", self.clip)
        app.router.add_get(r"/review/{token}/v{version:\d+}.jpg", self.poster)
        app.router.add_get("/campaign/{token}", self.campaign_page)
        app.router.add_post("/campaign", self.campaign_decide)
        app.router.add_get(r"/campaign/{token}/{shot:\d+}/v{version:\d+}.mp4", self.campaign_clip)
        app.router.add_get(r"/campaign/{token}/{shot:\d+}/v{version:\d+}.jpg", self.campaign_poster)
        app.router.add_get("/review-assets/{name}", self.asset)
        if self.sign_in is not None:
            app.router.add_get(START_PATH, self.sign_in_start)
            app.router.add_get(CALLBACK_PATH, self.sign_in_callback)

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

    async def _campaign(self, token: str) -> tuple[tokens.CampaignPass, dict, list[ShotRow]] | None:
        """The campaign a pass opens, with the shots its page shows; None for a pass that is not a
        campaign's, or names another workspace or channel than the campaign's."""
        found = tokens.read_campaign(self.key, token, time.time())
        if found is None:
            return None
        opened = await self.store.run(campaigns_db.rows_of_campaign, found.campaign_id)
        if opened is None:
            return None
        campaign, shots = opened
        if campaign["channel_id"] != found.channel_id or (campaign.get("team_id") or "") != found.team_id:
            return None
        return found, campaign, shots

    async def _campaign_shot(self, token: str, shot_ref: str) -> tuple[tokens.CampaignPass, ShotRow] | None:
        """One shot of the campaign a pass opens (a shot of any other campaign opens nothing)."""
        found = tokens.read_campaign(self.key, token, time.time())
        if found is None or not shot_ref.isdigit():
            return None
        shot = await self.store.run(jobs_db.get_shot, int(shot_ref))
        if (
            shot is None
            or shot.get("campaign_id") != found.campaign_id
            or shot["channel_id"] != found.channel_id
            or (shot.get("team_id") or "") != found.team_id
        ):
            return None
        return found, shot

    @asynccontextmanager
    async def _for_workspace(self, shot: ShotRow | dict) -> AsyncIterator[None]:
        """What a page, clip or decision asks of Slack is asked with the token of the shot's
        workspace (distribution mode); a workspace that removed Dailies opens nothing."""
        try:
            async with self.serving(shot.get("team_id") or ""):
                yield
        except WorkspaceGone:
            raise web.HTTPForbidden(
                text=refused_page(), content_type="text/html", headers=PAGE_HEADERS
            ) from None

    async def _room(self, viewer: str, shot: ShotRow) -> Room:
        jobs, takes, decisions, settings, notes = await self.store.run(
            approvals.room_of, shot["id"], shot["team_id"] or "", shot["channel_id"]
        )
        room = build_room(
            shot, jobs, takes, decisions, tuple(settings.approvers), settings.approval_rule, viewer, notes
        )
        return await self._sequenced(room, jobs, takes)

    async def _sequenced(self, room: Room, jobs: list, takes: list) -> Room:
        """A cut's room: each version's shots on its timeline and their notes in place."""
        sources = source_takes(jobs)  # a cut's: its pieces' versions, whose notes it shows in place
        if not sources:
            return room
        return with_sequences(room, jobs, takes, await self.store.run(cuts_db.source_notes, sources))

    def _session(self, request: web.Request) -> sessions.Session | None:
        return self.sign_in.session(request.cookies.get(sessions.COOKIE)) if self.sign_in else None

    def _viewer(
        self, request: web.Request, token: str, found: tokens.Pass | tokens.CampaignPass, shot: ShotRow | dict
    ) -> tuple[str, SignInView | None]:
        """Whose decisions the page offers: the pass's user without sign-in; with it, the signed-in
        person, and only when they belong to the shot's workspace."""
        if self.sign_in is None:
            return found.user_id, None
        url = f"{START_PATH}?{urlencode({'to': token})}"
        session = self._session(request)
        if session is None:
            return "", SignInView(url)
        if session.team_id != (shot.get("team_id") or ""):
            return "", SignInView(url, elsewhere=True)
        return session.user_id, SignInView(url, session.user_id, self.sign_in.csrf(session))

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
            return await self._render(request, token, *opened)

    async def _render(
        self, request: web.Request, token: str, found: tokens.Pass, shot: ShotRow, note: str = ""
    ) -> web.Response:
        viewer, sign_in = self._viewer(request, token, found, shot)
        room = await self._room(viewer, shot)
        people = [viewer, *room.approvers]
        for v in room.versions:
            people += [v.asked_by, *(d.user_id for d in v.decisions), *(n.user_id for n in v.notes)]
        names = await self.people.names(people)
        html = render_page(room, token, names=names, note=note, once=secrets.token_hex(8), sign_in=sign_in)
        return web.Response(text=html, content_type="text/html", headers=PAGE_HEADERS)

    async def clip(self, request: web.Request) -> web.StreamResponse:
        opened = await self._shot(request.match_info["token"])
        if opened is None:
            return _refused()
        return await self._clip(request, opened[1])

    async def _clip(self, request: web.Request, shot: ShotRow) -> web.StreamResponse:
        async with self._for_workspace(shot):
            file = await self._take_file(shot, int(request.match_info["version"]))
            try:
                return await serve_clip(request, self.clips, file)
            except ClipUnavailable as exc:
                log.info("clip %s could not be relayed (%s)", file.file_id, exc)
                raise web.HTTPBadGateway() from None

    async def poster(self, request: web.Request) -> web.Response:
        opened = await self._shot(request.match_info["token"])
        if opened is None:
            return _refused()
        return await self._poster(request, opened[1])

    async def _poster(self, request: web.Request, shot: ShotRow) -> web.Response:
        async with self._for_workspace(shot):
            file = await self._take_file(shot, int(request.match_info["version"]))
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
        if opened is None:
            return _refused()
        found, shot = opened
        # with Sign in with Slack the signed-in person decides, whatever the pass says
        decider = self._decider(request, form, token, found.user_id, shot, f"/review/{token}")
        if isinstance(decider, web.Response):
            return decider
        async with self._for_workspace(shot):
            return await self._decide(
                request, token, action, version, str(form.get("once", "")), decider, opened
            )

    def _decider(
        self,
        request: web.Request,
        form: Mapping[str, object],
        token: str,
        holder: str,
        shot: ShotRow,
        back: str,
    ) -> str | web.Response:
        """Who decides: the pass's holder, or with Sign in with Slack the signed-in member (whatever
        the pass says); the answer refusing the decision when there is no one."""
        decider = holder if self.sign_in is None else self._signed_in(request, form, token, shot, back)
        return decider or _refused()

    def _signed_in(
        self, request: web.Request, form: Mapping[str, object], token: str, shot: ShotRow, back: str
    ) -> str | web.Response:
        """The signed-in decider, or the answer refusing the decision: no session (or a forged or
        expired cookie) goes to sign in; a form without this session's CSRF token, or a member of
        another workspace, gets a page saying nothing was decided."""
        assert self.sign_in is not None
        session = self._session(request)
        if session is None:
            raise web.HTTPSeeOther(f"{START_PATH}?{urlencode({'to': token})}", headers=PAGE_HEADERS)
        if not self.sign_in.csrf_ok(session, str(form.get("csrf", ""))):
            return _page(403, stale_form_page(back))
        if session.team_id != (shot.get("team_id") or ""):
            log.info("a member of %s was refused a decision on shot %s", session.team_id, shot["id"])
            return _page(403, other_workspace_page(back))
        return session.user_id

    async def _decide(
        self,
        request: web.Request,
        token: str,
        action: str,
        version: str,
        once: str,
        decider: str,
        opened: tuple[tokens.Pass, ShotRow],
    ) -> web.Response:
        found, shot = opened
        reply = await self._decision(shot, found.team_id, decider, action, version, once)
        return await self._render(request, token, found, shot, reply)

    async def _decision(
        self, shot: ShotRow, team_id: str, decider: str, action: str, version: str, once: str
    ) -> str:
        """Decide `action` on v`version` of `shot` as `decider` through the studio, as a reaction or
        button in Slack would (call inside `_for_workspace(shot)`); the answer the page shows."""
        if action not in ACTIONS or not version.isdigit():
            return "That button is not one Dailies knows."
        takes = await self.store.run(jobs_db.takes_of_shot, shot["id"])
        take = next((t for t in takes if t["version"] == int(version)), None)
        if take is None:
            return f"There is no v{version} in this shot."
        origin = Origin(
            channel_id=shot["channel_id"],
            user_id=decider,
            team_id=team_id,
            source_key=f"room:{shot['id']}:{secrets.token_hex(8)}",
        )
        if once and not await self.studio.first_time(f"room:{once}:{action}:{version}", "screening"):
            return "Already done."
        try:
            if action in ("approve", "reject"):
                reply = await self.studio.decide(origin, take["id"], action, via="screening room")
            else:
                reply = await self.studio.button(origin, action, f"{shot['id']}:take:{take['id']}")
        except Exception:
            log.exception("screening-room %s on shot %s failed", action, shot["id"])
            reply = "Something went wrong on our side and nothing changed. Please try again."
        return reply or "Done: the card in Slack says so too."

    # ---- a campaign's page -------------------------------------------------------------------------
    async def campaign_page(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        opened = await self._campaign(token)
        if opened is None:
            return _refused()
        async with self._for_workspace(opened[1]):
            return await self._render_campaign(request, token, *opened)

    async def _render_campaign(
        self,
        request: web.Request,
        token: str,
        found: tokens.CampaignPass,
        campaign: dict,
        shots: list[ShotRow],
        note: str = "",
    ) -> web.Response:
        viewer, sign_in = self._viewer(request, token, found, campaign)
        team, channel = campaign.get("team_id") or "", campaign["channel_id"]
        read = await self.store.run(campaigns_db.rooms_of, [s["id"] for s in shots], team, channel)
        rows, people = [], [viewer]
        for shot, (jobs, takes, decisions, settings, notes) in zip(shots, read, strict=True):
            approvers, rule = tuple(settings.approvers), settings.approval_rule
            room = build_room(shot, jobs, takes, decisions, approvers, rule, viewer, notes)
            room = await self._sequenced(room, jobs, takes)  # the cut's row marks its shots
            people += room.approvers
            for v in room.versions:
                people += [v.asked_by, *(d.user_id for d in v.decisions), *(n.user_id for n in v.notes)]
            rows.append(self._campaign_row(found, shot, room))
        names = await self.people.names(people)
        html = render_campaign_page(
            campaign["title"] or "", campaign["id"], rows, token,
            names=names, note=note, once=secrets.token_hex(8), sign_in=sign_in,
        )  # fmt: skip
        return web.Response(text=html, content_type="text/html", headers=PAGE_HEADERS)

    def _campaign_row(self, found: tokens.CampaignPass, shot: ShotRow, room: Room) -> CampaignRow:
        number = shot.get("campaign_shot")
        # the shot's own page, with the same grant as the campaign's pass (and the same expiry)
        own = tokens.Pass(found.team_id, found.channel_id, shot["id"], found.expires, found.user_id)
        label = _row_label(shot)
        anchor = f"S{number}" if number not in (None, campaigns_db.CUT) else f"shot-{shot['id']}"
        prompt = shot.get("title") or room.title
        return CampaignRow(label, anchor, shot["id"], prompt, room, f"/review/{tokens.issue(self.key, own)}")

    async def campaign_clip(self, request: web.Request) -> web.StreamResponse:
        opened = await self._campaign_shot(request.match_info["token"], request.match_info["shot"])
        if opened is None:
            return _refused()
        return await self._clip(request, opened[1])

    async def campaign_poster(self, request: web.Request) -> web.Response:
        opened = await self._campaign_shot(request.match_info["token"], request.match_info["shot"])
        if opened is None:
            return _refused()
        return await self._poster(request, opened[1])

    async def campaign_decide(self, request: web.Request) -> web.Response:
        """A decision from the campaign's page, on one version of one of its shots: the same rules
        (pass or Sign in with Slack, CSRF, workspace) and the same studio call as the shot page's."""
        if not self._same_origin(request):
            return _refused()
        form = await request.post()
        token, shot_ref, action, version = (
            str(form.get(k, "")) for k in ("token", "shot", "action", "version")
        )
        opened = await self._campaign_shot(token, shot_ref)
        if opened is None:
            return _refused()
        found, shot = opened
        decider = self._decider(request, form, token, found.user_id, shot, f"/campaign/{token}")
        if isinstance(decider, web.Response):
            return decider
        async with self._for_workspace(shot):
            once = str(form.get("once", ""))
            reply = await self._decision(shot, found.team_id, decider, action, version, once)
            label = _row_label(shot)
            again = await self._campaign(token)  # the page as the decision left it
            if again is None:
                return _refused()
            return await self._render_campaign(request, token, *again, note=f"{label} v{version}: {reply}")

    # ---- Sign in with Slack -----------------------------------------------------------------------
    async def sign_in_start(self, request: web.Request) -> web.Response:
        """ "Sign in with Slack to decide": off to Slack's authorize page, back to this room after."""
        assert self.sign_in is not None
        token = request.query.get("to", "")
        opened = await self._shot(token) or await self._campaign(token)
        if opened is None:
            return _refused()
        url, state = await self.sign_in.start(token, opened[1].get("team_id") or "")
        response = web.Response(status=302, headers={**PAGE_HEADERS, "Location": url})
        response.headers.add("Set-Cookie", self.sign_in.state_cookie(state))
        return response

    async def sign_in_callback(self, request: web.Request) -> web.Response:
        assert self.sign_in is not None
        query = request.query
        try:
            if query.get("error"):
                raise SignInFailed("The sign-in was cancelled on Slack's page, so nobody was signed in.")
            session, back_to = await self.sign_in.finish(
                query.get("code", ""), query.get("state", ""), request.cookies.get(STATE_COOKIE, "")
            )
        except SignInFailed as exc:
            response = _page(400, sign_in_failed_page(str(exc), ""))
            response.headers.add("Set-Cookie", self.sign_in.clear_state_cookie())
            return response
        log.info("%s of %s signed in to the screening room", session.user_id, session.team_id)
        page = "campaign" if tokens.read_campaign(self.key, back_to, time.time()) else "review"
        response = web.Response(status=303, headers={**PAGE_HEADERS, "Location": f"/{page}/{back_to}"})
        response.headers.add("Set-Cookie", self.sign_in.cookie(session))
        response.headers.add("Set-Cookie", self.sign_in.clear_state_cookie())
        return response

    def _same_origin(self, request: web.Request) -> bool:
        """A form posted from another site carries its Origin: only this one's is accepted."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        allowed = {_origin(self.public_url), f"{request.scheme}://{request.host}"}
        return origin in allowed


def _row_label(shot: ShotRow) -> str:
    """How the campaign's page names a shot: S3, the cut, or another shot outside S1…Sn by its title."""
    number = shot.get("campaign_shot")
    if number == campaigns_db.CUT:
        return "The cut"
    return f"S{number}" if number is not None else (shot.get("title") or "Cut")[:40]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _page(status: int, html: str) -> web.Response:
    return web.Response(status=status, text=html, content_type="text/html", headers=PAGE_HEADERS)


def _refused() -> web.Response:
    return _page(403, refused_page())


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
    sign_in = None
    if config.slack_client_id and config.slack_client_secret:
        settings = SignInSettings(
            config.slack_client_id, config.slack_client_secret, config.slack_api_url, links.public_url
        )
        sign_in = SignIn(settings, store, links.key)
    return ScreeningRoom(studio, store, slack, links, Path(config.media_dir) / "posters", sign_in)

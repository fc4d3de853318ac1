"""HTTP mode on aiohttp: Slack's one request URL, provider webhooks, and a health check."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_sdk.signature import SignatureVerifier

from bot.app import Dailies
from bot.providers.webhooks import CallbackRejected
from handlers.replies import DATABASE_AWAY
from storage import jobs as jobs_db
from storage import leases
from storage.db import DatabaseAway, Store
from storage.health import ping

log = logging.getLogger(__name__)
# the health check's own wait for the database; longer and it says so
HEALTH_WAIT_SECONDS = 5.0


@web.middleware
async def database_away(request: web.Request, handler):
    """Any route that needed the database while it was away: 503, so the caller tries again later."""
    try:
        return await handler(request)
    except DatabaseAway as away:
        return unavailable(str(away))


def unavailable(reason: str) -> web.Response:
    return web.json_response({"ok": False, "reason": reason}, status=503, headers={"Retry-After": "5"})


async def database_reason(store: Store) -> str:
    """Why the database cannot serve right now, or "" when it answers."""
    if store.away:
        return store.away
    try:
        await asyncio.wait_for(store.run(ping), HEALTH_WAIT_SECONDS)
    except DatabaseAway as away:
        return str(away)
    except TimeoutError:
        return f"the database did not answer within {HEALTH_WAIT_SECONDS:.0f} s"
    return ""


def web_app(dailies: Dailies) -> web.Application:
    verifier = SignatureVerifier(dailies.config.slack_signing_secret)

    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        if dailies.store.away and verifier.is_valid_request(bolt_request.raw_body, dict(request.headers)):
            if bolt_request.body.get("type") == "event_callback":
                # not acknowledged: Slack delivers the event again later (its retries carry the same
                # event_id; the event inbox stores it once the database is back, so it is handled once)
                return unavailable(dailies.store.away)
            if bolt_request.body.get("command"):
                # the answer is the ack itself: nothing is looked up (not even the workspace's
                # installation), nothing is started
                return web.json_response({"response_type": "ephemeral", "text": DATABASE_AWAY})
        return await to_aiohttp_response(await dailies.app.async_dispatch(bolt_request))

    async def healthz(request: web.Request) -> web.Response:
        reason = await database_reason(dailies.store)
        if reason:
            return unavailable(reason)
        held = await dailies.store.run(leases.held, dailies.runner.replica)
        return web.json_response(
            {
                "ok": True,
                "jobs_in_flight": dailies.runner.in_flight,
                "database": dailies.store.engine,
                "replica": dailies.runner.replica,
                "takes_held": held,
            }
        )

    async def webhook(request: web.Request) -> web.Response:
        backend = request.match_info["backend"]
        provider = dailies.providers.get(backend)
        if provider is None or not provider.sends_callbacks:
            return web.json_response({"error": f"no {backend} callbacks here"}, status=404)
        raw = await request.read()
        try:
            task_id = provider.parse_callback(request.headers, raw)
        except CallbackRejected as exc:
            return web.json_response({"error": exc.message}, status=exc.status)
        if not task_id:
            return web.json_response({"ok": True, "ignored": "not a task event"})
        stored = await dailies.store.run(jobs_db.find_task, backend, task_id)
        if stored is None:
            return web.json_response({"ok": True, "ignored": "unknown task"})
        # the callback is only a hint: the poll loop fetches the status and trusts that
        dailies.runner.poke(backend, stored)
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=1024**2, middlewares=[database_away])
    app.router.add_post("/slack/events", slack_events)
    flow = dailies.app.oauth_flow
    if flow is not None:  # distribution mode: the install link and Slack's OAuth callback

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def oauth_redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        app.router.add_get(flow.install_path, install)
        app.router.add_get(flow.redirect_uri_path, oauth_redirect)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/webhooks/{backend}", webhook)
    if dailies.screening is not None:
        dailies.screening.add_routes(app)
    return app


def screening_app(dailies: Dailies) -> web.Application:
    """Beside Socket Mode (`dailies run`): only the screening room and the health check."""
    app = web.Application(client_max_size=64 * 1024, middlewares=[database_away])

    async def healthz(request: web.Request) -> web.Response:
        reason = await database_reason(dailies.store)
        if reason:
            return unavailable(reason)
        return web.json_response({"ok": True, "jobs_in_flight": dailies.runner.in_flight})

    app.router.add_get("/healthz", healthz)
    if dailies.screening is not None:
        dailies.screening.add_routes(app)
    return app

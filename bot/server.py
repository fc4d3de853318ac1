"""HTTP mode on aiohttp: Slack's one request URL, provider webhooks, and a health check."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from bot.app import Dailies
from bot.providers.webhooks import CallbackRejected
from storage import jobs as jobs_db
from storage import leases
from storage.health import ping

log = logging.getLogger(__name__)


def web_app(dailies: Dailies) -> web.Application:
    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await dailies.app.async_dispatch(bolt_request))

    async def healthz(request: web.Request) -> web.Response:
        await dailies.store.run(ping)
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

    app = web.Application(client_max_size=1024**2)
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
    app = web.Application(client_max_size=64 * 1024)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "jobs_in_flight": dailies.runner.in_flight})

    app.router.add_get("/healthz", healthz)
    if dailies.screening is not None:
        dailies.screening.add_routes(app)
    return app

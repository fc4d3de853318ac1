"""HTTP mode on aiohttp: Slack's one request URL, provider webhooks, and a health check."""

from __future__ import annotations

import json
import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from bot.app import Dailies
from bot.providers.kling import provider as kling
from bot.providers.openai import provider as openai_videos
from bot.providers.webhooks import verify_standard_webhook

log = logging.getLogger(__name__)


def _find_task(db, backend: str, task_id: str) -> str | None:
    """Our stored provider task id for a backend's own id (Kling ids are stored with their route)."""
    row = db.execute(
        "SELECT takes.provider_task_id FROM takes JOIN jobs ON takes.job_id = jobs.id "
        "WHERE jobs.backend = ? AND (takes.provider_task_id = ? OR takes.provider_task_id LIKE ?) LIMIT 1",
        [backend, task_id, f"%:{task_id}"],
    ).fetchone()
    return row[0] if row else None


def web_app(dailies: Dailies) -> web.Application:
    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await dailies.app.async_dispatch(bolt_request))

    async def healthz(request: web.Request) -> web.Response:
        await dailies.store.run(lambda db: db.execute("SELECT 1").fetchone())
        return web.json_response({"ok": True, "jobs_in_flight": dailies.runner.in_flight})

    def webhook(backend: str, secret: str, parse):
        async def handle(request: web.Request) -> web.Response:
            raw = await request.read()
            if secret and not verify_standard_webhook(raw, request.headers, secret):
                return web.json_response({"error": "invalid signature"}, status=401)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return web.json_response({"error": "body is not JSON"}, status=400)
            found = parse(body)
            task_id = found[0] if isinstance(found, tuple) else found
            if not task_id:
                return web.json_response({"ok": True, "ignored": "not a task event"})
            stored = await dailies.store.run(_find_task, backend, task_id)
            if stored is None:
                return web.json_response({"ok": True, "ignored": "unknown task"})
            # the callback is only a hint: the poll loop fetches the status and trusts that
            dailies.runner.poke(backend, stored)
            return web.json_response({"ok": True})

        return handle

    app = web.Application(client_max_size=1024**2)
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    app.router.add_post(
        "/webhooks/kling", webhook("kling", dailies.config.kling_webhook_secret, kling.parse_callback)
    )
    app.router.add_post(
        "/webhooks/openai",
        webhook("openai", dailies.config.openai_webhook_secret, openai_videos.parse_callback),
    )
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

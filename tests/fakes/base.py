"""What the provider stand-ins share: the recorded request, recording it, and serving on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    json: dict | None
    headers: dict[str, str]  # without Authorization


async def record_request(request: web.Request, requests: list[RecordedRequest]) -> dict | None:
    """Append the request (minus Authorization) to `requests`; return its JSON body, or None."""
    body = None
    if request.can_read_body:
        try:
            body = await request.json()
        except ValueError:
            body = None
    headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
    requests.append(RecordedRequest(request.method, request.path, dict(request.query), body, headers))
    return body


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """Start `app` on a free loopback port; return its runner and "http://host:port"."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"

"""What the provider stand-ins share: the recorded request, recording it, and serving on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

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


@dataclass
class ScriptedStandIn:
    """The scripting hooks and lifecycle the gateway stand-ins share; subclasses add their routes
    in `_routes(app)` and their own `retire_models`."""

    requests: list[RecordedRequest] = field(default_factory=list)
    base_url: str = ""
    _failures: list[tuple[int, dict | None, dict]] = field(default_factory=list)
    _refusals: list[str] = field(default_factory=list)
    _retired: set[str] = field(default_factory=set)
    _never_finish: bool = False
    _runner: web.AppRunner | None = None
    default_refusal: ClassVar[str] = "Content moderation: the prompt violates our policy"

    def fail_next_create(self, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        """The next create answers `status` with the backend's error envelope (or `body`) and `headers`."""
        self._failures.append((status, body, headers or {}))

    def refuse_next_task(self, message: str | None = None) -> None:
        """The next created task ends failed with this moderation message."""
        self._refusals.append(message or self.default_refusal)

    def never_finish(self, on: bool = True) -> None:
        """Tasks created from now on never finish."""
        self._never_finish = on

    def created(self) -> list[dict]:
        """The JSON body of every create request, in order."""
        return [r.json for r in self.requests if r.method == "POST" and r.json is not None]

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

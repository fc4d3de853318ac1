"""Reading a delivered clip back out of Slack for the screening room: `files.info` for the file's
download link (remembered for a few minutes, since a player asks for many ranges), then ranged
GETs of `url_private_download` with the bot token, streamed, never kept."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.workspace import current_token

LINK_SECONDS = 300  # how long a files.info answer is reused (files.info is Tier 4)
CHUNK = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)


class ClipUnavailable(Exception):
    """Slack does not give the file back (deleted, no access, not on Slack's hosts)."""


@dataclass(frozen=True)
class SlackFile:
    file_id: str
    url: str
    size: int
    mimetype: str


@dataclass(frozen=True)
class Upstream:
    status: int  # 200 or 206 from Slack
    start: int  # first byte Slack sends (0 when it ignored the Range)
    body: AsyncIterator[bytes]


class SlackClips:
    def __init__(
        self,
        client: AsyncWebClient,
        http: httpx.AsyncClient,
        token: str,
        *,
        file_hosts: tuple[str, ...] = ("files.slack.com",),
    ) -> None:
        self.client = client
        self.http = http
        self.token = token
        self.file_hosts = file_hosts  # "host" over https, or "host:port" (the tests' stand-in)
        self._links: dict[str, tuple[float, SlackFile]] = {}

    async def locate(self, file_id: str) -> SlackFile:
        cached = self._links.get(file_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            resp = await self.client.files_info(file=file_id)
        except Exception as exc:
            raise ClipUnavailable(f"files.info failed ({type(exc).__name__})") from None
        file = resp.get("file") or {}
        url = file.get("url_private_download") or file.get("url_private")
        if not url or not isinstance(file.get("size"), int):
            raise ClipUnavailable("Slack gave no download link")
        found = SlackFile(file_id, url, file["size"], file.get("mimetype") or "video/mp4")
        if len(self._links) > 1000:
            self._links.clear()
        self._links[file_id] = (time.monotonic() + LINK_SECONDS, found)
        return found

    def _on_slack(self, url: httpx.URL) -> bool:
        if url.userinfo:
            return False
        host = url.host.lower()
        if url.scheme == "https" and host in self.file_hosts:
            return True
        return f"{host}:{url.port}" in self.file_hosts and url.scheme in ("http", "https")

    @asynccontextmanager
    async def open(self, file: SlackFile, first: int, last: int) -> AsyncIterator[Upstream]:
        """Bytes first..last (inclusive) of the file as Slack streams them."""
        url = httpx.URL(file.url)
        # distribution mode: no token of its own, the one of the workspace the caller serves
        token = self.token or current_token()
        headers = {"Authorization": f"Bearer {token}", "Range": f"bytes={first}-{last}"}
        for _ in range(4):
            if not self._on_slack(url):
                # checked on every hop: the bot token only ever goes to Slack's file hosts
                raise ClipUnavailable("the file is not on Slack's file hosts")
            request = self.http.build_request("GET", url, headers=headers)
            response = await self.http.send(request, stream=True, follow_redirects=False)
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    url = url.join(response.headers["location"])
                    continue
                kind = response.headers.get("content-type", "")
                if response.status_code not in (200, 206) or "html" in kind:
                    raise ClipUnavailable(f"Slack answered HTTP {response.status_code} {kind}".strip())
                start = first if response.status_code == 206 else 0
                yield Upstream(response.status_code, start, response.aiter_raw(CHUNK))
                return
            finally:
                await response.aclose()
        raise ClipUnavailable("Slack redirected the download too many times")

    async def read(self, file: SlackFile, first: int, last: int) -> bytes:
        """A small range whole (posters read a clip's header and first frame this way)."""
        out = bytearray()
        async with self.open(file, first, last) as upstream:
            skip = first - upstream.start
            async for chunk in upstream.body:
                if skip:
                    cut = min(skip, len(chunk))
                    chunk, skip = chunk[cut:], skip - cut
                out += chunk
                if len(out) > last - first:
                    break
        return bytes(out[: last - first + 1])

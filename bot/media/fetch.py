"""Safe downloading of media people give the bot: user-supplied URLs (SSRF guard with pinned
addresses, manual redirects, byte limits, magic-byte checks) and Slack-hosted files (token-scoped)."""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.media.check import accepts, describe_size, plausible_content_type, sniff
from bot.media.netpolicy import (
    FetchRefused,
    Resolver,
    check_target,
    system_resolver,
)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_HEAD = 64
_USER_AGENT = "Dailies media fetch"
_SLACK_LINK = re.compile(r"^<([^|>]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class Fetched:
    path: Path
    mime: str
    size: int
    sha256: str


def unwrap_slack_link(text: str) -> str:
    """Slack sends links as "<url|label>" or "<url>" with &amp; escapes; return the bare URL."""
    text = text.strip()
    match = _SLACK_LINK.match(text)
    if match:
        text = match.group(1)
    return html.unescape(text)


@asynccontextmanager
async def _get(
    url: httpx.URL,
    *,
    headers: dict[str, str],
    extensions: dict[str, str],
    timeout: float,
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[httpx.Response]:
    # A fresh client per hop: no pooled connection is reused under another host name, no cookies
    # carry over, and trust_env=False keeps proxies and .netrc credentials out of it.
    base = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    verify: ssl.SSLContext | bool = tls if tls is not None else True
    async with httpx.AsyncClient(
        trust_env=False, follow_redirects=False, timeout=timeout, verify=verify
    ) as client:
        async with client.stream("GET", url, headers=base | headers, extensions=extensions) as response:
            yield response


def _next_location(current: httpx.URL, response: httpx.Response) -> httpx.URL:
    location = response.headers.get("location")
    if not location:
        raise FetchRefused("That link redirects without saying where to.")
    try:
        return current.join(location)
    except httpx.InvalidURL:
        raise FetchRefused("That link redirects to an address that isn't valid.") from None


def _check_response(response: httpx.Response, *, kind: str, max_bytes: int) -> None:
    if response.status_code != 200:
        raise FetchRefused(
            f"That {kind} link answered HTTP {response.status_code}; check it opens in a browser."
        )
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        raise FetchRefused(f"That {kind} link sent a compressed response; use a direct link to the file.")
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise FetchRefused(
            f"That {kind} is {describe_size(int(length))}; the limit is {describe_size(max_bytes)}."
        )
    content_type = response.headers.get("content-type", "")
    if not plausible_content_type(content_type, kind):
        what = "a web page" if "html" in content_type.lower() else content_type.split(";")[0]
        raise FetchRefused(
            f"That link returned {what}, not {_an(kind)} file; use a direct link to the {kind} or attach it."
        )


def _an(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


async def _save_body(response: httpx.Response, dest: Path, *, kind: str, max_bytes: int) -> Fetched:
    """Stream the body to `dest` via a .part file, stopping as soon as it passes `max_bytes`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with part.open("wb") as out:
            async for chunk in response.aiter_raw(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchRefused(
                        f"That {kind} is larger than {describe_size(max_bytes)}; use a smaller file."
                    )
                if len(head) < _HEAD:
                    head += chunk[: _HEAD - len(head)]
                digest.update(chunk)
                out.write(chunk)
        sniffed = sniff(head)
        if not accepts(kind, sniffed):
            raise FetchRefused(
                f"That link didn't return {_an(kind)} file I can use ({sniffed or 'unknown type'})."
            )
        # text (a CSV) announces no media type: its bytes are checked as it is read
        mime = sniffed or "text/plain"
        part.replace(dest)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return Fetched(path=dest, mime=mime, size=size, sha256=digest.hexdigest())


def _parse(url: str, kind: str) -> httpx.URL:
    try:
        return httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise FetchRefused(f"That {kind} link isn't a valid URL.") from None


@asynccontextmanager
async def _deadline(timeout: float, kind: str) -> AsyncIterator[None]:
    try:
        async with asyncio.timeout(timeout):
            yield
    except (TimeoutError, httpx.TimeoutException):
        raise FetchRefused(
            f"That {kind} took longer than {timeout:g} s to download; try again or attach it."
        ) from None
    except httpx.HTTPError:
        raise FetchRefused(f"I couldn't download that {kind}; the server didn't answer properly.") from None


async def fetch_url(
    url: str,
    dest: Path,
    *,
    kind: str,
    max_bytes: int,
    allow_private: bool = False,
    timeout: float = 20.0,
    max_redirects: int = 3,
    resolver: Resolver | None = None,
    tls: ssl.SSLContext | None = None,
) -> Fetched:
    """Download a user-supplied URL to `dest`, refusing anything that is not a public `kind` file.
    `tls` replaces the system's trusted certificates (tests: a stand-in's self-signed one)."""
    resolver = resolver or system_resolver
    current = _parse(url, kind)
    async with _deadline(timeout, kind):
        for _ in range(max_redirects + 1):
            target = await check_target(current, kind=kind, allow_private=allow_private, resolver=resolver)
            # Connect to the address just checked (not a fresh lookup, which DNS rebinding could
            # answer differently), naming the real host in Host and SNI; never any credentials.
            host_header = {"Host": target.url.netloc.decode("ascii")}
            async with _get(
                target.pinned_url(),
                headers=host_header,
                extensions=target.extensions(),
                timeout=timeout,
                tls=tls,
            ) as response:
                if response.status_code in _REDIRECTS:
                    current = _next_location(target.url, response)
                    continue
                _check_response(response, kind=kind, max_bytes=max_bytes)
                return await _save_body(response, dest, kind=kind, max_bytes=max_bytes)
    raise FetchRefused(f"That {kind} link redirects more than {max_redirects} times.")


async def fetch_slack_file(
    file: dict,
    dest: Path,
    *,
    token: str,
    kind: str,
    max_bytes: int,
    allowed_hosts: tuple[str, ...] = ("files.slack.com",),
    extra_allowed_hosts: tuple[str, ...] = (),
    timeout: float = 60.0,
    max_redirects: int = 3,
) -> Fetched:
    """Download a file someone attached in Slack. The bot token goes only to Slack's file hosts
    (`extra_allowed_hosts` adds "host:port" entries, over http too, for the tests' stand-in)."""
    name = file.get("name") or "that file"
    raw_url = file.get("url_private_download") or file.get("url_private")
    if not raw_url:
        raise FetchRefused(f"Slack didn't give me a download link for {name}; try attaching it again.")
    declared = file.get("size")
    if isinstance(declared, int) and declared > max_bytes:
        raise FetchRefused(f"{name} is {describe_size(declared)}; the limit is {describe_size(max_bytes)}.")
    mimetype = file.get("mimetype")
    if mimetype and not plausible_content_type(mimetype, kind):
        raise FetchRefused(f"{name} is {mimetype}, not {_an(kind)}.")

    def on_slack_host(u: httpx.URL) -> bool:
        host = u.host.lower()
        if u.userinfo:
            return False
        if u.scheme == "https" and host in allowed_hosts:
            return True
        return f"{host}:{u.port}" in extra_allowed_hosts and u.scheme in ("http", "https")

    current = _parse(raw_url, kind)
    async with _deadline(timeout, kind):
        for _ in range(max_redirects + 1):
            if not on_slack_host(current):
                # Checked on every hop: a redirect off Slack's hosts must never receive the token.
                raise FetchRefused(
                    f"{name} isn't hosted by Slack, so I won't download it with the bot's token."
                )
            auth = {"Authorization": f"Bearer {token}"}
            async with _get(current, headers=auth, extensions={}, timeout=timeout) as response:
                if response.status_code in _REDIRECTS:
                    current = _next_location(current, response)
                    continue
                if "html" in response.headers.get("content-type", "").lower():
                    # Slack answers a login page, not an error, when the token lacks files:read.
                    raise FetchRefused(
                        f"Slack sent a login page instead of {name}; the app needs the files:read scope "
                        "(reinstall it from its OAuth & Permissions page)."
                    )
                _check_response(response, kind=kind, max_bytes=max_bytes)
                return await _save_body(response, dest, kind=kind, max_bytes=max_bytes)
    raise FetchRefused(f"Slack redirected the download of {name} too many times.")

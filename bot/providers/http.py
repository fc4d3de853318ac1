"""HTTP transport shared by every video backend: JSON calls, Retry-After, streamed downloads.

Only transport and classification live here; the job runner owns retries and backoff.
"""

from __future__ import annotations

import base64
import email.utils
import json as jsonlib
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from bot.providers import errors

# How each backend is named in messages a person reads.
BACKEND_NAMES = {
    "kling": "Kling", "aimlapi": "AI/ML API", "openai": "OpenAI", "gemini": "Gemini API", "preview": "Preview",
}  # fmt: skip

HeadersLike = httpx.Headers | Mapping[str, str] | None


def backend_name(backend: str) -> str:
    return BACKEND_NAMES.get(backend, backend)


def _transport_error(exc: httpx.HTTPError, url: str, backend: str) -> errors.ProviderError:
    # Name the host and the kind of failure only: a URL's query string or an exception's text
    # could carry a key, so neither goes into the message.
    host = httpx.URL(url).host or "the server"
    name = backend_name(backend)
    if isinstance(exc, httpx.TimeoutException):
        return errors.Timeout(f"{name} did not answer in time ({host}, {type(exc).__name__}).")
    return errors.Unavailable(f"{name} could not be reached ({host}, {type(exc).__name__}).")


def error_for_status(
    status: int,
    message: str,
    *,
    backend: str,
    request_id: str | None = None,
    retry_after: float | None = None,
    code: str | None = None,
) -> errors.ProviderError:
    """The generic ProviderError for an HTTP error status; backends with finer codes map those first."""
    name = backend_name(backend)
    text = f"{name}: {message}" if message else f"{name} answered HTTP {status}."
    kw: errors.ErrorContext = {"request_id": request_id, "code": code}
    if status == 429:
        return errors.RateLimited(text, retry_after=retry_after, **kw)
    if status >= 500:
        return errors.Unavailable(text, retry_after=retry_after, **kw)
    if status in (401, 403):
        return errors.AuthFailed(text, **kw)
    if status == 402:
        return errors.OutOfBalance(text, **kw)
    if status == 408:
        return errors.Timeout(text, **kw)
    return errors.BadRequest(text, **kw)


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    backend: str,
    headers: HeadersLike = None,
    json: object = None,
    params: Mapping[str, str | int] | None = None,
    timeout: float = 30.0,
) -> tuple[int, dict, httpx.Headers]:
    """Send one request and return (status, JSON object body, headers) for any HTTP status.

    Raises Timeout/Unavailable for transport failures; a body that is not a JSON object raises
    Unavailable on 5xx (a proxy error page) and BadRequest otherwise. An empty body reads as {}.
    """
    try:
        response = await client.request(
            method, url, headers=headers, json=json, params=params, timeout=timeout
        )
    except httpx.HTTPError as exc:
        raise _transport_error(exc, url, backend) from None
    if not response.content.strip():
        return response.status_code, {}, response.headers
    try:
        body = jsonlib.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        name = backend_name(backend)
        message = f"{name} answered HTTP {response.status_code} with a body that is not a JSON object."
        retry_after = retry_after_seconds(response.headers)
        if response.status_code >= 500:
            raise errors.Unavailable(message, retry_after=retry_after)
        if response.status_code == 429:
            raise errors.RateLimited(message, retry_after=retry_after)
        raise errors.BadRequest(message)
    return response.status_code, body, response.headers


def retry_after_seconds(headers: HeadersLike, *, now: float | None = None) -> float | None:
    """Seconds to wait, from `retry-after-ms`, `Retry-After` (seconds or HTTP date) or
    `openai-poll-after-ms`; None when none is present or readable."""
    if not headers:
        return None
    h = httpx.Headers(headers)
    for name in ("retry-after-ms", "openai-poll-after-ms"):
        raw = h.get(name)
        if raw is not None:
            try:
                return max(0.0, float(raw) / 1000.0)
            except ValueError:
                pass
    raw = h.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


async def stream_to_file(
    client: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    headers: HeadersLike = None,
    max_bytes: int = 2 * 1024**3,
    backend: str,
    timeout: float = 60.0,
) -> int:
    """GET `url` into `dest` through `dest.part` (renamed only when complete); return the size.

    Never holds the body in memory. Raises a ProviderError subclass; no partial file is left behind.
    """
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    name = backend_name(backend)
    size = 0
    try:
        async with client.stream(
            "GET", url, headers=headers, timeout=timeout, follow_redirects=True
        ) as response:
            if response.status_code >= 400:
                raise error_for_status(
                    response.status_code,
                    f"downloading the clip failed with HTTP {response.status_code}.",
                    backend=backend,
                    retry_after=retry_after_seconds(response.headers),
                )
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise errors.ProviderError(f"{name}'s clip is larger than {max_bytes} bytes.")
            with part.open("wb") as out:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise errors.ProviderError(f"{name}'s clip is larger than {max_bytes} bytes.")
                    out.write(chunk)
    except httpx.HTTPError as exc:
        part.unlink(missing_ok=True)
        raise _transport_error(exc, url, backend) from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    if size == 0:
        part.unlink(missing_ok=True)
        raise errors.Unavailable(f"{name} served an empty file for the clip.")
    part.replace(dest)
    return size


def b64_file(path: Path) -> str:
    """A small local file as raw base64 (no `data:` prefix), for backends that take it inline."""
    return base64.b64encode(Path(path).read_bytes()).decode("ascii")


def data_uri(path: Path, mime: str) -> str:
    """A small local file as a `data:` URI."""
    return f"data:{mime};base64,{b64_file(path)}"

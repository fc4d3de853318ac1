"""Serving a clip to the page with HTTP range requests, relayed from Slack's copy chunk by chunk,
so a player can seek and memory does not grow with the clip's size. Range parsing is pure."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.delivery.slack_clip import SlackClips, SlackFile


@dataclass(frozen=True)
class ByteRange:
    first: int
    last: int  # inclusive

    @property
    def length(self) -> int:
        return self.last - self.first + 1


class Unsatisfiable:
    """A byte range the file cannot satisfy: the answer is 416 with the file's size."""


UNSATISFIABLE = Unsatisfiable()


def parse_range(header: str | None, size: int) -> ByteRange | Unsatisfiable | None:
    """One `bytes=` range against a file of `size` bytes. None means "send the whole file": no
    header, another unit, or several ranges (which a server may ignore; players ask for one)."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    first_text, last_text = first_text.strip(), last_text.strip()
    if not dash or not (first_text or last_text):
        return UNSATISFIABLE
    if not all(t.isdigit() for t in (first_text, last_text) if t):
        return UNSATISFIABLE
    if not first_text:  # a suffix: the last N bytes
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            return UNSATISFIABLE
        return ByteRange(max(0, size - suffix), size - 1)
    first = int(first_text)
    last = min(int(last_text), size - 1) if last_text else size - 1
    if first >= size or last < first:
        return UNSATISFIABLE
    return ByteRange(first, last)


def range_headers(file: SlackFile, wanted: ByteRange | None) -> tuple[int, dict[str, str]]:
    """The status and headers of the answer (pure)."""
    headers = {
        "Content-Type": file.mimetype if file.mimetype.startswith("video/") else "video/mp4",
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, max-age=300",
        "X-Content-Type-Options": "nosniff",
    }
    if wanted is None:
        headers["Content-Length"] = str(file.size)
        return 200, headers
    headers["Content-Length"] = str(wanted.length)
    headers["Content-Range"] = f"bytes {wanted.first}-{wanted.last}/{file.size}"
    return 206, headers


async def serve_clip(request: web.Request, clips: SlackClips, file: SlackFile) -> web.StreamResponse:
    wanted = parse_range(request.headers.get("Range"), file.size)
    if isinstance(wanted, Unsatisfiable):
        return web.Response(
            status=416, headers={"Content-Range": f"bytes */{file.size}", "Accept-Ranges": "bytes"}
        )
    status, headers = range_headers(file, wanted)
    response = web.StreamResponse(status=status, headers=headers)
    if request.method == "HEAD" or file.size == 0:
        await response.prepare(request)
        return response
    span = wanted or ByteRange(0, file.size - 1)
    async with clips.open(file, span.first, span.last) as upstream:
        await response.prepare(request)
        skip, left = span.first - upstream.start, span.length
        try:
            async for chunk in upstream.body:
                if skip:  # Slack ignored the Range: drop what comes before it
                    cut = min(skip, len(chunk))
                    chunk, skip = chunk[cut:], skip - cut
                if chunk:
                    chunk = chunk[:left]
                    await response.write(chunk)  # waits while the player is slower than Slack
                    left -= len(chunk)
                if left <= 0:
                    break
        except ConnectionResetError:
            return response  # the player moved on (a seek, or the page closed): nothing to finish
    await response.write_eof()
    return response

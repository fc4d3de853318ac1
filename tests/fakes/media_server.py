"""A stand-in media host on 127.0.0.1 (real HTTP): images, audio, a web page, a huge body, redirects,
a slow answer and a Slack-like private file route; it records every request it receives.

    async with MediaServer() as media:
        url = media.url("/img/800x600.png")
        ...
        assert media.requests == []            # e.g. an SSRF test: nothing reached the server
        assert media.bytes_sent_for("/huge") < 5_000_000
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import io
import math
import ssl
import struct
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from aiohttp import web
from PIL import Image

HUGE_BYTES = 50 * 1024 * 1024
_CHUNK = 64 * 1024
LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>"


@functools.cache
def png_bytes(width: int, height: int) -> bytes:
    """A real PNG of the given size (a simple gradient, so it is not trivially compressible)."""
    x = np.arange(width, dtype=np.uint16)[None, :]
    y = np.arange(height, dtype=np.uint16)[:, None]
    pixels = np.stack(np.broadcast_arrays(x % 256, y % 256, (x + y) % 256), axis=-1).astype(np.uint8)
    img = Image.fromarray(pixels)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@functools.cache
def wav_bytes(seconds: float, rate: int = 16_000) -> bytes:
    """A mono 16-bit WAV holding a 440 Hz tone."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(seconds * rate))
    )
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()


@functools.cache
def encoded_audio_bytes(seconds: float, fmt: str = "mp3", rate: int = 16_000) -> bytes:
    """Silence encoded by FFmpeg: fmt "mp3" (libmp3lame) or "m4a" (AAC in an MP4/ipod container)."""
    codec, container_format = {"mp3": ("libmp3lame", "mp3"), "m4a": ("aac", "ipod")}[fmt]
    buf = io.BytesIO()
    with av.open(buf, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        frame_size, pts = 1152, 0
        while pts < seconds * rate:
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, frame_size), dtype=np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = rate, pts
            pts += frame_size
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


@functools.cache
def video_file(seconds: int, width: int, height: int) -> Path:
    """A real H.264 MP4 of that length and frame size (4 fps keeps long ones small)."""
    from tests.fakes.mp4 import write_mp4

    folder = Path(tempfile.mkdtemp(prefix="dailies-video-"))
    return write_mp4(
        folder / f"{seconds}s_{width}x{height}.mp4", seconds=seconds, width=width, height=height, fps=4
    )


def self_signed_tls(hostname: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh self-signed certificate for `hostname`, and a client context
    that trusts only that certificate (so a TLS test checks which name the client verified)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # load_cert_chain only reads files.
    folder = Path(tempfile.mkdtemp(prefix="dailies-tls-"))
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(key_pem)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode("ascii"))
    return server, client


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names


class MediaServer:
    """Routes: /img/{W}x{H}.png, /page.html, /mislabelled.png (text sent as image/png),
    /huge (50 MB; ?length=1 declares Content-Length), /audio/{S}s.wav and .mp3, /redirect?to=URL,
    /slow?seconds=N, /files-pri/{name} (a PNG only with `Bearer {slack_token}`, else a login page)."""

    def __init__(self, *, slack_token: str = "xoxb-test-token", tls_hostname: str | None = None) -> None:
        self.slack_token = slack_token
        # With tls_hostname the server speaks https with a certificate for that name only;
        # `client_tls` is the context that trusts it.
        self._server_tls, self.client_tls = self_signed_tls(tls_hostname) if tls_hostname else (None, None)
        self.requests: list[ReceivedRequest] = []
        self._sent: dict[str, int] = {}
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> MediaServer:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/img/{w:\\d+}x{h:\\d+}.png", self._image)
        app.router.add_get("/page.html", self._page)
        app.router.add_get("/mislabelled.png", self._mislabelled)
        app.router.add_get("/huge", self._huge)
        app.router.add_get("/audio/{s:\\d+}s.wav", self._audio)
        app.router.add_get("/audio/{s:\\d+}s.mp3", self._mp3)
        app.router.add_get("/video/{s:\\d+}s_{w:\\d+}x{h:\\d+}.mp4", self._video)
        app.router.add_get("/redirect", self._redirect)
        app.router.add_get("/slow", self._slow)
        app.router.add_get("/files-pri/{name}", self._slack_file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._server_tls)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what tests use --------------------------------------------------------------------
    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        scheme = "https" if self._server_tls else "http"
        return f"{scheme}://{self.host_port}{path}"

    def bytes_sent_for(self, path: str) -> int:
        """Body bytes actually handed to the socket for `path` (summed over requests)."""
        return self._sent.get(path, 0)

    def requests_for(self, path: str) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.path == path]

    # -- handlers --------------------------------------------------------------------------
    @web.middleware
    async def _record(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        self.requests.append(
            ReceivedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers={k.lower(): v for k, v in request.headers.items()},
            )
        )
        return await handler(request)

    async def _video(self, request: web.Request) -> web.StreamResponse:
        m = request.match_info
        path = video_file(int(m["s"]), int(m["w"]), int(m["h"]))
        self._count(request.path, path.stat().st_size)
        return web.FileResponse(path, headers={"Content-Type": "video/mp4"})

    def _count(self, path: str, n: int) -> None:
        self._sent[path] = self._sent.get(path, 0) + n

    async def _body(self, request: web.Request, body: bytes, content_type: str) -> web.Response:
        self._count(request.path, len(body))
        return web.Response(body=body, content_type=content_type)

    async def _image(self, request: web.Request) -> web.Response:
        w, h = int(request.match_info["w"]), int(request.match_info["h"])
        return await self._body(request, png_bytes(w, h), "image/png")

    async def _page(self, request: web.Request) -> web.Response:
        return await self._body(
            request, b"<!DOCTYPE html><html><body>Not an image</body></html>", "text/html"
        )

    async def _mislabelled(self, request: web.Request) -> web.Response:
        return await self._body(request, b"GIF? no: plain text pretending to be a PNG", "image/png")

    async def _audio(self, request: web.Request) -> web.Response:
        return await self._body(request, wav_bytes(int(request.match_info["s"])), "audio/wav")

    async def _mp3(self, request: web.Request) -> web.Response:
        return await self._body(request, encoded_audio_bytes(int(request.match_info["s"])), "audio/mpeg")

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        # Streamed chunk by chunk (never built in memory); counted only once the write returned.
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        if request.query.get("length"):
            response.content_length = HUGE_BYTES
        await response.prepare(request)
        chunk = png_bytes(1, 1)[:16].ljust(_CHUNK, b"\0")
        zeros = bytes(_CHUNK)
        try:
            for i in range(HUGE_BYTES // _CHUNK):
                await response.write(chunk if i == 0 else zeros)
                self._count(request.path, _CHUNK)
            await response.write_eof()
        except ConnectionError:
            pass  # the client stopped reading and hung up, as it should
        return response

    async def _redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def _slow(self, request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(self._closing.wait(), timeout=float(request.query.get("seconds", "30")))
        except TimeoutError:
            pass
        return await self._body(request, png_bytes(400, 400), "image/png")

    async def _slack_file(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.slack_token}":
            return await self._body(request, LOGIN_PAGE, "text/html")
        return await self._body(request, png_bytes(640, 480), "image/png")

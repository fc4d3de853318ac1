"""Magic-byte sniffing and the image/audio checks, on real files written to a temp dir."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from bot.media.check import (
    MediaRejected,
    accepts,
    check_audio,
    check_image,
    plausible_content_type,
    sniff,
)
from tests.fakes.media_server import encoded_audio_bytes, png_bytes, wav_bytes
from tests.fakes.mp4 import sample_mp4


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _pillow_bytes(fmt: str, size: tuple[int, int] = (320, 320)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares a huge canvas over almost no data: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (_pillow_bytes("PNG"), "image/png"),
        (_pillow_bytes("JPEG"), "image/jpeg"),
        (_pillow_bytes("WEBP"), "image/webp"),
        (_pillow_bytes("GIF"), "image/gif"),
        (wav_bytes(1), "audio/wav"),
        (encoded_audio_bytes(1, "mp3"), "audio/mpeg"),
        (encoded_audio_bytes(1, "m4a"), "audio/mp4"),
        (b"\xff\xfb\x90\x64" + bytes(12), "audio/mpeg"),  # bare MP3 frame, no ID3 tag
        (b"\xff\xf1\x50\x80" + bytes(12), "audio/aac"),  # ADTS
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video/quicktime"),
        (b"<!DOCTYPE html><html>", None),
        (b"%PDF-1.7\n", None),
        (b"", None),
    ],
)
def test_sniff(data, mime):
    assert sniff(data[:64]) == mime


def test_sniff_real_mp4():
    assert sniff(sample_mp4().read_bytes()[:64]) == "video/mp4"


def test_accepts_by_kind():
    assert accepts("image", "image/png")
    assert not accepts("image", "video/mp4")
    assert accepts("audio", "audio/mpeg")
    assert accepts("video", "video/quicktime")
    assert not accepts("video", None)
    assert not accepts("spreadsheet", "image/png")


@pytest.mark.parametrize(
    ("content_type", "kind", "ok"),
    [
        ("image/png", "image", True),
        ("image/jpeg; charset=binary", "image", True),
        ("application/octet-stream", "image", True),
        (None, "image", True),
        ("text/html; charset=utf-8", "image", False),
        ("application/json", "image", False),
        ("video/mp4", "audio", True),  # m4a served as video/mp4
        ("image/png", "audio", False),
    ],
)
def test_plausible_content_type(content_type, kind, ok):
    assert plausible_content_type(content_type, kind) is ok


def test_check_image_accepts_a_normal_png(tmp_path):
    info = check_image(_write(tmp_path, "a.png", png_bytes(800, 600)))
    assert (info.mime, info.width, info.height) == ("image/png", 800, 600)
    assert info.size == len(png_bytes(800, 600))


def test_check_image_accepts_jpeg(tmp_path):
    info = check_image(_write(tmp_path, "a.jpg", _pillow_bytes("JPEG", (640, 480))))
    assert info.mime == "image/jpeg"


def test_check_image_refuses_one_pixel(tmp_path):
    with pytest.raises(MediaRejected) as err:
        check_image(_write(tmp_path, "tiny.png", png_bytes(1, 1)))
    assert err.value.message == "The image is 1×1 px; Kling needs at least 300 px on each side."


def test_check_image_refuses_extreme_aspect(tmp_path):
    with pytest.raises(MediaRejected) as err:
        check_image(_write(tmp_path, "wide.png", png_bytes(1200, 300)))
    assert "1200×300 px" in err.value.message
    assert "1:2.5 and 2.5:1" in err.value.message


def test_check_image_accepts_the_aspect_limit(tmp_path):
    assert check_image(_write(tmp_path, "edge.png", png_bytes(750, 300))).width == 750


def test_check_image_refuses_too_many_bytes(tmp_path):
    with pytest.raises(MediaRejected, match="up to 1 KB"):
        check_image(_write(tmp_path, "a.png", png_bytes(800, 600)), max_bytes=1024)


def test_check_image_refuses_non_image(tmp_path):
    with pytest.raises(MediaRejected, match="isn't a PNG, JPEG, WebP or GIF"):
        check_image(_write(tmp_path, "page.png", b"<!DOCTYPE html><html></html>"))


def test_check_image_refuses_truncated_png(tmp_path):
    data = png_bytes(800, 600)
    with pytest.raises(MediaRejected, match="damaged or incomplete"):
        check_image(_write(tmp_path, "cut.png", data[: len(data) // 2]))


@pytest.mark.parametrize("side", [8_000, 100_000])  # past our own limit; past Pillow's bomb limit
def test_check_image_refuses_decompression_bomb(tmp_path, side):
    path = _write(tmp_path, "bomb.png", _png_header_only(side, side))
    assert path.stat().st_size < 200
    with pytest.raises(MediaRejected, match="too large to process"):
        check_image(path)


def test_check_audio_reads_wav_duration(tmp_path):
    info = check_audio(_write(tmp_path, "a.wav", wav_bytes(3)))
    assert info.mime == "audio/wav"
    assert info.seconds == pytest.approx(3.0, abs=0.01)


@pytest.mark.parametrize("fmt", ["mp3", "m4a"])
def test_check_audio_reads_compressed_duration(tmp_path, fmt):
    info = check_audio(_write(tmp_path, f"a.{fmt}", encoded_audio_bytes(3, fmt)))
    assert info.seconds == pytest.approx(3.0, abs=0.2)


def test_check_audio_refuses_too_short(tmp_path):
    with pytest.raises(MediaRejected) as err:
        check_audio(_write(tmp_path, "a.wav", wav_bytes(1)))
    assert err.value.message == "The audio is 1.0 s long; it needs to be between 2 and 300 s."


def test_check_audio_refuses_too_large(tmp_path):
    with pytest.raises(MediaRejected, match="the limit is 10 KB"):
        check_audio(_write(tmp_path, "a.wav", wav_bytes(3)), max_bytes=10 * 1024)


def test_check_audio_refuses_an_image(tmp_path):
    with pytest.raises(MediaRejected, match="isn't MP3, WAV, M4A or AAC"):
        check_audio(_write(tmp_path, "a.mp3", png_bytes(400, 400)))


def test_check_audio_refuses_video_without_sound(tmp_path):
    with pytest.raises(MediaRejected, match="couldn't read any audio"):
        check_audio(_write(tmp_path, "a.mp4", sample_mp4().read_bytes()))


def test_check_audio_refuses_garbage_with_an_mp3_tag(tmp_path):
    with pytest.raises(MediaRejected, match="couldn't read any audio"):
        check_audio(_write(tmp_path, "a.mp3", b"ID3" + bytes(2000)))

"""The card's Screening room button (pure Block Kit), and posters read from a clip in ranges."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from PIL import Image

from bot.cards.blocks import CardView, render_card
from bot.media.probe import first_frame_jpeg
from bot.screening.posters import RangeFile
from tests.fakes.mp4 import write_mp4

SHOT = {"id": 5, "channel_id": "C0CHANNEL", "title": "a fox"}
JOB = {
    "id": 9, "shot_id": 5, "kind": "generate", "state": "delivered", "model": "preview", "backend": "preview",
    "request": {"prompt": "a fox", "seconds": 2}, "takes": 1, "estimate_usd": 0, "cost_usd": 0, "user_id": "U0ALICE",
}  # fmt: skip
TAKE = {"id": 21, "job_id": 9, "version": 1, "state": "delivered", "cost_usd": 0.0, "seed": None}


def buttons(view: CardView) -> list[dict]:
    _, blocks = render_card(view)
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_the_card_links_to_the_screening_room_once_a_version_landed():
    now = datetime.now(UTC)
    url = "https://dailies.example/review/abc.def"
    linked = buttons(CardView(SHOT, [JOB], [TAKE], now, screening_url=url))
    room = next(b for b in linked if b["action_id"] == "screening_room")
    assert room["url"] == url and room["value"] == "5" and room["text"]["text"] == "Screening room"
    assert len(room["url"]) <= 3000  # Block Kit's limit for a button's url
    assert all(b["action_id"] != "screening_room" for b in buttons(CardView(SHOT, [JOB], [TAKE], now)))
    rendering = {**JOB, "state": "rendering"}
    waiting = buttons(CardView(SHOT, [rendering], [{**TAKE, "state": "rendering"}], now, screening_url=url))
    assert all(b["action_id"] != "screening_room" for b in waiting)


def test_a_poster_is_read_from_a_few_ranges_of_the_clip(tmp_path):
    clip = write_mp4(tmp_path / "clip.mp4", seconds=8, width=640, height=360, fps=24)
    data = clip.read_bytes()
    asked: list[tuple[int, int]] = []

    def fetch(first: int, last: int) -> bytes:
        asked.append((first, last))
        return data[first : last + 1]

    source = RangeFile(fetch, len(data), block=16 * 1024)
    jpeg = first_frame_jpeg(source, width=320)
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG" and image.size == (320, 180)
    assert image.getpixel((160, 90)) == Image.open(io.BytesIO(first_frame_jpeg(clip, width=320))).getpixel(
        (160, 90)
    )
    assert all(0 <= a <= b < len(data) for a, b in asked)
    assert source.fetched < len(data) / 2, (source.fetched, len(data))  # the header, index, first frame
    assert len(jpeg) < 40_000

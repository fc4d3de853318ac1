"""The contact sheet: one PNG with a labelled cell per shot, in a grid, also for a missing frame."""

from __future__ import annotations

from PIL import Image

from bot.media.contact_sheet import CELL_WIDTH, contact_sheet


def test_one_cell_per_shot_in_a_grid(tmp_path):
    frames = []
    for n, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)], start=1):
        path = tmp_path / f"f{n}.png"
        Image.new("RGB", (640, 360), colour).save(path)
        frames.append((f"S{n}", path))
    frames.append(("S5", None))
    out = contact_sheet(frames, tmp_path / "sheet.png")
    sheet = Image.open(out)
    assert sheet.format == "PNG"
    assert sheet.width > 3 * CELL_WIDTH and sheet.width < 4 * CELL_WIDTH  # 3 columns for 5 shots
    first_cell = sheet.getpixel((8 + CELL_WIDTH // 2, 8 + 90))
    second_cell = sheet.getpixel((16 + CELL_WIDTH + CELL_WIDTH // 2, 8 + 90))
    assert first_cell == (255, 0, 0) and second_cell == (0, 255, 0)

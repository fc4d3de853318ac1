"""A campaign's contact sheet: each shot's first frame, labelled S1…Sn, laid out in one PNG grid."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

CELL_WIDTH = 320  # each frame scaled to this width; its height keeps the frame's shape
LABEL_HEIGHT = 28
GAP = 8
MAX_COLUMNS = 5


def contact_sheet(frames: list[tuple[str, Path | None]], dest: Path) -> Path:
    """Write the grid of (label, first frame) to `dest` as a PNG; a shot without a readable frame
    gets a grey cell with its label, so the sheet still has one cell per shot."""
    images: list[tuple[str, Image.Image | None]] = []
    for label, path in frames:
        try:
            images.append((label, Image.open(path).convert("RGB") if path else None))
        except OSError:
            images.append((label, None))
    shapes = [img.height / img.width for _, img in images if img is not None and img.width]
    cell_height = round(CELL_WIDTH * (max(shapes) if shapes else 9 / 16))
    columns = min(MAX_COLUMNS, max(1, math.ceil(math.sqrt(len(images)))))
    rows = math.ceil(len(images) / columns)
    width = columns * CELL_WIDTH + (columns + 1) * GAP
    height = rows * (cell_height + LABEL_HEIGHT) + (rows + 1) * GAP
    sheet = Image.new("RGB", (width, height), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=18)
    for i, (label, img) in enumerate(images):
        x = GAP + (i % columns) * (CELL_WIDTH + GAP)
        y = GAP + (i // columns) * (cell_height + LABEL_HEIGHT + GAP)
        if img is None:
            draw.rectangle((x, y, x + CELL_WIDTH, y + cell_height), fill=(80, 80, 80))
        else:
            img.thumbnail((CELL_WIDTH, cell_height))
            sheet.paste(img, (x + (CELL_WIDTH - img.width) // 2, y + (cell_height - img.height) // 2))
        draw.text((x + 4, y + cell_height + 4), label, fill=(240, 240, 240), font=font)
    sheet.save(dest, format="PNG")
    return dest

"""The preview's title card: text reduced to what the font can draw, wrapped by pixel width, drawn
once as an RGBA overlay, plus the per-frame playhead and timecode."""

from __future__ import annotations

import functools
import threading
import unicodedata

from PIL import Image, ImageDraw, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

MAX_TEXT_CHARS = 600  # a title card cannot show more; also bounds the work hostile text can cause


def face(size: int, bold: bool = False) -> Font:
    # one FreeType face per thread: faces are not safe to share between concurrent renders
    return _load_font(size, bold, threading.get_ident())


@functools.lru_cache(maxsize=64)
def _load_font(size: int, bold: bool, thread: int) -> Font:
    try:  # DejaVu covers accents, Greek, Cyrillic, Hebrew, Arabic; it is common but not guaranteed
        return ImageFont.truetype("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf", size)
    except OSError:  # Pillow's built-in font (Latin only) always exists
        return ImageFont.load_default(size=size)


@functools.lru_cache(maxsize=8192)
def _has_glyph(font: Font, ch: str) -> bool:
    missing = font.getmask("\U0010fffd")  # a private-use character: always drawn as the .notdef box
    mask = font.getmask(ch)
    return (mask.size, bytes(mask)) != (missing.size, bytes(missing))


def printable(text: str, font: Font, limit: int = MAX_TEXT_CHARS) -> str:
    """`text` reduced to what `font` can draw on one line: control and bidi-override characters
    dropped, accents folded where the font lacks them, whitespace collapsed, cut at `limit`."""
    out: list[str] = []
    for ch in text[: limit * 4]:
        category = unicodedata.category(ch)
        if ch.isspace() or category in ("Cc", "Zl", "Zp"):
            out.append(" ")
        elif category[0] == "C":  # format (incl. RLO/LRO overrides), surrogates, private, unassigned
            continue
        elif _has_glyph(font, ch):
            out.append(ch)
        else:
            folded = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            if folded and all(_has_glyph(font, c) for c in folded):
                out.append(folded)
    clean = " ".join("".join(out).split())
    return clean if len(clean) <= limit else clean[: limit - 1].rstrip() + "…"


def wrap(text: str, font: Font, max_width: float, max_lines: int) -> list[str]:
    """Greedy word wrap by pixel width; words wider than a line are broken; the last line
    ends with an ellipsis when the text does not fit in `max_lines`."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if font.getlength(candidate) <= max_width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while font.getlength(word) > max_width and len(word) > 1:
            cut = _longest_prefix(word, font, max_width)
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and font.getlength(last + "…") > max_width:
            last = last[:-1]
        lines = lines[: max_lines - 1] + [last.rstrip() + "…"]
    return lines


def _longest_prefix(word: str, font: Font, max_width: float) -> int:
    lo, hi = 1, len(word)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if font.getlength(word[:mid]) <= max_width else (lo, mid - 1)
    return lo


def text_layer(width: int, height: int, prompt: str, subtitle: str, label: str, bottom: bool) -> Image.Image:
    """The static RGBA overlay: a label badge, the wrapped prompt and the subtitle lines on a panel."""
    unit = min(width, height) / 720
    pad = round(36 * unit)
    title_font, sub_font, label_font = (
        face(round(44 * unit), True),
        face(round(24 * unit)),
        face(round(20 * unit), True),
    )
    inner = width - 4 * pad
    title_step, sub_step = round(56 * unit), round(34 * unit)
    sub_lines = [line for raw in subtitle.splitlines() if (line := printable(raw, sub_font, 200))]
    sub_lines = [wrap(line, sub_font, inner, 1)[0] for line in sub_lines][:4]
    room = height * (0.42 if bottom else 0.6) - len(sub_lines) * sub_step
    title = wrap(
        printable(prompt, title_font) or "(no prompt)", title_font, inner, max(1, int(room // title_step))
    )

    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    block = len(title) * title_step + (len(sub_lines) * sub_step + pad // 2 if sub_lines else 0)
    top = height - pad * 3 - block if bottom else (height - block) // 2
    draw.rounded_rectangle(
        (pad, top - pad, width - pad, top + block + pad), radius=pad // 2, fill=(8, 10, 16, 165)
    )
    y = top
    for line in title:
        draw.text((2 * pad, y), line, font=title_font, fill=(250, 250, 245, 255))
        y += title_step
    y += pad // 2
    for line in sub_lines:
        draw.text((2 * pad, y), line, font=sub_font, fill=(200, 210, 225, 255))
        y += sub_step
    badge = wrap(printable(label, label_font, 80) or "PREVIEW", label_font, inner, 1)[0]
    bw = label_font.getlength(badge)
    draw.rounded_rectangle(
        (pad, pad, pad + bw + pad, pad + round(34 * unit)), radius=pad // 3, fill=(230, 80, 60, 230)
    )
    draw.text((pad + pad / 2, pad + round(6 * unit)), badge, font=label_font, fill=(255, 255, 255, 255))
    x0, y0, x1, y1 = bar_box(width, height)
    draw.rectangle((x0, y0, x1, y1), fill=(255, 255, 255, 60))
    return layer


def bar_box(width: int, height: int) -> tuple[int, int, int, int]:
    unit = min(width, height) / 720
    pad, thick = round(36 * unit), max(2, round(5 * unit))
    return pad, height - pad - thick, width - pad, height - pad


def draw_clock(
    frame: Image.Image, bar: tuple[int, int, int, int], font: Font, i: int, frames: int, fps: int
) -> None:
    """The per-frame part: the playhead bar and a seconds:frames timecode above its right end."""
    x0, y0, x1, y1 = bar
    draw = ImageDraw.Draw(frame)
    draw.rectangle((x0, y0, x0 + round((x1 - x0) * (i + 1) / frames), y1), fill=(230, 80, 60))
    code = f"{i // fps // 60:02d}:{i // fps % 60:02d}:{i % fps:02d}"
    draw.text((x1, y0 - 4), code, font=font, fill=(235, 235, 235), anchor="rd")

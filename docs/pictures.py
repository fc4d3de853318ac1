"""Remakes README's pictures of a campaign from a real run on the preview renderer: the board's own
Block Kit drawn as HTML, and its cut's screening room, both screenshotted by Debian's chromium.

Run from the repository root with the test extras installed: `python -m docs.pictures`. Emoji need a
colour emoji font (Debian: `apt-get install fonts-noto-color-emoji`); without one they show as boxes.
"""

from __future__ import annotations

import asyncio
import copy
import re
import sys
import tempfile
from collections.abc import Mapping
from html import escape, unescape
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python docs/pictures.py` as well as `python -m docs.pictures`
    sys.path.insert(0, str(ROOT))

PUBLIC = "https://dailies.example.com"
WIDTH = 900
# the README's example brief, on the preview renderer (free, no keys), short clips for a short cut
SHOTS = "\n".join(
    [
        "a red sneaker on wet asphalt at night, neon reflections --seconds 2",
        "the sneaker spins on a turntable, studio light --seconds 3",
        "a runner laces it up on a park bench at dawn --seconds 2",
        "close-up on the sole hitting a puddle, slow motion --seconds 2",
        "the runner sprints through the city at sunrise --seconds 3",
        "the logo on a white wall, soft shadow --seconds 2",
    ]
)
EVE = "U0EVE"
NOTES = ["S2: the spin is too fast at 0:01", "S5: hold on the sunrise a beat longer at 0:02"]
# the shortcodes Dailies' cards and boards use, as the characters Slack draws for them
EMOJI = {
    "clapper": "🎬", "white_check_mark": "✅", "x": "❌", "repeat": "🔁", "hourglass_flowing_sand": "⏳",
    "raised_hand": "✋", "warning": "⚠️", "speech_balloon": "💬", "outbox_tray": "📤", "inbox_tray": "📥",
    "no_entry_sign": "🚫", "film_frames": "🎞️", "scissors": "✂️", "star": "⭐", "arrows_counterclockwise": "🔄",
}  # fmt: skip
LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")

STYLE = """
body { margin: 0; background: #fff; font: 15px/1.46668 "Liberation Sans", "DejaVu Sans", Arial,
  "Noto Color Emoji", sans-serif; color: #1d1c1d; }
.message { display: flex; gap: 8px; padding: 12px 20px 14px; width: 860px; box-sizing: border-box; }
.avatar { width: 36px; height: 36px; border-radius: 6px; background: #1d1c1d; color: #fff; flex: none;
  display: flex; align-items: center; justify-content: center; font-size: 20px; }
.body { flex: 1; min-width: 0; }
.who b { font-weight: 900; } .app { font-size: 10px; font-weight: 700; color: #616061; background: #e8e8e8;
  border-radius: 2px; padding: 1px 3px; margin: 0 4px; vertical-align: 2px; } .when { color: #616061; font-size: 12px; }
.block { margin: 4px 0; } .section { white-space: pre-wrap; word-wrap: break-word; }
.divider { border: 0; border-top: 1px solid #dddddd; margin: 10px 0; }
.context { color: #616061; font-size: 13px; white-space: pre-wrap; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; margin: 8px 0; }
.button { border: 1px solid #bbbabb; border-radius: 4px; padding: 3px 12px; font-weight: 700; font-size: 14px;
  line-height: 22px; background: #fff; } .button.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.button.danger { color: #e01e5a; }
.quote { display: block; border-left: 4px solid #dddddd; padding-left: 10px; }
a { color: #1264a3; text-decoration: none; } .mention { color: #1264a3; background: #e8f5fa; border-radius: 3px;
  padding: 0 2px; } code { font: 12px "DejaVu Sans Mono", monospace; color: #e01e5a; background: #f6f6f6;
  border: 1px solid #e1e1e1; border-radius: 3px; padding: 1px 3px; }
.replies { margin-top: 6px; color: #1264a3; font-size: 13px; font-weight: 700; }
"""


def _inline(text: str, names: Mapping[str, str]) -> str:
    """One line of Slack mrkdwn as HTML: links and mentions, `code`, *bold*, _italic_, ~strike~, :emoji:."""
    links: list[str] = []

    def link(match: re.Match) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            shown = f"@{names.get(target[1:], label or target[1:])}"
            html = f'<span class="mention">{escape(shown)}</span>'
        elif target.startswith("#"):
            html = f'<span class="mention">#{escape(label or target[1:])}</span>'
        elif target.startswith("!"):
            html = f'<span class="mention">@{escape(target[1:].split("^")[0])}</span>'
        else:
            html = f'<a href="{escape(unescape(target))}">{escape(unescape(label or target))}</a>'
        links.append(html)
        return f"\x00{len(links) - 1}\x00"

    held = escape(unescape(LINK.sub(link, text)), quote=False)
    codes: list[str] = []

    def code(match: re.Match) -> str:
        codes.append(f"<code>{match.group(1)}</code>")
        return f"\x01{len(codes) - 1}\x01"

    held = re.sub(r"`([^`\n]+)`", code, held)
    held = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]+?)\*(?![\w*])", r"<b>\1</b>", held)
    held = re.sub(r"(?<![\w_])_(?=\S)([^_\n]+?)_(?![\w_])", r"<i>\1</i>", held)
    held = re.sub(r"(?<![\w~])~(?=\S)([^~\n]+?)~(?![\w~])", r"<s>\1</s>", held)
    held = re.sub(r":([a-z0-9_+-]+):", lambda m: EMOJI.get(m.group(1), m.group(0)), held)
    held = re.sub("\x01(\\d+)\x01", lambda m: codes[int(m.group(1))], held)
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], held)


def mrkdwn(text: str, names: Mapping[str, str] = {}) -> str:  # noqa: B006 (read only)
    """Slack mrkdwn as HTML; a line starting `>` is a quote."""
    lines = []
    for line in text.split("\n"):
        quoted = re.match(r"^(?:>|&gt;)\s?", line)
        if quoted:
            lines.append(f'<span class="quote">{_inline(line[quoted.end() :], names)}</span>')
        else:
            lines.append(_inline(line, names) + "\n")
    return "".join(lines).rstrip("\n")


def _text(obj: Mapping, names: Mapping[str, str]) -> str:
    if obj.get("type") == "mrkdwn":
        return mrkdwn(obj.get("text", ""), names)
    return escape(obj.get("text", ""))


def _button(element: Mapping) -> str:
    style = f" {element['style']}" if element.get("style") in ("primary", "danger") else ""
    return f'<span class="button{style}">{escape(element["text"]["text"])}</span>'


def block_html(block: Mapping, names: Mapping[str, str]) -> str:
    """One Block Kit block (section, context, divider, actions, header, image) as HTML."""
    kind = block["type"]
    if kind == "divider":
        return '<hr class="divider">'
    if kind == "header":
        return f'<div class="block"><b style="font-size:18px">{_text(block["text"], names)}</b></div>'
    if kind == "section":
        parts = [_text(block["text"], names)] if block.get("text") else []
        parts += [_text(f, names) for f in block.get("fields", ())]
        accessory = block.get("accessory") or {}
        side = _button(accessory) if accessory.get("type") == "button" else ""
        return f'<div class="block section">{"<br>".join(parts)}{" " + side if side else ""}</div>'
    if kind == "context":
        shown = [
            _text(e, names) if e["type"] in ("mrkdwn", "plain_text") else escape(e.get("alt_text", ""))
            for e in block["elements"]
        ]
        return f'<div class="block context">{" ".join(shown)}</div>'
    if kind == "actions":
        shown = [_button(e) for e in block["elements"] if e["type"] == "button"]
        return f'<div class="block actions">{"".join(shown)}</div>'
    if kind == "image":
        return f'<div class="block context">[image: {escape(block.get("alt_text", ""))}]</div>'
    return f'<div class="block context">[{escape(kind)} block]</div>'


def message_html(message: Mapping, names: Mapping[str, str] = {}, when: str = "10:42") -> str:  # noqa: B006
    """A bot's message as Slack lays it out (its blocks; the text is only the notification's, so it
    is the page's title), with the thread's reply count under it."""
    profile = message.get("bot_profile") or {}
    blocks = "".join(block_html(b, names) for b in message.get("blocks", ()))
    replies = message.get("reply_count")
    thread = f'<div class="replies">{replies} replies</div>' if replies else ""
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(message.get("text", ""))}</title>'
        f'<style>{STYLE}</style></head><body><div class="message"><div class="avatar">🎬</div>'
        f'<div class="body"><div class="who"><b>{escape(profile.get("name", "Dailies"))}</b>'
        f'<span class="app">APP</span><span class="when">{escape(when)}</span></div>'
        f"{blocks}{thread}</div></div></body></html>"
    )


async def _shoot_board(browser, message: Mapping, names: Mapping[str, str], path: Path) -> None:
    page = await browser.new_page(viewport={"width": WIDTH, "height": 400})
    await page.set_content(message_html(message, names))
    await page.locator(".message").screenshot(path=str(path))
    await page.close()


async def _shoot_room(browser, url: str, path: Path) -> None:
    page = await browser.new_page(viewport={"width": WIDTH, "height": 900})
    await page.goto(url)
    # every player's poster has loaded (the page's CSP forbids eval, so poll from here)
    loaded = "[...document.querySelectorAll('video')].every(v => v.readyState >= 2)"
    for _ in range(200):
        if await page.evaluate(loaded):
            break
        await asyncio.sleep(0.05)
    await page.evaluate(
        "document.querySelectorAll('video').forEach(v => { v.pause(); v.currentTime = 0.5; })"
    )
    await asyncio.sleep(0.5)
    # each shot's marker should start where its piece plays; say so when the browser did not place them
    lefts = await page.evaluate(
        "[...document.querySelectorAll('.piece')].map(e => e.getBoundingClientRect().left)"
    )
    if len(set(lefts)) < len(lefts):
        print(f"warning: the cut's {len(lefts)} shot markers are not placed along its timeline (x = {lefts})")
    await page.screenshot(path=str(path), full_page=True)
    await page.close()


async def make(out: Path) -> dict[str, Path]:
    """Run a six-shot campaign and its cut against the stand-ins; write both pictures into `out`."""
    from tests.fakes.slack import running
    from tests.fakes.slack_requests import view_submission_payload
    from tests.harness import running_bot
    from tests.scenario.test_scenario_campaigns import (
        ALICE,
        CHANNEL,
        board_ts,
        campaign_form,
        delivered,
        eventually,
        interact,
    )
    from tests.scenario.test_scenario_cut import reply, the_cut
    from tests.scenario.test_screening_room import chromium

    names = {ALICE: "alice", EVE: "eve"}
    made = {"board": out / "campaign-board.png", "room": out / "cut-screening-room.png"}
    with tempfile.TemporaryDirectory() as tmp:
        async with running() as slack, running_bot(Path(tmp), slack, DAILIES_PUBLIC_URL=PUBLIC) as bot:
            view = await campaign_form(bot, slack)
            values = {"title": "Spring drop", "model": "preview", "aspects": ["16:9"], "shots": SHOTS}
            await interact(bot, view_submission_payload(view, values, user_id=ALICE))
            await eventually(lambda: delivered(bot, 6), timeout=120)
            await bot.settle()
            ts = await board_ts(bot)
            await eventually(
                lambda: asyncio.sleep(0, "6 of 6 delivered" in slack.message(CHANNEL, ts)["text"])
            )
            board = copy.deepcopy(slack.message(CHANNEL, ts))  # as it reads now, before the cut
            # a colleague's notes on two shots, then the cut: the room places them in the sequence
            for note in NOTES:
                await reply(bot, slack, ts, note, user=EVE)
            await eventually(
                lambda: bot.dailies.store.run(
                    lambda db: len(db.query("SELECT id FROM review_notes")) == len(NOTES)
                )
            )
            await reply(bot, slack, ts, "cut")
            await the_cut(slack, ts)
            await bot.settle()
            line = next(
                b["text"]["text"]
                for b in slack.message(CHANNEL, ts)["blocks"]
                if "The cut v1" in (b.get("text") or {}).get("text", "")
            )
            link = re.search(r"<(https://[^|>]+)\|screening room>", line).group(1)
            async with chromium() as browser:
                await _shoot_board(browser, board, names, made["board"])
                await _shoot_room(browser, bot.url + urlsplit(link).path, made["room"])
    for picture in made.values():
        _shrink(picture)
    return made


def _shrink(path: Path) -> None:
    """At most 256 colours: a screenshot of flat panels and one video frame stays well under 150 KB."""
    from PIL import Image

    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def main() -> None:
    made = asyncio.run(make(ROOT / "docs"))
    for path in made.values():
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()

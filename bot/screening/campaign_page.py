"""The screening room's campaign page (pure): a row per shot (S1…Sn with its prompt, then the cut
when there is one) and a column per version, made of the shot page's players, sync, posters,
notes and decision forms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from bot.screening.page import SignInView, _rule, _transport, _version, _viewer
from bot.screening.room import Room, Version


@dataclass(frozen=True)
class CampaignRow:
    """One shot of the campaign as the page shows it."""

    label: str  # "S3", or the shot's own title for a shot outside S1…Sn (the cut)
    anchor: str  # its id in the page (the board's line for S3 links to #S3)
    shot_id: int  # what its clips' URLs and its forms name
    prompt: str
    room: Room
    own_page: str  # the shot's own screening-room page (every version side by side, its notes' marks)


def _labels(rows: Sequence[CampaignRow]) -> dict[tuple[int, int], str]:
    """Each version's column label: its aspect and model, each only when the campaign's versions
    do not all share it."""
    versions = [(r.shot_id, v) for r in rows for v in r.room.versions]
    aspects = {v.aspect for _, v in versions}
    models = {v.model for _, v in versions}
    labels = {}
    for shot_id, v in versions:
        parts = [v.aspect] if len(aspects) > 1 and v.aspect else []
        parts += [v.model] if len(models) > 1 else []
        labels[(shot_id, v.number)] = " · ".join(parts)
    return labels


def _current(versions: Sequence[Version]) -> Version | None:
    return next((v for v in versions if v.current), None)


def _row(
    row: CampaignRow,
    token: str,
    once: str,
    names: Mapping[str, str],
    csrf: str,
    labels: Mapping[tuple[int, int], str],
) -> str:
    base = f"/campaign/{escape(token)}/{row.shot_id}"
    current = _current(row.room.versions)
    approved = [f"v{v.number}" for v in row.room.versions if v.verdict == "approved"]
    facts = f"{len(row.room.versions)} version{'s' * (len(row.room.versions) != 1)}"
    if approved:
        facts += " · approved " + ", ".join(approved)
    columns = "".join(
        # each shot's latest version starts ticked "in sync": Play shows the campaign as it stands
        _version(v, base, token, once, names, csrf, shot=row.shot_id, synced=v is current,
                 label=labels.get((row.shot_id, v.number), ""))
        for v in row.room.versions
    )  # fmt: skip
    if not columns:
        columns = '<p class="review none">No versions yet.</p>'
    return (
        f'<section class="shot-row" id="{escape(row.anchor)}" aria-labelledby="{escape(row.anchor)}-h">'
        f'<header class="shot-head"><h2 id="{escape(row.anchor)}-h">{escape(row.label)}</h2>'
        f'<p class="meta">{facts} · <a href="{escape(row.own_page)}">open {escape(row.label)} alone</a></p>'
        f"<blockquote>{escape(row.prompt)}</blockquote></header>"
        f'<div class="row-versions">{columns}</div></section>'
    )


def render_campaign_page(
    title: str,
    campaign_id: int,
    rows: Sequence[CampaignRow],
    token: str,
    *,
    names: Mapping[str, str] | None = None,
    note: str = "",
    once: str = "",
    sign_in: SignInView | None = None,
) -> str:
    """The whole page; `token` is the campaign's pass, `note` the answer to a decision just
    posted, `once` a fresh value each form carries so a double click decides once."""
    names = names or {}
    delivered = sum(1 for r in rows if any(v.delivered for v in r.room.versions))
    shots = [r for r in rows if r.anchor.startswith("S")]
    summary = f"Campaign C{campaign_id} · {len(shots)} shot{'s' * (len(shots) != 1)}"
    summary += (
        f" · {sum(1 for r in shots if any(v.delivered for v in r.room.versions))} of {len(shots)} delivered"
    )
    notice = f'<p class="notice" role="status">{escape(note)}</p>' if note else ""
    csrf = sign_in.csrf if sign_in is not None else ""
    labels = _labels(rows)
    body = "".join(_row(r, token, once, names, csrf, labels) for r in rows)
    jump = " ".join(f'<a href="#{escape(r.anchor)}">{escape(r.label)}</a>' for r in rows)
    # the rules and the viewer's standing are the channel's: every row has the same
    first = rows[0].room if rows else None
    standing = f"{_rule(first, names)} {_viewer(first, names, sign_in, 'board')}" if first else ""
    return f"""<!doctype html>
<html lang="en" class="dark">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="robots" content="noindex">
<title>C{campaign_id} · {escape(title[:60])} · Dailies screening room</title>
<link rel="stylesheet" href="/review-assets/room.css">
</head>
<body class="campaign">
<header class="top">
  <div class="brand">Dailies <span>screening room</span></div>
  <h1>{escape(title)}</h1>
  <p class="meta">{summary}</p>
  <p class="meta">{standing}</p>
  <nav class="jump" aria-label="Shots">{jump}</nav>
</header>
{notice}
{_transport() if delivered else ""}
<main class="rows">
{body}
</main>
<footer><p>Each row is a shot, each column one of its versions; <b>Play in sync</b> plays every version ticked "in sync" (each shot's latest to begin with). Clips stream from Slack's copy; this link expires. A decision here is the same as a reaction on the clip in the board's thread, and lands in <code>/video audit</code>.</p></footer>
<script src="/review-assets/room.js" defer></script>
</body>
</html>
"""

"""The screening room's HTML (pure): a player per version with its facts and review state, forms
that post decisions with the pass in the body, and the hooks the sync player script uses.
Everything works without JavaScript except playing versions together."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape, unescape

from bot.request.money import usd
from bot.request.timecode import format_timecode
from bot.screening.cut_room import render_sequence
from bot.screening.room import Note, Room, Version
from storage.states import TakeState

KIND_LABEL = {
    "generate": "generate",
    "edit": "edit",
    "again": "again",
    "extend": "extend",
    "final": "final",
    "avatar": "avatar",
    "cut": "the cut",
}
STATE_LABEL: dict[str, str] = {
    TakeState.HELD: "waiting for approval",
    TakeState.QUEUED: "queued",
    TakeState.SUBMITTING: "queued",
    TakeState.RENDERING: "rendering",
    TakeState.DOWNLOADING: "rendering",
    TakeState.UPLOADING: "uploading",
    TakeState.FAILED: "failed",
    TakeState.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class SignInView:
    """What the page shows of Sign in with Slack (None on a room without it: the personal link decides)."""

    url: str  # "Sign in with Slack to decide", coming back to this room
    user_id: str = ""  # signed in, to this shot's workspace
    csrf: str = ""  # the session's CSRF token, carried by every decision form
    elsewhere: bool = False  # signed in, to another workspace: watch only


def _when(iso: str) -> str:
    return f"{iso[:10]} {iso[11:16]}" if len(iso) >= 16 else iso


def _person(user_id: str, names: Mapping[str, str]) -> str:
    return escape("@" + names.get(user_id, user_id))


def _badges(v: Version) -> str:
    badges = []
    if v.final:
        badges.append('<span class="badge final">final</span>')
    else:
        badges.append(f'<span class="badge kind">{escape(KIND_LABEL.get(v.kind, v.kind))}</span>')
    if v.verdict == "approved":
        badges.append('<span class="badge approved">✓ approved</span>')
    elif v.verdict == "rejected":
        badges.append('<span class="badge rejected">✕ rejected</span>')
    if v.current:
        badges.append('<span class="badge current">current</span>')
    return "".join(badges)


def _facts(v: Version, names: Mapping[str, str]) -> str:
    seconds = f"{v.seconds:g} s" if v.seconds else "follows the speech"
    parent = f"v{v.parent}" if v.parent and v.kind in ("edit", "extend") else ""
    rows = [
        ("model", f"<code>{escape(v.model)}</code>"),
        ("length", escape(seconds)),
        ("cost", usd(v.cost) if v.delivered else "—"),
        ("asked by", _person(v.asked_by, names)),
    ]
    if parent:
        rows.insert(0, (f"{v.kind} of", parent))
    return "".join(f"<div><dt>{k}</dt><dd>{val}</dd></div>" for k, val in rows)


def _review(v: Version, names: Mapping[str, str]) -> str:
    if not v.decisions:
        return '<p class="review none">No decisions yet.</p>'
    items = "".join(
        f'<li class="{"yes" if d.decision == "approve" else "no"}">'
        f"{'✓ approved' if d.decision == 'approve' else '✕ rejected'} by {_person(d.user_id, names)}"
        f' <time datetime="{escape(d.at)}">{escape(_when(d.at))}</time></li>'
        for d in v.decisions
    )
    return f'<ul class="review">{items}</ul>'


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(?:[^|>]+\|)?([^>]+)>")


def _slack_text(text: str, names: Mapping[str, str]) -> str:
    """A message as Slack stores it (mentions `<@U…>`, links `<url|label>`, `&lt;`) as safe HTML."""
    text = _MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    return escape(unescape(_LINK.sub(lambda m: m.group(1), text)))


def _seek(t: float) -> str:
    return f'<button type="button" class="seek" data-seek="{t:g}" title="Seek the synced players here">{format_timecode(t)}</button>'


def _notes(v: Version, names: Mapping[str, str]) -> str:
    if not v.notes:
        return ""
    items = "".join(
        f"<li>{_seek(n.timecode) + ' ' if n.timecode is not None else ''}<b>{_person(n.user_id, names)}</b> "
        f"{_slack_text(n.text, names)}"
        f' <time datetime="{escape(n.at)}">{escape(_when(n.at))}</time></li>'
        for n in v.notes
    )
    count = f"{len(v.notes)} note{'s' * (len(v.notes) != 1)}"
    return (
        f'<section class="notes" aria-label="Notes on v{v.number}"><h3>{count}</h3><ul>{items}</ul></section>'
    )


def _marks(room: Room, names: Mapping[str, str]) -> str:
    """A marker on the transport's timeline per timecoded note; a click seeks the synced players."""
    longest = max((v.seconds or 0 for v in room.versions if v.delivered), default=0)
    marks: list[tuple[float, int, Note]] = [
        (n.timecode, v.number, n) for v in room.versions for n in v.notes if n.timecode is not None
    ]
    if not marks or not longest:
        return ""
    buttons = "".join(
        f'<button type="button" class="mark" data-seek="{t:g}" data-left="{min(100.0, t / longest * 100):.2f}" '
        f'title="v{number} {format_timecode(t)} {_person(n.user_id, names)}: {_slack_text(n.text, names)[:120]}">'
        f"v{number}</button>"
        for t, number, n in sorted(marks, key=lambda m: (m[0], m[1]))
    )
    return f'<div class="marks" id="marks" aria-label="Notes on the timeline">{buttons}</div>'


def _actions(v: Version, token: str, once: str, csrf: str = "", shot: int = 0) -> str:
    """The version's decision form; `shot` set: on a campaign's page, for that shot (by id)."""
    if not v.delivered or not (v.viewer_decides or v.viewer_presses):
        return ""
    buttons = []
    if v.viewer_decides:
        buttons.append(("approve", "Approve", "primary"))
        buttons.append(("reject", "Reject", "danger"))
    if v.viewer_presses:
        buttons.append(("another_take", "Another take", ""))
        buttons.append(("final_render", "Final render", ""))
    inner = "".join(
        f'<button type="submit" name="action" value="{a}" class="{cls}">{label}</button>'
        for a, label, cls in buttons
    )
    return (
        f'<form class="decide" method="post" action="{"/campaign" if shot else "/review"}">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        + (f'<input type="hidden" name="shot" value="{shot}">' if shot else "")
        + f'<input type="hidden" name="version" value="{v.number}">'
        + f'<input type="hidden" name="once" value="{escape(once)}">'
        + (f'<input type="hidden" name="csrf" value="{escape(csrf)}">' if csrf else "")
        + f"{inner}</form>"
    )


def _player(v: Version, base: str, key: str = "") -> str:
    """`key` names the player for the sync script (the version's number; unique on the page)."""
    key = key or str(v.number)
    if not v.delivered:
        state = STATE_LABEL.get(v.state, v.state)
        detail = f"<small>{escape(v.error)}</small>" if v.error else ""
        return f'<div class="screen empty"><span>{escape(state)}</span>{detail}</div>'
    stamp = ""
    if v.verdict == "approved":
        stamp = '<span class="stamp approved">✓ Approved</span>'
    elif v.verdict == "rejected":
        stamp = '<span class="stamp rejected">✕ Rejected</span>'
    return (
        f'<div class="screen">{stamp}<video id="v{key}" data-version="{key}" controls playsinline '
        f'preload="metadata" poster="{base}/v{v.number}.jpg">'
        f'<source src="{base}/v{v.number}.mp4" type="video/mp4">'
        f'<a href="{base}/v{v.number}.mp4">Download v{v.number}</a></video></div>'
    )


def _version(
    v: Version,
    base: str,
    token: str,
    once: str,
    names: Mapping[str, str],
    csrf: str = "",
    *,
    shot: int = 0,
    synced: bool = True,
    label: str = "",
) -> str:
    """A version's player, facts, review, notes and form; on a campaign's page `shot` is its shot's
    id (its players' keys and forms name it), `synced` whether it starts ticked "in sync", and
    `label` what tells it from the other columns (its aspect, model)."""
    key = f"{shot}-{v.number}" if shot else str(v.number)
    classes = ["version", v.verdict]
    if v.final:
        classes.append("is-final")
    sync = (
        f'<label class="sync-pick"><input type="checkbox" data-sync="v{key}"{" checked" * synced}> in sync</label>'
        if v.delivered
        else ""
    )
    prompt = f"<blockquote>{escape(v.prompt)}</blockquote>" if v.prompt else ""
    heading = f"v{v.number}" + (f' <small class="column">{escape(label)}</small>' if label else "")
    return (
        f'<article class="{" ".join(classes)}" id="version-{key}" data-version="{key}">'
        f"{_player(v, base, key)}"
        f'<header><h2>{heading}</h2><div class="badges">{_badges(v)}</div>{sync}</header>'
        f"{render_sequence(v.sequence, v.number, lambda u: _person(u, names), lambda t: _slack_text(t, names))}"
        f"{prompt}<dl>{_facts(v, names)}</dl>{_review(v, names)}{_notes(v, names)}"
        f"{_actions(v, token, once, csrf, shot)}</article>"
    )


def _rule(room: Room, names: Mapping[str, str]) -> str:
    if not room.approvers:
        return "The requester approves."
    people = ", ".join(_person(u, names) for u in room.approvers)
    need = "every approver" if room.rule == "all" and len(room.approvers) > 1 else "one approver"
    return f"Approvers: {people} ({need} decides)."


def _viewer(
    room: Room, names: Mapping[str, str], sign_in: SignInView | None = None, where: str = "card"
) -> str:
    """Who the page decides as; `where` is the Slack message whose button gives a personal link
    (a shot's card, a campaign's board)."""
    if sign_in is not None:
        link = f'<a class="signin" href="{escape(sign_in.url)}">Sign in with Slack to decide</a>'
        if sign_in.user_id:
            return f"Signed in with Slack as {_person(sign_in.user_id, names)}: your decisions count as yours in Slack."
        if sign_in.elsewhere:
            return (
                "You are signed in with Slack to another workspace: only members of the workspace this shot "
                f'belongs to decide here. <a class="signin" href="{escape(sign_in.url)}">Sign in as someone else</a>.'
            )
        return f"Watch-only until you sign in. {link}."
    if room.viewer:
        return f"Signed link for {_person(room.viewer, names)}: your decisions count as yours in Slack."
    return (
        f"Watch-only link. To approve or reject here, press <b>Screening room</b> on the {where} in Slack: "
        "Dailies sends you a personal link."
    )


def _transport(marks: str = "") -> str:
    """One play/pause/scrub for every player ticked "in sync" (room.js shows it)."""
    return (
        '<section class="transport" id="transport" hidden aria-label="Play versions in sync">'
        '<button type="button" id="play" class="primary" aria-label="Play">▶ Play in sync</button>'
        '<button type="button" id="back" title="One frame back (←)">◀︎❘</button>'
        '<button type="button" id="fwd" title="One frame forward (→)">❘▶︎</button>'
        '<div class="timeline"><input type="range" id="scrub" min="0" max="1000" value="0" step="1" '
        f'aria-label="Scrub">{marks}</div>'
        '<output id="clock">0:00.00</output>'
        '<label class="mute"><input type="checkbox" id="mute" checked> mute</label>'
        "</section>"
    )


def render_page(
    room: Room,
    token: str,
    *,
    names: Mapping[str, str] | None = None,
    note: str = "",
    once: str = "",
    sign_in: SignInView | None = None,
) -> str:
    """The whole page; `token` is the pass in the URL, `note` the answer to a decision just posted,
    `once` a fresh value each form carries so a double click decides once."""
    names = names or {}
    base = f"/review/{escape(token)}"
    delivered = sum(1 for v in room.versions if v.delivered)
    approved = [v.number for v in room.versions if v.verdict == "approved"]
    summary = f"{len(room.versions)} version{'s' * (len(room.versions) != 1)}"
    if approved:
        summary += " · approved " + ", ".join(f"v{n}" for n in approved)
    notice = f'<p class="notice" role="status">{escape(note)}</p>' if note else ""
    csrf = sign_in.csrf if sign_in is not None else ""
    versions = "".join(_version(v, base, token, once, names, csrf) for v in reversed(room.versions))
    transport = _transport(_marks(room, names)) if delivered >= 1 else ""
    where = "board" if room.on_board else "card"
    return f"""<!doctype html>
<html lang="en" class="dark">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="robots" content="noindex">
<title>v{len(room.versions)} · {escape(room.title[:60])} · Dailies screening room</title>
<link rel="stylesheet" href="/review-assets/room.css">
</head>
<body>
<header class="top">
  <div class="brand">Dailies <span>screening room</span></div>
  <h1>{escape(room.title)}</h1>
  <p class="meta">Shot {room.shot_id} · {summary}</p>
  <p class="meta">{_rule(room, names)} {_viewer(room, names, sign_in, where)}</p>
</header>
{notice}
{transport}
<main class="versions">
{versions}
</main>
<footer><p>Clips stream from Slack's copy of each version; this link expires. A decision here is the same as a reaction or a button on the {where} in Slack, and lands in <code>/video audit</code>.</p></footer>
<script src="/review-assets/room.js" defer></script>
</body>
</html>
"""


def refused_page() -> str:
    """The answer to a pass that is altered, expired or for another workspace: it says nothing more."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/review-assets/room.css"><title>Link not valid</title></head>'
        '<body><main class="refused"><h1>This link is not valid</h1>'
        "<p>It may have expired. Press <b>Screening room</b> on the job card in Slack for a fresh one.</p>"
        "</main></body></html>"
    )


def _plain_page(title: str, heading: str, body_html: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="stylesheet" href="/review-assets/room.css"><title>{escape(title)}</title></head>'
        f'<body><main class="refused"><h1>{escape(heading)}</h1>{body_html}</main></body></html>'
    )


def other_workspace_page(back: str) -> str:
    """A signed-in member of another workspace tried to decide: nothing changed, and why."""
    return _plain_page(
        "Not your workspace",
        "Only members of this shot's workspace can decide",
        "<p>You are signed in with Slack to another workspace, so your decision was not counted. "
        "Anyone with the link may still watch.</p>"
        f'<p><a href="{escape(back)}">Back to the screening room</a></p>',
    )


def stale_form_page(back: str) -> str:
    """A decision without the page's CSRF token (another site's form, or a page from before sign-in)."""
    return _plain_page(
        "Form out of date",
        "Nothing was decided",
        "<p>This form did not come from your signed-in screening-room page. Reload the page and try again.</p>"
        f'<p><a href="{escape(back)}">Back to the screening room</a></p>',
    )


def sign_in_failed_page(message: str, back: str) -> str:
    link = f'<p><a href="{escape(back)}">Back to the screening room</a></p>' if back else ""
    return _plain_page("Sign-in failed", "You are not signed in", f"<p>{escape(message)}</p>{link}")

"""The job card: a pure rendering of a shot (its jobs and versions) as Block Kit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.cards.dm_studio import is_dm, share_block
from bot.media.disclosure import UNSIGNED, disclosure
from bot.request.money import usd
from bot.request.review import can_approve_text, may_review, verdict
from bot.request.shots import shot_lines
from storage.rows import JobRow, ShotRow, TakeRow, TakeView
from storage.states import JOB_RUNNING, JobState, TakeState

STATE_LINE: dict[str, str] = {
    JobState.AWAITING_APPROVAL: ":raised_hand: Awaiting approval",
    JobState.QUEUED: ":hourglass_flowing_sand: Queued",
    JobState.RENDERING: ":clapper: Rendering",
    JobState.UPLOADING: ":outbox_tray: Uploading",
    JobState.DELIVERED: ":white_check_mark: Delivered",
    JobState.FAILED: ":x: Failed",
    JobState.CANCELLED: ":no_entry_sign: Cancelled",
}
TAKE_ICON: dict[str, str] = {
    TakeState.HELD: ":raised_hand:",
    TakeState.QUEUED: ":hourglass_flowing_sand:",
    TakeState.SUBMITTING: ":hourglass_flowing_sand:",
    TakeState.RENDERING: ":clapper:",
    TakeState.DOWNLOADING: ":inbox_tray:",
    TakeState.UPLOADING: ":outbox_tray:",
    TakeState.DELIVERED: ":film_frames:",
    TakeState.FAILED: ":x:",
    TakeState.CANCELLED: ":no_entry_sign:",
}
RUNNING = JOB_RUNNING


@dataclass(frozen=True)
class CardView:
    shot: ShotRow
    jobs: list[JobRow]
    takes: list[TakeView]  # with their review-note counts (jobs.shot_view)
    now: datetime
    typical_seconds: int = 0  # the model's typical render time, for backends without progress
    backend_label: str = ""  # how the latest job's backend is named ("" = its name)
    backend_note: str = ""  # what the card says about that backend rendering this model
    decisions: tuple[dict, ...] = ()  # each person's latest review decision (storage.approvals)
    approvers: tuple[str, ...] = ()
    rule: str = "any"
    screening_url: str = ""  # the shot's screening room, when Dailies serves one (DAILIES_PUBLIC_URL)


def _elapsed(since: str | None, now: datetime) -> str:
    if not since:
        return ""
    secs = max(0, int((now - datetime.fromisoformat(since)).total_seconds()))
    return f"{secs // 60}m {secs % 60:02d}s" if secs >= 60 else f"{secs}s"


def _progress(take: TakeRow, view: CardView) -> str:
    note = take.get("status_note")
    if note and take["state"] in (TakeState.SUBMITTING, TakeState.RENDERING):
        return note  # e.g. "waiting for the provider" while a 429 is retried
    if take["state"] != TakeState.RENDERING:
        return take["state"].replace("_", " ")
    if take.get("progress"):
        return f"rendering {take['progress']}%"
    elapsed = _elapsed(take.get("submitted_at"), view.now)
    typical = f" (typically ~{max(1, round(view.typical_seconds / 60))} min)" if view.typical_seconds else ""
    return f"rendering · {elapsed} elapsed{typical}" if elapsed else "rendering"


def headline(view: CardView) -> str:
    """The card's first line: the latest job's state, with the current version's progress."""
    job = view.jobs[-1]
    line = STATE_LINE.get(job["state"], job["state"])
    live = [t for t in view.takes if t["job_id"] == job["id"]]
    if job["state"] == JobState.RENDERING:
        rendering = [t for t in live if t["state"] == TakeState.RENDERING]
        if rendering:
            best = rendering[0]
            detail = _progress(best, view)
            line = f"{line} {detail.removeprefix('rendering').strip(' ·')}".rstrip()
    waiting = [
        t
        for t in live
        if t["state"] in (TakeState.SUBMITTING, TakeState.DOWNLOADING) and t.get("status_note")
    ]
    if waiting and job["state"] in (JobState.QUEUED, JobState.RENDERING, JobState.UPLOADING):
        # held up, and why ("… is not answering", "the media disk is full …")
        line += f" · {waiting[0]['status_note']}"
    if job["state"] == JobState.AWAITING_APPROVAL:
        line += f" · estimate {usd(job['estimate_usd'])} · {can_approve_text(view.approvers, view.rule, job['user_id'])}"
    if job["state"] == JobState.DELIVERED:
        jobs_by_id = {j["id"]: j for j in view.jobs}
        approved = [t for t in view.takes if _review(t, jobs_by_id[t["job_id"]], view)[0] == "approved"]
        if approved:
            line = f":white_check_mark: Approved v{approved[-1]['version']}"
    return line


def _review(take: TakeRow, job: JobRow, view: CardView) -> tuple[str, list[dict]]:
    """A version's verdict and the decisions that count for it (withdrawn ones dropped)."""
    rows = [d for d in view.decisions if d["take_id"] == take["id"] and d["decision"] != "withdrawn"]
    rows = [d for d in rows if may_review(d["user_id"], view.approvers, job["user_id"])]
    decided = {d["user_id"]: d["decision"] for d in rows}
    return verdict(decided, view.approvers, view.rule, job["user_id"]), rows


def _review_note(take: TakeRow, job: JobRow, view: CardView) -> str:
    state, rows = _review(take, job, view)
    if not rows:
        return ""
    who = ", ".join(
        f"{'✅' if d['decision'] == 'approve' else '❌'} <@{d['user_id']}> {d['at'][11:16]}" for d in rows
    )
    if state == "pending" and view.rule == "all" and view.approvers:
        done = sum(1 for d in rows if d["decision"] == "approve")
        return f" · *{done} of {len(view.approvers)} approvals* ({who})"
    return f" · *{state}* ({who})" if state != "pending" else f" · {who}"


def _version_line(take: TakeView, job: JobRow, view: CardView) -> str:
    label = f"v{take['version']}"
    if job["kind"] == "final":
        label += " *final*"
    if job["kind"] in ("edit", "extend", "lipsync") and job["request"].get("parent_version"):
        label += f" ({job['kind']} of v{job['request']['parent_version']})"
    elif job["request"].get("read_as"):
        label += f" ({job['request']['read_as']})"
    if take["id"] == _current_id(view):
        label += " ← *current*"
    if take["state"] == TakeState.DELIVERED:
        state = f"delivered · {usd(take['cost_usd'])}{_review_note(take, job, view)}"
    elif take["state"] == TakeState.FAILED:
        state = f"failed: {take.get('error') or 'unknown error'}"
    else:
        state = _progress(take, view)
    notes = f" · {note_count(take['notes'])}" if take.get("notes") else ""
    return f"{TAKE_ICON.get(take['state'], '')} {label} {state}{notes}"


def note_count(n: int) -> str:
    """How many review notes a version has, as every surface says it: `:speech_balloon: 2 notes`."""
    return f":speech_balloon: {n} note{'s' * (n != 1)}"


def _current_id(view: CardView) -> int | None:
    """The version the thread is working on: the latest delivered one."""
    delivered = [t for t in view.takes if t["state"] == TakeState.DELIVERED]
    return delivered[-1]["id"] if delivered else None


def render_card(view: CardView) -> tuple[str, list[dict]]:
    """(fallback text, blocks) for chat.postMessage / chat.update."""
    first_job = view.jobs[0]
    job = view.jobs[-1]
    request = job["request"]
    prompt = first_job["request"].get("prompt", "") or view.shot.get("title", "")
    head = headline(view)
    seconds = request.get("seconds")
    backend = job["backend"]
    backend_label = view.backend_label or backend
    fields = [
        f"*Model* `{job['model']}` on {backend_label}",
        f"*Duration* {seconds}s" if seconds else "*Duration* follows the speech",
        f"*Takes* {job['takes']}",
        f"*Cost* {usd(job['cost_usd'])}"
        if job["state"] == JobState.DELIVERED
        else f"*Estimate* {usd(job['estimate_usd'])}",
        f"*Asked by* <@{job['user_id']}>",
        f"*Job* J{job['id']}",
    ]
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{head}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f">{_quote(prompt)}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "  ·  ".join(fields)}]},
    ]
    shots = _shots(request)
    if shots:
        text = "\n".join(f"{n}. {line}" for n, line in enumerate(shot_lines(shots), start=1))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _quote(text)[:2900]}})
    notes = [n for n in request.get("notes", []) if n]
    if view.backend_note:
        notes.append(view.backend_note)
    if notes:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": n[:2000]} for n in notes[:10]]}
        )
    jobs_by_id = {j["id"]: j for j in view.jobs}
    lines = [_version_line(t, jobs_by_id[t["job_id"]], view) for t in view.takes[-12:]]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}})
    if job.get("error") and job["state"] == JobState.FAILED:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f":warning: {job['error']}"[:2000]}]}
        )
    actions = _buttons(view, job)
    if actions:
        blocks.append({"type": "actions", "block_id": f"card-{view.shot['id']}", "elements": actions})
    delivered = [t for t in view.takes if t["state"] == TakeState.DELIVERED]
    if delivered and is_dm(view.shot.get("channel_id") or ""):
        blocks.append(share_block(view.shot["id"], delivered[-1]))  # the private studio's way out
    return f"{head}: {prompt[:150]}", blocks


def _shots(request: dict) -> tuple[tuple[int, str], ...]:
    return tuple((int(s["seconds"]), s["prompt"]) for s in request.get("shots") or ())


def _quote(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (text[:1500] + "…") if len(text) > 1500 else text


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    """A Block Kit button."""
    found = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        found["style"] = style
    return found


def _buttons(view: CardView, job: JobRow) -> list[dict]:
    shot_id = view.shot["id"]
    delivered = [t for t in view.takes if t["state"] == TakeState.DELIVERED]
    buttons = []
    if job["state"] == JobState.AWAITING_APPROVAL:
        buttons.append(button("Approve", "approve", f"{shot_id}:job:{job['id']}", "primary"))
    elif delivered:
        take = delivered[-1]
        buttons.append(button("Approve", "approve", f"{shot_id}:take:{take['id']}", "primary"))
        buttons.append(button("Another take", "another_take", f"{shot_id}:take:{take['id']}"))
        buttons.append(button("Final render", "final_render", f"{shot_id}:take:{take['id']}"))
    if job["state"] in RUNNING or job["state"] == JobState.AWAITING_APPROVAL:
        buttons.append(button("Cancel", "cancel", f"{shot_id}:job:{job['id']}", "danger"))
    if view.screening_url and delivered:
        # a link button still sends an action: the listener answers with a personal link
        buttons.append(
            {**button("Screening room", "screening_room", str(shot_id)), "url": view.screening_url}
        )
    return buttons


def caption(
    *,
    model: str,
    seconds: float | None,
    cost: float | None,
    job_id: int,
    take: TakeRow,
    extra: str = "",
    shots: list[dict] | tuple = (),
    unsigned: bool = False,
    shot: str = "",
) -> str:
    """The one-line caption of a delivered clip in the thread (then a multi-shot clip's shots); it
    says the clip is AI-generated, and that it is unsigned when its C2PA signing failed; `shot`
    prefixes a campaign shot's number ("S3 ")."""
    secs = f"{seconds:g}s" if seconds else "?s"
    seed = f" · seed {take['seed']}" if take.get("seed") is not None else ""
    mark = f" · {UNSIGNED}" if unsigned else ""
    line = (
        f"{shot}v{take['version']} · {disclosure(model)} · {secs} · {usd(cost)} · job J{job_id} · "
        f"take {take['id']}{seed}{mark}"
    )
    lines = [line, *([extra] if extra else []), *shot_lines(_shots({"shots": shots}))]
    return "\n".join(lines)

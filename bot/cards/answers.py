"""Plain-text (mrkdwn) answers to subcommands: models, jobs, settings (pure)."""

from __future__ import annotations

from typing import Any

from bot.cards.blocks import note_count
from bot.providers.base import Availability
from bot.providers.discovery import ModelState
from bot.request.catalogue import Catalogue, ModelSpec, modes_of
from bot.request.money import usd
from bot.request.pricing import price_per_second
from storage.channels import ChannelSettings
from storage.rows import JobRow, TakeView
from storage.states import JobState


def _seconds(model: ModelSpec) -> str:
    if not model.seconds:
        return "follows the speech"
    s = sorted(model.seconds)
    if len(s) > 2 and s == list(range(s[0], s[-1] + 1)):
        return f"{s[0]}–{s[-1]} s"
    return ", ".join(str(x) for x in s) + " s"


def model_rows(
    routes: dict[str, tuple[str, Availability]],
    catalogue: Catalogue,
    states: dict[str, dict[str, ModelState]] | None = None,
) -> list[dict]:
    """One row per catalogue model: id, backend here, modes, durations, aspects, audio, edits, $/s,
    and with `states` its state on each configured backend (available, unavailable since, unknown)."""
    rows = []
    for model in catalogue.values():
        backend, avail = routes[model.id]  # every catalogue model is routed
        # the catalogue's first alternative that runs here, else what the backend suggests
        living = next((m for m in model.alternatives if m in routes and routes[m][1].ok), None)
        price = price_per_second(model, resolution=model.default_resolution, audio=model.default_audio)
        rows.append(
            {
                "id": model.id,
                "backend": backend if avail.ok else f"{backend} (unavailable: {avail.reason})",
                "available": avail.ok,
                "modes": ", ".join(modes_of(model)),
                "seconds": _seconds(model),
                "aspects": ", ".join(model.aspects),
                "resolutions": ", ".join(model.resolutions),
                "audio": model.audio,
                "edits": "yes" if model.edits else "no",
                "price": f"${price:.3f}/s",
                "suggestion": living or avail.suggestion,
                "lists": "; ".join(
                    f"{backend}: {state.describe()}"
                    for backend, state in (states or {}).get(model.id, {}).items()
                )
                or "-",
            }
        )
    return rows


def models_text(rows: list[dict]) -> str:
    lines = ["*Models* (`--model ID`)"]
    for r in rows:
        mark = "" if r["available"] else " :warning:"
        hint = f" Use `{r['suggestion']}` instead." if not r["available"] and r["suggestion"] else ""
        lines.append(
            f"• `{r['id']}` on *{r['backend']}*{mark} · {r['seconds']} · {r['aspects']} · {r['resolutions']} · "
            f"audio {r['audio']} · edits {r['edits']} · {r['price']}{hint}"
        )
    return "\n".join(lines)


def models_table(rows: list[dict]) -> str:
    """`dailies models` in a terminal."""
    cols = ["id", "backend", "modes", "seconds", "aspects", "resolutions", "audio", "edits", "price"]
    cols += ["lists"]  # the model's state on each configured backend, from its model list
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    out = ["  ".join(c.upper().ljust(widths[c]) for c in cols)]
    out += ["  ".join(str(r[c]).ljust(widths[c]) for c in cols) for r in rows]
    return "\n".join(out)


def jobs_text(shots: list[dict], permalink) -> str:
    """Recent shots, newest first, one line each: its jobs, then every version with its state.
    Each shot is {"card_ts", "jobs": [...], "takes": [...]} as stored (requests decoded)."""
    if not shots:
        return "No jobs in this channel yet. Start one with `/video a red fox in the snow`."
    lines = ["*Recent shots in this channel* (versions oldest first; ✅ approved)"]
    for shot in shots:
        jobs = {j["id"]: j for j in shot["jobs"]}
        first = shot["jobs"][0]
        versions = [_version(t, jobs[t["job_id"]]) for t in shot["takes"] if t["job_id"] in jobs]
        versions += [f"J{j['id']} {_state(j['state'])}" for j in shot["jobs"] if not _has_takes(shot, j)]
        cost = sum(_cost(j) for j in jobs.values())
        what = (first["request"].get("prompt") or first["request"].get("script") or "")[:60]
        ids = ", ".join(f"J{j}" for j in jobs)
        lines.append(
            f"• *{ids}* · {' · '.join(versions)} · {usd(cost)} · <@{first['user_id']}> · _{what}_ "
            f"{permalink(shot)}".rstrip()
        )
    return "\n".join(lines)


def _version(take: TakeView, job: JobRow) -> str:
    """ "v2 edit of v1 `kling-o1` delivered ✅" """
    kind = job["kind"]
    parent = job["request"].get("parent_version")
    how = (
        f" {kind} of v{parent}"
        if kind in ("edit", "extend") and parent
        else ("" if kind == "generate" else f" {kind}")
    )
    mark = " ✅" if take.get("approved_at") else ""
    notes = f" {note_count(take['notes'])}" if take.get("notes") else ""
    return f"v{take['version']}{how} `{job['model']}` {_state(take['state'])}{mark}{notes}"


def _cost(job: JobRow) -> float:
    return (job["cost_usd"] if job["state"] == JobState.DELIVERED else job["estimate_usd"]) or 0.0


def _state(state: str) -> str:
    return state.replace("_", " ")


def _has_takes(shot: dict[str, Any], job: JobRow) -> bool:
    return any(t["job_id"] == job["id"] for t in shot["takes"])


def _limit(v: float | None) -> str:
    return "none" if v is None else usd(v)


REPLIES_TEXT = {
    "requester": "`requester` (the requester talks to me; others' replies are notes unless they mention me)",
    "anyone": "`anyone` (anyone in the channel talks to me; replies naming someone else are notes)",
    "mention": "`mention` (every reply is a note unless it mentions me)",
}


def settings_text(s: ChannelSettings, *, default_model: str, final_model: str, spent: float) -> str:
    remaining = "" if s.budget_usd is None else f" · remaining {usd(max(0.0, s.budget_usd - spent))}"
    approvers = " ".join(f"<@{u}>" for u in s.approvers) or "none (the requester's reaction counts)"
    return "\n".join(
        [
            "*Settings for this channel*",
            f"• Draft model: `{default_model}`" + ("" if s.default_model else " (default)"),
            f"• Final model: `{final_model}`" + ("" if s.final_model else " (default)"),
            f"• Budget per month: {_limit(s.budget_usd)} · spent this month {usd(spent)}{remaining}",
            f"• Per-job limit (above it a job waits for approval): {_limit(s.job_limit_usd)}",
            f"• Approvers: {approvers} · rule: {s.approval_rule}",
            f"• Replies in a job's thread: {REPLIES_TEXT.get(s.replies, s.replies)}",
        ]
    )

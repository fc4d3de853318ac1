"""Turning a reply in a job's thread into a job on that shot: which version it works on, which
model and backend, the source clip, and the request to store (pure; `bot.clipsource` does the I/O)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from bot.delivery.fetch_back import result_url_valid
from bot.outcomes import Refusal
from bot.providers.base import Availability, Mode, SourceInput
from bot.request import ThreadInstruction, VideoRequest
from bot.request.catalogue import Catalogue, ModelSpec, shipped_catalogue
from bot.request.checks import check_request, describe_choices, seconds_at
from bot.request.pricing import estimate_cost
from bot.request.review import verdict
from storage.rows import JobRow, TakeRow
from storage.states import TAKE_ACTIVE, TakeState

EDIT_MODEL = "kling-o1"  # edits and extensions of clips whose own model cannot do them
ACTIVE = (TakeState.HELD, *TAKE_ACTIVE)

Route = Callable[[str], str]  # model id -> backend name
Availabilities = Callable[[str, str, Mode], Availability]  # (backend, model, mode)
IsFree = Callable[[str], bool]  # backend name -> does it render without spend


@dataclass(frozen=True)
class ThreadJob:
    """What a thread reply (or a card button) becomes: a job on the same shot."""

    kind: str  # edit | extend | again | final
    model: str
    backend: str
    mode: Mode
    request: dict
    takes: int
    estimate_usd: float
    parent_take_id: int | None  # the clip an edit/extend works on
    source: dict | None = None  # that clip's take row, with its job's model and backend
    seeds: tuple[int | None, ...] = ()  # set: these takes' seeds (a campaign's `for 9:16`, same seed)


def _versions(takes: Sequence[TakeRow]) -> str:
    return ", ".join(f"v{t['version']}" for t in takes) or "none yet"


def pick_take(takes: Sequence[TakeRow], version: int | None, kind: str) -> TakeRow | Refusal:
    """The version a reply works on: the one it names, else the latest delivered one. An edit or
    extension of "the latest" while a newer version is still rendering is refused with a reason."""
    delivered = [t for t in takes if t["state"] == TakeState.DELIVERED]
    if version is not None:
        take = next((t for t in takes if t["version"] == version), None)
        if take is None:
            return Refusal(f"This thread has no v{version}; its versions are {_versions(takes)}.")
        if take["state"] != TakeState.DELIVERED and kind in ("edit", "extend"):
            return Refusal(f"v{version} is {take['state']}, so there is no clip to work on yet.")
        return take
    if kind in ("again", "final") and not delivered:
        return takes[-1] if takes else Refusal("This thread has no versions yet.")
    if not delivered:
        return Refusal(
            "Nothing in this thread has been delivered yet, so there is no clip to change. "
            "Reply `again` to re-run the request."
        )
    latest = delivered[-1]
    newer = [t for t in takes if t["version"] > latest["version"] and t["state"] in ACTIVE]
    if newer and kind in ("edit", "extend"):
        return Refusal(
            f"v{newer[0]['version']} is still rendering, so I can't tell which version you mean. "
            f"Reply again once it lands, or name one: `v{latest['version']}: your change`."
        )
    return latest


class ApprovedTake(TakeRow):
    """A take with whether its review decisions approve it (`mark_approved`)."""

    approved: bool


def mark_approved(
    takes: Sequence[TakeRow],
    jobs: dict[int, JobRow],
    decisions: list[dict],
    approvers: tuple[str, ...],
    rule: str,
) -> list[ApprovedTake]:
    """The takes, each with `approved` set from the review decisions (bot.request.review's rules)."""
    out: list[ApprovedTake] = []
    for take in takes:
        mine = {d["user_id"]: d["decision"] for d in decisions if d["take_id"] == take["id"]}
        requester = jobs[take["job_id"]]["user_id"]
        out.append({**take, "approved": verdict(mine, approvers, rule, requester) == "approved"})
    return out


def approved_or_latest(takes: Sequence[ApprovedTake], version: int | None) -> TakeRow | Refusal:
    """The version a final render polishes: the named one, the approved one, else the latest delivered."""
    if version is None:
        approved = [t for t in takes if t.get("approved") and t["state"] == TakeState.DELIVERED]
        if approved:
            return approved[-1]
    return pick_take(takes, version, "final")


def edit_model(
    kind: str,
    wanted: str | None,
    source: dict,
    route: Route,
    available: Availabilities,
    *,
    catalogue: Catalogue | None = None,
) -> tuple[str, str] | Refusal:
    """(model, backend) for an edit or extension: the one asked for, else the clip's own model
    when its backend can edit it, else Kling O1. Refused with the reason when it can't run here."""
    catalogue = shipped_catalogue() if catalogue is None else catalogue
    mode = Mode.EDIT if kind == "edit" else Mode.EXTEND
    able = "edits" if kind == "edit" else "extends"
    verb = "edit" if kind == "edit" else "extend"
    capable = ", ".join(sorted(m.id for m in catalogue.values() if getattr(m, able)))
    if wanted:
        model = catalogue.get(wanted)
        if model is None or not getattr(model, able):
            return Refusal(f"`{wanted}` can't {verb} a clip; models that can: {capable}.")
        model_id = model.id
    else:
        own = catalogue.get(source["model"])
        own_ok = own is not None and getattr(own, able) and route(own.id) == source["backend"]
        model_id = (
            own.id
            if own is not None and own_ok and available(source["backend"], own.id, mode).ok
            else EDIT_MODEL
        )
    backend = route(model_id)
    availability = available(backend, model_id, mode)
    if not availability.ok:
        hint = f" Try `--model {availability.suggestion}`." if availability.suggestion else ""
        return Refusal(
            f"I can't {verb} v{source['version']} with `{model_id}` here: {availability.reason}{hint}"
        )
    return model_id, backend


def source_problem(
    backend: str, takes: SourceInput, source: dict, source_url_seconds: float | None, now: datetime
) -> str | None:
    """Why `backend`, which takes a clip to work on as `takes`, cannot be given this one, or None.
    `source_url_seconds` is how long the clip's own backend keeps it at its result URL."""
    version, made = f"v{source['version']}", f"{source['model']} on {source['backend']}"
    if takes is SourceInput.OWN_TASK:
        if source["backend"] != backend or not source.get("provider_task_id"):
            return (
                f"Sora edits only clips Sora made on this endpoint, and {version} was made by {made}. "
                f"Add `--model {EDIT_MODEL}` to edit it with Kling O1."
            )
        return None
    if takes is SourceInput.URL and not result_url_valid(source, source_url_seconds, now):
        return (
            f"Kling fetches the clip to edit from a URL, and {version} ({made}) has none it can reach: "
            "the clip was made locally or its provider link has expired. Edit a version Kling or the "
            "AI/ML API made in the last days, or set the AI/ML API key to edit with the clip itself."
        )
    return None


def _nearest(values: tuple[int, ...], wanted: float) -> int:
    return min(values, key=lambda v: (abs(v - wanted), v))


def _fit(model: ModelSpec, req: dict) -> dict:
    """The source's framing, kept where the model can render it."""
    out = dict(req)
    if req.get("aspect") not in model.aspects:
        out["aspect"] = model.aspects[0] if model.aspects else "16:9"
    if req.get("resolution") not in model.resolutions:
        out["resolution"] = model.default_resolution
    if model.seconds and req.get("seconds") not in model.seconds:
        out["seconds"] = _nearest(model.seconds, req.get("seconds") or model.default_seconds or 5)
    if model.audio in ("always", "none", "keep"):
        out["audio"] = model.default_audio if model.audio != "keep" else False
    return out


def _estimate(model: ModelSpec, free: bool, req: dict, takes: int, with_video: bool = False) -> float:
    if free:
        return 0.0
    seconds = req.get("seconds") or model.default_seconds or 5
    try:
        cost = estimate_cost(
            model, seconds=seconds, resolution=req["resolution"], audio=bool(req.get("audio")),
            takes=takes, with_video=with_video,
        )  # fmt: skip
    except ValueError:
        return 0.0
    return round(cost, 2)


def plan_change(
    ins: ThreadInstruction,
    takes: int,
    source: dict,
    source_job: JobRow,
    model_backend: tuple[str, str],
    *,
    free: bool = False,
    whole_seconds: bool = False,
    catalogue: Catalogue | None = None,
) -> ThreadJob | Refusal:
    """An edit or extension of `source` (a delivered take) on (model, backend); `free` and
    `whole_seconds` are that backend's capabilities."""
    catalogue = shipped_catalogue() if catalogue is None else catalogue
    model_id, backend = model_backend
    model = catalogue[model_id]
    extend = ins.kind == "extend"
    if ins.seconds and not extend:
        return Refusal(
            f"An edit keeps v{source['version']}'s length, so --seconds does nothing here; "
            "reply `extend …` to add time, or `again --seconds N` for a new take."
        )
    seconds = ins.seconds if extend else None
    probe = VideoRequest(prompt=ins.text or "continue", seconds=seconds, takes=takes, audio=ins.audio)
    refusal = check_request(probe, model, has_reference=True, editing=True, catalogue=catalogue)
    if refusal is not None:
        return refusal
    base = _fit(model, source_job["request"])
    clip_seconds = source.get("seconds") or source_job["request"].get("seconds")
    if extend:
        base["seconds"] = seconds or model.default_seconds
    elif clip_seconds:
        base["seconds"] = round(clip_seconds) if whole_seconds else clip_seconds
    keep = ins.audio if ins.audio is not None else True
    request = {
        "mode": Mode.EXTEND.value if extend else Mode.EDIT.value,
        "prompt": ins.text or "Continue the shot naturally.",
        "instruction": ins.text,
        "seconds": base.get("seconds"),
        "aspect": base.get("aspect"),
        "resolution": base.get("resolution"),
        "audio": bool(ins.audio) if model.audio == "native" else base.get("audio", False),
        "keep_audio": keep,
        "negative": None,
        "image": None,
        "parent_version": source["version"],
    }
    estimate = _estimate(model, free, request, takes, with_video=True)
    mode = Mode.EXTEND if extend else Mode.EDIT
    return ThreadJob(ins.kind, model_id, backend, mode, request, takes, estimate, source["id"], source)


EXPIRED = (
    ":hourglass: v{version}'s conversation on {backend} has expired (kept {days} days), so this {kind} "
    "starts from the clip itself: details the instruction does not name may change."
)


def continue_or_from_clip(
    plan: ThreadJob, backend_label: str, keep_seconds: float | None, now: datetime
) -> ThreadJob:
    """An edit on a backend that continues a clip's conversation: it does while the backend keeps
    it (the clip was made there, `keep_seconds` ago at most); else it works from the clip itself
    (`from_clip`), and the card says so when the conversation had expired."""
    source = plan.source or {}
    request = dict(plan.request)
    if not source.get("interaction_id") or source.get("backend") != plan.backend:
        request["from_clip"] = True  # made elsewhere: there is no conversation to continue
        return replace(plan, request=request)
    # the backend counts from the conversation's start: the clip's submission, else its end
    started = source.get("submitted_at") or source.get("finished_at") or source.get("updated_at")
    if keep_seconds is None or not started:
        return plan
    at = datetime.fromisoformat(started)
    if now - (at if at.tzinfo else at.replace(tzinfo=UTC)) < timedelta(seconds=keep_seconds):
        return plan
    note = EXPIRED.format(
        version=source.get("version", "?"),
        backend=backend_label,
        days=round(keep_seconds / 86400),
        kind=plan.kind,
    )
    request["from_clip"] = True
    request["notes"] = [*request.get("notes", []), note]
    return replace(plan, request=request)


def _length_note(request: dict, asked: dict, model) -> dict:
    """Say on the card when the model renders another length than the version it re-renders."""
    before, after = asked.get("seconds"), request.get("seconds")
    if not before or not after or before == after:
        return request
    note = (
        f":straight_ruler: Rendered at {after} s: `{model.id}` takes "
        f"{describe_choices(model.seconds, 'seconds')}, and the draft was {before} s."
    )
    return {**request, "notes": [*request.get("notes", []), note]}


def _shots_for(request: dict, model) -> dict:
    """A multi-shot request on a model without multi-shot becomes one prompt naming each shot."""
    shots = request.get("shots")
    if not shots or model.multi_shot:
        return request
    prompt = " ".join(f"Shot {n} ({s['seconds']} s): {s['prompt']}." for n, s in enumerate(shots, start=1))
    note = f":clapper: `{model.id}` renders one shot: the {len(shots)} shots are described in one prompt."
    out = {k: v for k, v in request.items() if k != "shots"}
    return {**out, "prompt": prompt, "notes": [*request.get("notes", []), note]}


def _with_change(request: dict, change: str) -> dict:
    """A re-render that also asks for a change (`for Instagram and a bit slower`): the change is
    added to the prompt, and to each shot of a multi-shot request."""

    def add(prompt: str) -> str:
        return f"{(prompt or '').rstrip(' .')}. {change}".lstrip(". ")

    out = {**request, "prompt": add(request.get("prompt") or "")}
    if request.get("shots"):
        out["shots"] = [{**shot, "prompt": add(shot.get("prompt") or "")} for shot in request["shots"]]
    return out


def plan_repeat(
    kind: str,
    takes: int,
    take: TakeRow,
    job: JobRow,
    model_id: str,
    route: Route,
    ins: ThreadInstruction | None,
    is_free: IsFree = lambda backend: False,
    *,
    catalogue: Catalogue | None = None,
) -> ThreadJob | Refusal:
    """Another take (same request, new seeds) or the final render (same request on `model_id`)."""
    catalogue = shipped_catalogue() if catalogue is None else catalogue
    model = catalogue.get(model_id)
    if model is None:
        return Refusal(f"`{model_id}` is not a model I know; see `/video models`.")
    if job["kind"] in ("edit", "extend") and job["model"] != model_id and not model.edits:
        return Refusal(
            f"v{take['version']} is an edit of v{job['request'].get('parent_version', '?')}, and "
            f"`{model_id}` can't redo edits. Final-render the version it came from instead."
        )
    if ins is not None and ins.aspect and job["kind"] in ("edit", "extend", "lipsync"):
        parent = job["request"].get("parent_version", "?")
        return Refusal(
            f"v{take['version']} is an {job['kind']} of v{parent}, which keeps its frame; ask for "
            f"v{parent} at {ins.aspect} instead (`v{parent}: {ins.reading or ins.aspect}`)."
        )
    request = _fit(model, job["request"]) if model_id != job["model"] else dict(job["request"])
    if ins is not None and ins.seconds:
        request["seconds"] = ins.seconds
    if ins is not None and ins.aspect:
        request["aspect"] = ins.aspect
    if ins is not None and ins.kind == "again" and ins.text:
        request = _with_change(request, ins.text)
    request.pop("read_as", None)
    if ins is not None and ins.reading:
        request["read_as"] = f"{ins.reading} of v{take['version']}"  # the card says how it was read
    if ins is not None and ins.audio is not None and model.audio == "native":
        request["audio"] = ins.audio
    probe = VideoRequest(
        prompt=request.get("prompt") or "x",
        seconds=request.get("seconds") if model.seconds else None,
        aspect=ins.aspect if ins is not None else None,
        takes=takes,
        audio=ins.audio if ins is not None and ins.audio is not None and model.audio != "keep" else None,
    )
    refusal = check_request(
        probe, model, has_reference=bool(request.get("image") or job["parent_take_id"]), catalogue=catalogue
    )
    if refusal is not None:
        return refusal
    if kind == "final":
        # the highest resolution the model renders at this length (Veo: 1080p only at 8 s)
        fits = [r for r in model.resolutions if request.get("seconds") in seconds_at(model, r)]
        choices: list[str | None] = list(fits or model.resolutions) or [request.get("resolution")]
        request["resolution"] = choices[-1]
    request = _length_note(request, job["request"], model)
    request = _shots_for(request, model)
    backend = route(model_id)
    estimate = _estimate(model, is_free(backend), request, takes, with_video=bool(job["parent_take_id"]))
    return ThreadJob(
        kind, model_id, backend, Mode(request.get("mode", "text")), request, takes, estimate,
        job["parent_take_id"], None,
    )  # fmt: skip

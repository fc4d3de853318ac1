"""The channel's subject library: adding reference images (from URLs or Slack files), listing,
and resolving `{name}` in a request into the "subjects" a stored job request carries."""

from __future__ import annotations

import asyncio
import hashlib
import random
import shutil
from pathlib import Path

from bot.media.check import MediaRejected, check_image
from bot.media.fetch import fetch_slack_file, fetch_url
from bot.outcomes import UserError
from bot.request.catalogue import ModelSpec
from bot.request.subject_limits import limit_problem
from bot.slack.workspace import current_token  # distribution mode: the request's workspace
from bot.studio.origin import images_in
from storage import consent as consent_db
from storage import subjects as subjects_db
from storage import voices as voices_db
from storage.db import Store

IMAGE_LIMIT = 10 * 1024 * 1024  # Kling's per-image limit; the AI/ML gateway takes the same
MAX_IMAGES = 4
NO_LIKENESS = "Subjects are described in the prompt: `{model}` takes no reference images, so likeness is not guaranteed."
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif"}


class Unresolved(UserError):
    """A request names something the library cannot give; `message` is for the Slack user."""


def unknown_subject(names: list[str]) -> str:
    shown = ", ".join("{" + n + "}" for n in names)
    noun = "subject" if len(names) == 1 else "subjects"
    return (
        f"This channel has no {noun} called {shown}. Subjects belong to the channel they were added in: "
        "see `/video subject list`, or add one with `/video subject add NAME IMAGE_URL -- description`."
    )


def consent_line(consent: dict | None) -> str:
    """How `subject show` and `subject list` say whether a subject has consent on record. Pure."""
    if not consent:
        return "no consent on record (avatars, lip-syncs and voices ask for it first)"
    note = f": {consent['note']}" if consent.get("note") else ""
    return f"consent confirmed by <@{consent['given_by']}> on {consent['given_at'][:10]}{note}"


def stored_subject(subject: dict, voice: dict | None = None) -> dict:
    """A subject as a job request stores it (what bot.runner.spec.render_spec reads); `voice` is
    its voice sample (storage.voices.sample_of), when it has one."""
    stored = {
        "id": subject["id"],
        "name": subject["name"],
        "description": subject.get("description") or "",
        "images": [{"url": None, "path": i["path"], "mime": i["mime"]} for i in subject["images"]],
        "element_ids": dict(subject.get("element_ids") or {}),
    }
    if voice:
        stored["voice"] = {"url": voice.get("url"), "path": voice["path"], "mime": voice["mime"]}
        stored["voice_ids"] = dict(voice.get("voice_ids") or {})
    return stored


def fold_descriptions(prompt: str, subjects: list[dict]) -> str:
    """`{name}` becomes "name (description)"; a subject the prompt does not mention is appended. Pure."""
    for s in subjects:
        text = f"{s['name']} ({s['description']})" if s.get("description") else s["name"]
        token = "{" + s["name"].lower() + "}"
        lowered = prompt.lower()
        if token in lowered:
            while token in lowered:
                at = lowered.index(token)
                prompt = prompt[:at] + text + prompt[at + len(token) :]
                lowered = prompt.lower()
        else:
            prompt = f"{prompt.rstrip()} With {text}."
    return prompt


def normalise_braces(prompt: str, subjects: list[dict]) -> str:
    """`{Maya}` written in any case becomes the stored `{name}`, as providers match it exactly. Pure."""
    for s in subjects:
        token = "{" + s["name"] + "}"
        lowered = prompt.lower()
        start = 0
        while (at := lowered.find(token.lower(), start)) >= 0:
            prompt = prompt[:at] + token + prompt[at + len(token) :]
            start = at + len(token)
    return prompt


class Library:
    """Reads and writes one channel's subjects; images live under `<media>/subjects/<sha256>.<ext>`."""

    def __init__(
        self, store: Store, media_dir: str | Path, *, token: str, allow_private: bool, slack_file_hosts
    ) -> None:
        self.store = store
        self.dir = Path(media_dir) / "subjects"
        self.token = token
        self.allow_private = allow_private
        self.slack_file_hosts = tuple(slack_file_hosts)

    # ---- adding -----------------------------------------------------------------------------------
    async def add(
        self,
        team_id: str,
        channel_id: str,
        user_id: str,
        name: str,
        urls: tuple[str, ...],
        files: tuple[dict, ...],
        description: str,
    ) -> str:
        """Fetch, check and store the images, then the subject; returns the answer for the user."""
        images = images_in(files)
        if not urls and not images:
            return f"Give `{name}` 1 to {MAX_IMAGES} images: image URLs, or attach them when you mention me."
        if len(urls) + len(images) > MAX_IMAGES:
            return f"A subject takes 1 to {MAX_IMAGES} images (the first is the front view); you gave {len(urls) + len(images)}."
        if await self.store.run(subjects_db.get_subject, team_id, channel_id, name) is not None:
            return f"This channel already has a subject called `{name}`; remove or rename it first."
        stored: list[subjects_db.NewImage] = []
        try:
            for n, url in enumerate(urls, 1):
                stored.append(await self._keep(url=url, file=None, which=f"image {n}"))
            for n, file in enumerate(images, len(urls) + 1):
                stored.append(await self._keep(url=None, file=file, which=f"image {n}"))
        except Unresolved as exc:
            return exc.message
        try:
            subject = await self.store.run(
                subjects_db.add_subject, team_id, channel_id, name, description, user_id, stored
            )
        except subjects_db.SubjectExists:
            return f"This channel already has a subject called `{name}`; remove or rename it first."
        count = len(subject["images"])
        return (
            f"Added `{{{subject['name']}}}` with {count} image{'s' if count != 1 else ''}"
            + (f": {description}" if description else "")
            + f". Use it with `/video {{{subject['name']}}} walks into the room`."
        )

    async def _keep(self, *, url: str | None, file: dict | None, which: str) -> subjects_db.NewImage:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".in-{random.getrandbits(64):016x}"
        try:
            if file is not None:
                fetched = await fetch_slack_file(
                    file, tmp, token=self.token or current_token(), kind="image", max_bytes=IMAGE_LIMIT,
                    allowed_hosts=self.slack_file_hosts,
                    extra_allowed_hosts=self.slack_file_hosts,  # "host:port" entries (tests' stand-in)
                )  # fmt: skip
            elif url is None:
                raise ValueError("nothing to fetch: neither a URL nor a Slack file")
            else:
                fetched = await fetch_url(
                    url, tmp, kind="image", max_bytes=IMAGE_LIMIT, allow_private=self.allow_private
                )
            info = await asyncio.to_thread(check_image, fetched.path, max_bytes=IMAGE_LIMIT)
        except UserError as exc:
            tmp.unlink(missing_ok=True)
            raise Unresolved(f"{which.capitalize()} was not added: {exc.message}") from None
        source = url or f"Slack file {(file or {}).get('name') or (file or {}).get('id', '')}".strip()
        return await self._file(tmp, fetched.sha256, info, source)

    async def _file(self, tmp: Path, sha256: str, info, source: str) -> subjects_db.NewImage:
        """Move a checked image to its content-addressed place (kept if already there)."""
        final = self.dir / f"{sha256}{EXTENSIONS.get(info.mime, '')}"
        if final.exists():
            tmp.unlink(missing_ok=True)
        else:
            await asyncio.to_thread(shutil.move, tmp, final)
        return subjects_db.NewImage(sha256, str(final), info.mime, info.width, info.height, source)

    async def add_frame(
        self,
        team_id: str,
        channel_id: str,
        user_id: str,
        name: str,
        frame: Path,
        description: str,
        source: str,
    ) -> str:
        """Store a local image (a clip's first frame) as a new subject; returns the answer."""
        if await self.store.run(subjects_db.get_subject, team_id, channel_id, name) is not None:
            frame.unlink(missing_ok=True)
            return f"This channel already has a subject called `{name}`; remove or rename it first."
        try:
            info = await asyncio.to_thread(check_image, frame, max_bytes=IMAGE_LIMIT)
        except MediaRejected as exc:
            frame.unlink(missing_ok=True)
            return f"That frame can't be a subject: {exc.message}"
        self.dir.mkdir(parents=True, exist_ok=True)
        sha256 = await asyncio.to_thread(lambda: hashlib.sha256(frame.read_bytes()).hexdigest())
        image = await self._file(frame, sha256, info, source)
        try:
            await self.store.run(
                subjects_db.add_subject, team_id, channel_id, name, description, user_id, [image]
            )
        except subjects_db.SubjectExists:
            return f"This channel already has a subject called `{name}`; remove or rename it first."
        return (
            f"Saved {source}'s first frame ({info.width}×{info.height}) as `{{{name}}}`"
            + (f": {description}" if description else "")
            + f". Use it with `/video {{{name}}} walks into the room`."
        )

    # ---- reading and changing -----------------------------------------------------------------------
    async def list_text(self, team_id: str, channel_id: str) -> str:
        rows = await self.store.run(subjects_db.list_subjects, team_id, channel_id)
        if not rows:
            return "This channel has no subjects yet. Add one with `/video subject add NAME IMAGE_URL -- description`."
        consents = await self.store.run(consent_db.consents_of, [s["id"] for s in rows])
        lines = ["*Subjects in this channel*"]
        for s in rows:
            desc = f" — {s['description']}" if s["description"] else ""
            lines.append(
                f"• `{{{s['name']}}}`{desc} ({s['image_count']} image{'s' if s['image_count'] != 1 else ''},"
                f" added by <@{s['added_by']}> on {s['created_at'][:10]}; {consent_line(consents.get(s['id']))})"
            )
        lines.append("Use one with `{name}` in a prompt or `--subject name`.")
        return "\n".join(lines)

    async def show_text(self, team_id: str, channel_id: str, name: str) -> str:
        s = await self.store.run(subjects_db.get_subject, team_id, channel_id, name)
        if s is None:
            return unknown_subject([name])
        lines = [f"*{{{s['name']}}}* — {s['description'] or 'no description'}"]
        lines.append(f"Added by <@{s['added_by']}> on {s['created_at'][:10]}.")
        for i in s["images"]:
            role = "front view" if i["position"] == 0 else "reference"
            came = f", from {i['source']}" if i.get("source") else ""
            lines.append(
                f"• image {i['position'] + 1} ({role}): {i['width']}×{i['height']} {i['mime']}, "
                f"sha256 {i['sha256'][:12]}{came}"
            )
        consent = await self.store.run(consent_db.consent_of, s["id"])
        lines.append(f"Likeness and voice: {consent_line(consent)}.")
        voice = await self.store.run(voices_db.sample_of, s["id"])
        if voice:
            made = ", ".join(sorted(voice["voice_ids"])) or "no backend yet"
            lines.append(
                f"• voice: a {voice['seconds']:.1f} s sample from {voice['source']} (voice made on {made})"
            )
        lines.append(
            "Slack can't show the stored copies here; open a source link above to see an image, "
            "or render a preview with `/video {" + s["name"] + "} looks at the camera --model preview`."
        )
        return "\n".join(lines)

    async def remove(self, team_id: str, channel_id: str, name: str) -> str:
        found = await self.store.run(subjects_db.get_subject, team_id, channel_id, name)
        voice = await self.store.run(voices_db.sample_of, found["id"]) if found else None
        removed = await self.store.run(subjects_db.remove_subject, team_id, channel_id, name)
        if removed is None:
            return unknown_subject([name])
        for image in removed["images"]:
            if not await self.store.run(subjects_db.image_in_use, image["path"]):
                Path(image["path"]).unlink(missing_ok=True)
        if voice and not await self.store.run(voices_db.sample_in_use, voice["path"]):
            Path(voice["path"]).unlink(missing_ok=True)
        return f"Removed `{{{removed['name']}}}` from this channel's subjects."

    async def rename(self, team_id: str, channel_id: str, old: str, new: str) -> str:
        try:
            renamed = await self.store.run(subjects_db.rename_subject, team_id, channel_id, old, new)
        except subjects_db.SubjectExists:
            return f"This channel already has a subject called `{new}`; pick another name."
        if renamed is None:
            return unknown_subject([old])
        return f"Renamed `{{{old}}}` to `{{{renamed['name']}}}`."

    # ---- resolving for a request ----------------------------------------------------------------------
    async def resolve(
        self,
        team_id: str,
        channel_id: str,
        names: tuple[str, ...],
        model: ModelSpec | None = None,
        *,
        extra_images: int = 0,
        with_video: bool = False,
    ) -> list[dict]:
        """The channel's subjects for `names`, as stored requests carry them, checked against the
        model's limits (`extra_images`: an --image or attachment); raises Unresolved."""
        found = [await self.store.run(subjects_db.get_subject, team_id, channel_id, n) for n in names]
        missing = [n for n, s in zip(names, found, strict=True) if s is None]
        if missing:
            raise Unresolved(unknown_subject(missing))
        rows = [s for s in found if s is not None]
        voices = [await self.store.run(voices_db.sample_of, s["id"]) for s in rows]
        subjects = [stored_subject(s, v) for s, v in zip(rows, voices, strict=True)]
        problem = limit_problem(subjects, model, extra_images=extra_images, with_video=with_video)
        if problem:
            raise Unresolved(problem)
        return subjects


def apply_subjects(request: dict, subjects: list[dict], model: ModelSpec) -> dict:
    """Put resolved subjects into a request: natively where the model takes them, else folded into
    the prompt with a card note that likeness is not guaranteed. Pure."""
    if not subjects:
        return request
    if model.max_subjects == 0 or "subjects" not in model.inputs:
        notes = [*request.get("notes", []), NO_LIKENESS.format(model=model.id)]
        if "voice" in model.inputs and any(s.get("voice") for s in subjects):
            # the backend folds the descriptions in and gives the voiced subjects their voices
            prompt = normalise_braces(request["prompt"], subjects)
            return {**request, "prompt": prompt, "subjects": subjects, "notes": notes}
        return {**request, "prompt": fold_descriptions(request["prompt"], subjects), "notes": notes}
    return {**request, "prompt": normalise_braces(request["prompt"], subjects), "subjects": subjects}

"""Consent for a subject's likeness and voice: `subject consent NAME [note]` and `--withdraw`, the offer
a request without consent gets instead of a job, and its button, which records consent as the person
who pressed it and hands back the held request to run as it was asked."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from bot.cards.offers import consent_button_label, consent_offer_blocks
from bot.outcomes import Answer
from bot.request import SubjectConsent
from bot.studio.cancel import Cancellation
from bot.studio.origin import Origin
from bot.studio.subjects import unknown_subject
from storage import consent as consent_db

if TYPE_CHECKING:
    from _typeshed import DataclassInstance
from storage import jobs as jobs_db
from storage import subjects as subjects_db
from storage.db import Store

# what each held request makes, for the offer's words and its button
_MAKES = {
    "avatar": ("a talking avatar of", "render"),
    "lipsync": ("a lip-sync with the likeness or voice of", "render"),
    "voice": ("a voice for", "keep the voice"),
}


def held_origin(origin: Origin) -> dict:
    """Where a held request came from, as stored with it (replayed with the same trigger key)."""
    return {
        "channel_id": origin.channel_id,
        "user_id": origin.user_id,
        "team_id": origin.team_id,
        "source_key": origin.source_key,
        "files": list(origin.files),
    }


def origin_of(held: dict) -> Origin:
    """The Origin a held request was made with."""
    stored = held["origin"]
    return Origin(
        channel_id=stored["channel_id"], user_id=stored["user_id"], team_id=stored["team_id"],
        source_key=stored["source_key"], files=tuple(stored["files"]),
    )  # fmt: skip


class Consents:
    def __init__(self, store: Store, cancellation: Cancellation) -> None:
        self.store = store
        self.cancellation = cancellation  # a withdrawal stops the jobs that use the likeness

    # ---- the subcommand ---------------------------------------------------------------------------
    async def command(self, origin: Origin, cmd: SubjectConsent) -> str:
        subject = await self.store.run(subjects_db.get_subject, origin.team_id, origin.channel_id, cmd.name)
        if subject is None:
            return unknown_subject([cmd.name])
        name = subject["name"]
        if cmd.withdraw:
            return await self._withdraw(origin, subject)
        consent = await self.store.run(consent_db.give, subject, origin.user_id, cmd.note)
        note = f" ({consent['note']})" if consent["note"] else ""
        return (
            f"Recorded: <@{origin.user_id}> confirmed having permission to use `{{{name}}}`'s likeness "
            f"and voice{note}, on {consent['given_at'][:10]}. Avatars, lip-syncs and voices of `{{{name}}}` "
            f"now render without asking. Withdraw it with `/video subject consent {name} --withdraw`."
        )

    async def _withdraw(self, origin: Origin, subject: dict) -> str:
        name = subject["name"]
        if not await self.store.run(consent_db.withdraw, subject, origin.user_id):
            return f"`{{{name}}}` has no consent on record; nothing to withdraw."
        using = await self.store.run(
            consent_db.unfinished_jobs_using, origin.team_id, origin.channel_id, subject["id"]
        )
        stopped = []
        for row in using:
            job = await self.store.run(jobs_db.get_job, row["id"])
            if job is not None:
                await self.cancellation.stop(origin, job, f"stopped (consent for {{{name}}} withdrawn)")
                stopped.append(f"J{job['id']}")
        then = f" Stopped {', '.join(stopped)}, which used it." if stopped else ""
        return (
            f"Withdrew the consent for `{{{name}}}`: avatars, lip-syncs and voices of `{{{name}}}` ask "
            f"for it again before they render.{then}"
        )

    # ---- requests that need it ----------------------------------------------------------------------
    async def lacking(self, subjects: list[dict]) -> list[dict]:
        """Those of `subjects` (each with `id` and `name`) with no consent on record."""
        given = await self.store.run(consent_db.consents_of, [s["id"] for s in subjects])
        return [s for s in subjects if s["id"] not in given]

    async def in_clip(self, origin: Origin, job: Mapping[str, Any]) -> list[dict]:
        """The channel's subjects whose likeness a job's clip shows: those its request gave the
        provider (with their images), and those a lip-sync's source showed (its `likeness`)."""
        request = job.get("request") or {}
        ids = [s["id"] for s in request.get("subjects") or () if s.get("images") and s.get("id")]
        ids += [i for i in request.get("likeness") or () if i not in ids]
        found = []
        for subject_id in ids:
            subject = await self.store.run(
                consent_db.subject_in_channel, subject_id, origin.team_id, origin.channel_id
            )
            if subject is not None:
                found.append(subject)
        return found

    async def offer(
        self, origin: Origin, kind: str, command: DataclassInstance, subjects: list[dict], **extra: Any
    ) -> Answer:
        """Hold the request (`command`, a grammar value, with `extra` such as the shot it is for)
        and answer its requester with the offer: text, and the button that records consent and runs it."""
        token = secrets.token_urlsafe(24)
        held = {
            "origin": held_origin(origin),
            "command": asdict(command),
            "subjects": [s["id"] for s in subjects],
            **extra,
        }
        await self.store.run(
            consent_db.hold, token, origin.team_id, origin.channel_id, origin.user_id, kind, held
        )
        makes, then = _MAKES[kind]
        names = [s["name"] for s in subjects]
        shown = " and ".join(f"`{{{n}}}`" for n in names)
        text = (
            f"{shown} {'has' if len(names) == 1 else 'have'} no consent on record, so nothing was started. "
            f"Dailies makes {makes} a real person only when someone confirms they have that person's "
            "permission. If you have it, press the button: your confirmation is recorded with your name "
            f"and the time, and this request {'renders' if then == 'render' else 'goes on'} as you asked."
            f" (Or record it with `/video subject consent {names[0]} [note]`.)"
        )
        return Answer(text, consent_offer_blocks(text, consent_button_label(names, then), token))

    async def press(self, origin: Origin, token: str) -> tuple[str, dict, list[str]] | str:
        """The offer's button: record consent for the held request's subjects as the person who
        pressed it, and return (kind, held request, subject names) to run; or why not. Only the
        person who made the request, in its own workspace and channel, can use its button, once."""
        if not token or len(token) > 64:
            return "That button is out of date; ask again."
        held = await self.store.run(
            consent_db.take_offer, token, origin.team_id, origin.channel_id, origin.user_id
        )
        if held is None:
            return (
                "That button is not yours, was already used, or is more than a day old; "
                "ask again to get your own."
            )
        names = []
        for subject_id in held["request"]["subjects"]:
            subject = await self.store.run(
                consent_db.subject_in_channel, subject_id, origin.team_id, origin.channel_id
            )
            if subject is None:
                return "That subject was removed from this channel, so nothing was started."
            await self.store.run(consent_db.give, subject, origin.user_id, "", "button")
            names.append(subject["name"])
        return held["kind"], held["request"], names

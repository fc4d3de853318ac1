"""`cut` in a campaign board's thread (or its Make the cut button): the checked plan, one clip per
shot, stored as the next version of the campaign's cut, a free job the runner assembles."""

from __future__ import annotations

from collections.abc import Callable

from bot.cards.publisher import CardPublisher
from bot.outcomes import Refusal
from bot.request.cut import CutAsk, Version, plan_cut, unapproved_note, without_aspect
from bot.studio.origin import Origin
from storage import campaigns as campaigns_db
from storage import cuts as cuts_db
from storage import jobs as jobs_db
from storage.campaigns import CampaignShotView
from storage.db import Store
from storage.states import TakeState

BACKEND = "dailies"  # assembled by Dailies itself: no provider, no cost
IN_A_JOB_THREAD = (
    "`cut` assembles a campaign's shots into one sequence, so it works in a campaign board's thread. "
    "This thread's versions are takes of one shot (an extension already carries the clip it "
    "continues); start a campaign with `/video campaign` to cut several shots together."
)


class Cuts:
    def __init__(self, store: Store, cards: CardPublisher, wake: Callable[[], None]) -> None:
        self.store = store
        self.cards = cards
        self.wake = wake  # the runner's

    async def start(self, origin: Origin, campaign_id: int, ask: CutAsk) -> str | None:
        """Check the cut against the campaign's delivered versions and store it as a job; a message
        for the person when refused, or to say which shots had no approved version (else None)."""
        view = await self.store.run(campaigns_db.campaign_view, campaign_id)
        if view is None or view.campaign["channel_id"] != origin.channel_id:
            return "That campaign is not in this channel."
        first = (view.campaign["brief"].get("aspects") or ["16:9"])[0]
        aspect = ask.aspect or first
        versions = {s.number: _versions(s, aspect, first, strict=ask.aspect is not None) for s in view.shots}
        refused = without_aspect(ask, versions, aspect) if ask.aspect else None
        plan = refused or plan_cut(ask, versions)
        if isinstance(plan, Refusal):
            return plan.message
        models = list(dict.fromkeys(p.model for p in plan.pieces if p.model))
        pieces = [
            {"shot": p.shot, "take_id": p.take_id, "version": p.version, "in": p.source_in,
             "out": p.source_out, "model": p.model}
            for p in plan.pieces
        ]  # fmt: skip
        request = {
            "prompt": "the cut: " + " · ".join(p.label for p in plan.pieces),
            "cut": {"pieces": pieces, "fade": plan.fade, "aspect": aspect, "title": view.campaign["title"]},
        }
        new = jobs_db.NewJob(
            origin.channel_id, origin.team_id, origin.user_id, "cut", " + ".join(models) or "cut", BACKEND,
            request, 1, 0.0, origin.source_key, title="The cut", parent_take_id=plan.pieces[0].take_id,
        )  # fmt: skip
        try:
            shot_id, _job, _takes = await self.store.run(cuts_db.create_cut, campaign_id, new)
        except jobs_db.DuplicateTrigger:
            return None
        self.cards.touch(shot_id)
        self.wake()
        return unapproved_note(plan.unapproved) or None


def _versions(shot: CampaignShotView, aspect: str, first: str, *, strict: bool = False) -> list[Version]:
    """The shot's delivered versions, oldest first: those at the cut's aspect (a request naming
    none was made at the campaign's `first`); any when it has none there, unless `strict` (the
    person named the aspect)."""
    jobs = {j["id"]: j for j in shot.jobs}
    delivered = [t for t in shot.takes if t["state"] == TakeState.DELIVERED]
    at_aspect = [t for t in delivered if (jobs[t["job_id"]]["request"].get("aspect") or first) == aspect]
    if strict and not at_aspect:
        return []
    return [
        Version(
            t["id"],
            t["version"],
            float(t.get("seconds") or jobs[t["job_id"]]["request"].get("seconds") or 0.0),
            bool(t.get("approved_at")),
            jobs[t["job_id"]]["model"],
        )
        for t in (at_aspect or delivered)
    ]

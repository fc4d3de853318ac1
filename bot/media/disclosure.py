"""What a delivered clip says about how it was made: the words of the disclosure, the MP4's
container tags and the C2PA manifest's definition. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

AI_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
# kinds of job that work on an earlier clip (that clip is their source), not only on its prompt
EDITING_KINDS = frozenset({"edit", "extend", "lipsync", "cut"})
UNSIGNED = "unsigned (C2PA signing failed)"


@dataclass(frozen=True)
class SourceClip:
    """The delivered version an edit worked on."""

    take_id: int
    version: int
    model: str


@dataclass(frozen=True)
class ClipFacts:
    """What Dailies knows about how a clip was made."""

    model: str
    provider: str
    kind: str  # the job's kind: generate, edit, extend, lipsync, again, final, avatar ...
    title: str  # the name the clip is uploaded under
    source: SourceClip | None = None
    generator: str = "Dailies"
    version: str = ""

    @property
    def edited(self) -> bool:
        return self.source is not None and self.kind in EDITING_KINDS


def disclosure(model: str) -> str:
    """The words every delivered clip carries, in its caption and in its metadata."""
    return f"AI-generated with {model}"


def container_tags(facts: ClipFacts) -> dict[str, str]:
    """The MP4's container tags. (`encoder` is the muxer's own, so Dailies is named in `description`.)"""
    made = "edited" if facts.edited else "generated"
    return {
        "comment": disclosure(facts.model),
        "description": (
            f"{disclosure(facts.model)} on {facts.provider}: {made} by AI and delivered by {facts.generator}"
        ),
        "title": facts.title,
    }


def manifest_definition(facts: ClipFacts, *, provider_parent: bool) -> dict:
    """The C2PA manifest Dailies signs. A clip Dailies made from nothing is `c2pa.created`; an edit
    `c2pa.opened` on its source then `c2pa.edited`. When the provider's file carries its own manifest,
    that file is the parent (opened; Dailies only labelled it) and an edit's source is an input."""
    agent = {"name": facts.model}
    what: dict[str, Any] = {
        "digitalSourceType": AI_SOURCE,
        "softwareAgent": agent,
        "description": f"{disclosure(facts.model)} on {facts.provider}, via {facts.generator}",
        "parameters": {"model": facts.model, "provider": facts.provider, "job_kind": facts.kind},
    }
    ingredients = []
    actions: list[dict] = []
    if provider_parent:
        actions.append({"action": "c2pa.opened", "parameters": {"ingredientIds": ["provider"]}})
    if facts.edited and facts.source is not None:
        ingredients.append(
            {
                "title": f"v{facts.source.version} · {facts.source.model}",
                "format": "video/mp4",
                "relationship": "inputTo" if provider_parent else "parentOf",
                "instance_id": f"dailies:take:{facts.source.take_id}",
                "label": "source",
            }
        )
        if not provider_parent:
            actions.append({"action": "c2pa.opened", "parameters": {"ingredientIds": ["source"]}})
        params = {**what["parameters"], "ingredientIds": ["source"]}
        actions.append({"action": "c2pa.edited", **what, "parameters": params})
    elif provider_parent:
        actions.append({"action": "c2pa.edited", **what})
    else:
        actions.append({"action": "c2pa.created", **what})
    return {
        "claim_generator_info": [
            {"name": facts.generator, **({"version": facts.version} if facts.version else {})}
        ],
        "title": facts.title,
        "format": "video/mp4",
        "ingredients": ingredients,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}}],
    }

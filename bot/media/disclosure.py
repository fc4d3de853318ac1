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
    """The delivered version an edit worked on, or one piece of a cut (then with its shot)."""

    take_id: int
    version: int
    model: str
    shot: int | None = None

    @property
    def name(self) -> str:
        """`S2 v1` for a cut's piece, `v1` for an edit's source."""
        return f"S{self.shot} v{self.version}" if self.shot is not None else f"v{self.version}"


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
    pieces: tuple[SourceClip, ...] = ()  # a cut's source clips, in sequence order

    @property
    def sources(self) -> tuple[SourceClip, ...]:
        """The clips this one was made from: a cut's pieces, else an edit's one source."""
        return self.pieces or ((self.source,) if self.source is not None else ())

    @property
    def edited(self) -> bool:
        return bool(self.sources) and self.kind in EDITING_KINDS

    @property
    def is_cut(self) -> bool:
        return bool(self.pieces) and self.kind == "cut"


def cut_models(pieces: tuple[SourceClip, ...]) -> str:
    """The models a cut's shots were made with, each once, in sequence order."""
    return " + ".join(dict.fromkeys(p.model for p in pieces if p.model))


def cut_shots(pieces: tuple[SourceClip, ...]) -> str:
    """`S1 v2 · S2 v1 · S3 v1`: a cut's pieces as its caption names them."""
    return " · ".join(p.name for p in pieces)


def disclosure(model: str) -> str:
    """The words every delivered clip carries, in its caption and in its metadata."""
    return f"AI-generated with {model}"


def container_tags(facts: ClipFacts) -> dict[str, str]:
    """The MP4's container tags. (`encoder` is the muxer's own, so Dailies is named in `description`.)"""
    made = "edited" if facts.edited else "generated"
    description = (
        f"{disclosure(facts.model)} on {facts.provider}: {made} by AI and delivered by {facts.generator}"
    )
    if facts.is_cut:
        description = (
            f"AI-generated cut of {cut_shots(facts.pieces)}: shots made by AI with "
            f"{cut_models(facts.pieces)}, assembled and delivered by {facts.generator}"
        )
    return {"comment": disclosure(facts.model), "description": description, "title": facts.title}


def manifest_definition(facts: ClipFacts, *, provider_parent: bool) -> dict:
    """The C2PA manifest Dailies signs. A clip Dailies made from nothing is `c2pa.created`; an edit
    `c2pa.opened` on its source then `c2pa.edited`; a cut `c2pa.opened` on its first piece, its
    other pieces `c2pa.placed`, then `c2pa.edited` naming every piece in sequence order. When the
    provider's file carries its own manifest, that file is the parent (opened; Dailies only labelled
    it) and the sources are inputs (a cut's pieces, components). `ingredients` holds the sources in
    order: the signer may add each from its file instead, to keep a manifest that file carries."""
    agent = {"name": facts.model}
    what: dict[str, Any] = {
        "digitalSourceType": AI_SOURCE,
        "softwareAgent": agent,
        "description": f"{disclosure(facts.model)} on {facts.provider}, via {facts.generator}",
        "parameters": {"model": facts.model, "provider": facts.provider, "job_kind": facts.kind},
    }
    ingredients: list[dict] = []
    actions: list[dict] = []
    if provider_parent:
        actions.append({"action": "c2pa.opened", "parameters": {"ingredientIds": ["provider"]}})
    if facts.is_cut:
        ingredients, cut_actions = _cut(facts, what, provider_parent=provider_parent)
        actions.extend(cut_actions)
    elif facts.edited and facts.source is not None:
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


def _cut(facts: ClipFacts, what: dict[str, Any], *, provider_parent: bool) -> tuple[list[dict], list[dict]]:
    """A cut's ingredients (one per piece, in sequence order) and its actions on them."""
    labels = [f"piece{i}" for i, _ in enumerate(facts.pieces, 1)]
    ingredients = [
        {
            "title": f"{piece.name} · {piece.model}",
            "format": "video/mp4",
            # one parent at most: the first piece, unless the provider's file already is
            "relationship": "parentOf" if i == 0 and not provider_parent else "componentOf",
            "instance_id": f"dailies:take:{piece.take_id}",
            "label": label,
        }
        for i, (piece, label) in enumerate(zip(facts.pieces, labels, strict=True))
    ]
    placed = labels if provider_parent else labels[1:]
    actions: list[dict] = (
        [] if provider_parent else [{"action": "c2pa.opened", "parameters": {"ingredientIds": labels[:1]}}]
    )
    if placed:
        actions.append({"action": "c2pa.placed", "parameters": {"ingredientIds": placed}})
    shots = cut_shots(facts.pieces)
    edited = {
        **what,
        # the assembly is Dailies' own work; the shots it joins are the models'
        "softwareAgent": {"name": facts.generator, **({"version": facts.version} if facts.version else {})},
        "description": f"AI-generated cut of {shots} (shots made with {cut_models(facts.pieces)}), via {facts.generator}",
        "parameters": {
            **what["parameters"],
            "models": list(dict.fromkeys(p.model for p in facts.pieces if p.model)),
            "shots": [{"shot": p.name, "take_id": p.take_id, "model": p.model} for p in facts.pieces],
            "ingredientIds": labels,
        },
    }
    actions.append({"action": "c2pa.edited", **edited})
    return ingredients, actions

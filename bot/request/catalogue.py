"""The model catalogue as an immutable object, loaded from the data shipped with the package
(`data/models.toml`) and an operator's override file, every field checked at start."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.config import ConfigError

FAMILIES = ("kling", "sora", "veo", "preview")
BACKENDS = ("kling", "openai", "gemini", "aimlapi")  # the backends a row may name provider ids for
AUDIO = ("native", "always", "none", "keep")
INPUTS = ("text", "image", "end_image", "video", "subjects", "script", "speech", "voice")
ASPECTS = ("16:9", "9:16", "1:1")
RESOLUTIONS = ("720p", "1080p", "4k")
VARIANTS = ("silent", "audio", "video", "motion", "any")
SHIPPED = "bot/request/data/models.toml"  # how errors name the shipped file


class CatalogueError(ConfigError):
    """A catalogue file that cannot be used: one line naming the file, the row and the field."""


@dataclass(frozen=True)
class ModelSpec:
    id: str  # the id people type; each backend maps it to its own (`backends`)
    title: str
    family: str  # "kling" | "sora" | "veo" | "preview"
    seconds: tuple[int, ...]  # allowed durations; () when the clip follows the speech (avatar)
    seconds_text_only: tuple[int, ...] | None  # durations without any reference; None = `seconds`
    default_seconds: int | None
    aspects: tuple[str, ...]  # () when the picture's shape follows the input image (avatar)
    resolutions: tuple[str, ...]
    default_resolution: str
    audio: str  # "native" (on/off switch), "always", "none", "keep" (keeps/drops a source clip's sound)
    default_audio: bool
    # of "text", "image", "end_image" (last frame), "video" (a reference video), "subjects" (native),
    # "script", "speech", "voice" (speaks in a subject's custom voice)
    inputs: frozenset[str]
    edits: bool  # can edit an existing clip (thread replies)
    extends: bool  # can continue an existing clip ("extend ..." / "next shot ...")
    max_subjects: int  # native subject slots; 0 = subjects are folded into the prompt as text
    seeds: bool
    negative: bool
    typical_seconds: int  # typical render wall time, for the card's estimate
    multi_shot: bool = False  # takes `Ns: shot // Ns: shot` (2 to MAX_SHOTS shots)
    motion: bool = False  # motion control: --motion URL (a character performs a video's moves)
    # resolutions only rendered at some lengths, e.g. Veo's 1080p only at 8 s: (("1080p", (8,)),)
    res_seconds: tuple[tuple[str, tuple[int, ...]], ...] = ()
    # subjects go in as reference images (with --image as one more) only at this (seconds, aspect) (Veo)
    subjects_at: tuple[int, str] | None = None
    aliases: tuple[str, ...] = ()
    # the models to offer instead when this one cannot run here (a retired id), in order
    alternatives: tuple[str, ...] = ()
    # per backend, the provider ids that serve this model, most preferred first
    backends: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # USD per second of output: (resolution, variant, price)
    prices: tuple[tuple[str, str, float], ...] = ()

    def provider_ids(self, backend: str) -> tuple[str, ...]:
        """The ids `backend` knows this model by, most preferred first; () when none is listed."""
        return dict(self.backends).get(backend, ())


@dataclass(frozen=True)
class Catalogue:
    """Every model offered here, by id, and the catalogue-wide choices. Built once at start."""

    models: Mapping[str, ModelSpec]
    aliases: Mapping[str, str]  # other spellings -> model id
    default_draft: str
    final_preference: tuple[str, ...]

    def get(self, model_id: str) -> ModelSpec | None:
        """The model for a user's id, ignoring case and surrounding space; also takes aliases."""
        key = model_id.strip().lower()
        return self.models.get(self.aliases.get(key, key))

    def __getitem__(self, model_id: str) -> ModelSpec:
        return self.models[model_id]

    def __contains__(self, model_id: object) -> bool:
        return model_id in self.models

    def __iter__(self) -> Iterator[str]:
        return iter(self.models)

    def __len__(self) -> int:
        return len(self.models)

    def values(self) -> Iterable[ModelSpec]:
        return self.models.values()

    @property
    def max_seconds(self) -> int:
        """The longest clip any model here renders (what --seconds may ask for at most)."""
        return max((s for m in self.values() for s in m.seconds), default=1)

    def provider_ids(self, backend: str) -> Mapping[str, tuple[str, ...]]:
        """Model id -> the ids `backend` knows it by, for every model that lists any there."""
        return MappingProxyType(
            {m.id: m.provider_ids(backend) for m in self.values() if m.provider_ids(backend)}
        )


def modes_of(model: ModelSpec) -> list[str]:
    """What a model takes and does, for `dailies models`: its inputs, then multi-shot, motion
    control and extension where it has them."""
    modes = sorted(model.inputs)
    modes += ["multi-shot"] if model.multi_shot else []
    modes += ["motion control"] if model.motion else []
    modes += ["extend"] if model.extends else []
    return modes


# ---- loading -------------------------------------------------------------------------------------


@cache
def shipped_catalogue() -> Catalogue:
    """The catalogue as shipped, without an operator's overrides (what a bare parse checks against)."""
    return load_catalogue()


def load_catalogue(models_file: str = "", model_names: Iterable[tuple[str, str]] = ()) -> Catalogue:
    """The shipped rows, then `models_file`'s (DAILIES_MODELS_FILE), then `model_names`
    (KLING_4_MODEL_NAMES: a shorthand for `[models."<id>"] backends = { kling = ["<name>"] }`).
    Raises CatalogueError naming the file, the row and the field."""
    text = resources.files("bot.request").joinpath("data/models.toml").read_text(encoding="utf-8")
    data = _parse(text, SHIPPED)
    layers = [(SHIPPED, data)]
    if models_file:
        try:
            override_text = Path(models_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogueError(f"DAILIES_MODELS_FILE {models_file}: cannot read it ({exc})") from None
        layers.append((models_file, _parse(override_text, models_file)))
    shorthand = {model: {"backends": {"kling": [name]}} for model, name in model_names}
    if shorthand:
        layers.append(("KLING_4_MODEL_NAMES", {"models": shorthand}))
    return _build(layers)


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{source}: not valid TOML ({exc})") from None
    unknown = set(data) - {"models", "default_draft", "final_preference"}
    if unknown:
        raise CatalogueError(
            f"{source}: unknown key `{sorted(unknown)[0]}` (the file has models, default_draft, final_preference)"
        )
    if not isinstance(data.get("models", {}), dict):
        raise CatalogueError(f'{source}: `models` must be tables, e.g. [models."kling-v3"]')
    return data


def _build(layers: list[tuple[str, dict[str, Any]]]) -> Catalogue:
    rows: dict[str, dict[str, Any]] = {}
    where: dict[str, str] = {}  # model id -> the last file that touched its row
    top: dict[str, Any] = {}
    for source, data in layers:
        for key in ("default_draft", "final_preference"):
            if key in data:
                top[key] = (source, data[key])
        for model_id, row in data.get("models", {}).items():
            if not isinstance(row, dict):
                raise CatalogueError(f'{source}: model "{model_id}": must be a table of fields')
            _merge(rows.setdefault(model_id, {}), row)
            where[model_id] = source
    models: dict[str, ModelSpec] = {}
    for model_id, row in rows.items():
        spec = _model(model_id, row, where[model_id])
        for other in spec.alternatives:
            if other not in rows or other == model_id:
                raise CatalogueError(
                    f'{where[model_id]}: model "{model_id}", field "alternatives": `{other}` is not another model'
                )
        if row.get("unconfirmed") and not spec.backends:
            continue  # an unconfirmed API is offered only once a provider id is named for it
        models[model_id] = spec
    aliases: dict[str, str] = {}
    for spec in models.values():
        for alias in spec.aliases:
            other = alias if alias in models else aliases.get(alias, spec.id)
            if other != spec.id:
                # blame the row an operator's file touched, not the shipped one it collides with
                blamed, named = (other, spec.id) if where.get(other, SHIPPED) != SHIPPED else (spec.id, other)
                raise CatalogueError(
                    f'{where[blamed]}: model "{blamed}", field "aliases": `{alias}` already names {named}'
                )
            aliases[alias] = spec.id
    draft_source, draft = top.get("default_draft", (SHIPPED, ""))
    if draft not in models:
        raise CatalogueError(f"{draft_source}: default_draft `{draft}` is not a model in the catalogue")
    final_source, final = top.get("final_preference", (SHIPPED, []))
    if not isinstance(final, list) or not final or any(m not in models for m in final):
        raise CatalogueError(f"{final_source}: final_preference must list models in the catalogue")
    return Catalogue(MappingProxyType(models), MappingProxyType(aliases), draft, tuple(final))


def _merge(into: dict[str, Any], row: dict[str, Any]) -> None:
    """An override replaces a field; `backends` and `prices` are replaced per backend and per
    resolution, so one line changes one provider id or one price."""
    for key, value in row.items():
        if key == "backends" and isinstance(value, dict) and isinstance(into.get(key), dict):
            into[key] = {**into[key], **value}
        elif key == "prices" and isinstance(value, dict) and isinstance(into.get(key), dict):
            into[key] = {**into[key], **value}
        else:
            into[key] = value


_SECONDS_RUN = re.compile(r"(\d{1,3})-(\d{1,3})")
_PROVIDER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:-]{0,127}")
_BOOLS = ("edits", "extends", "seeds", "negative", "multi_shot", "motion", "default_audio", "unconfirmed")
_KNOWN = {
    "title", "family", "seconds", "seconds_text_only", "default_seconds", "aspects", "resolutions",
    "default_resolution", "audio", "inputs", "max_subjects", "typical_seconds", "res_seconds",
    "subjects_at", "aliases", "alternatives", "backends", "prices", *_BOOLS,
}  # fmt: skip


class _Row:
    """Reads one row's fields, each failure a CatalogueError naming file, row and field."""

    def __init__(self, source: str, model_id: str, row: dict[str, Any]) -> None:
        self.source, self.model_id, self.row = source, model_id, row

    def fail(self, field: str, problem: str) -> CatalogueError:
        return CatalogueError(f'{self.source}: model "{self.model_id}", field "{field}": {problem}')

    def required(self, field: str) -> Any:
        if field not in self.row:
            raise self.fail(field, "missing (a new model needs it)")
        return self.row[field]

    def text(self, field: str, choices: tuple[str, ...] = ()) -> str:
        value = self.required(field)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, "must be text")
        if choices and value not in choices:
            raise self.fail(field, f"`{value}` is not one of {', '.join(choices)}")
        return value

    def flag(self, field: str) -> bool:
        value = self.row.get(field, False)
        if not isinstance(value, bool):
            raise self.fail(field, "must be true or false")
        return value

    def whole(self, field: str, default: int | None = None, lo: int = 0) -> int:
        value = self.row[field] if field in self.row else default
        if value is None:
            value = self.required(field)
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise self.fail(field, f"must be a whole number of at least {lo}")
        return value

    def words(
        self, field: str, choices: tuple[str, ...] = (), default: list[str] | None = None
    ) -> tuple[str, ...]:
        value = self.row.get(field, default) if default is not None else self.required(field)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(field, "must be a list of text")
        bad = [v for v in value if choices and v not in choices]
        if bad:
            raise self.fail(field, f"`{bad[0]}` is not one of {', '.join(choices)}")
        return tuple(value)

    def seconds(self, field: str, value: Any) -> tuple[int, ...]:
        run = _SECONDS_RUN.fullmatch(value) if isinstance(value, str) else None
        if run and 0 < int(run.group(1)) <= int(run.group(2)):
            return tuple(range(int(run.group(1)), int(run.group(2)) + 1))
        if isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
        ):
            return tuple(value)
        raise self.fail(field, 'must be a list of whole seconds, or a run such as "3-15"')


def _model(model_id: str, row: dict[str, Any], source: str) -> ModelSpec:
    r = _Row(source, model_id, row)
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,39}", model_id):
        raise r.fail("id", "a model id is 1 to 40 lowercase letters, digits, `.`, `-` or `_`")
    unknown = sorted(set(row) - _KNOWN)
    if unknown:
        raise r.fail(unknown[0], "is not a catalogue field")
    r.flag("unconfirmed")  # read by _build; checked here with the others
    seconds = r.seconds("seconds", r.required("seconds"))
    text_only = row.get("seconds_text_only")
    resolutions = r.words("resolutions", RESOLUTIONS)
    if not resolutions:
        raise r.fail("resolutions", "must name at least one")
    default_resolution = r.text("default_resolution", resolutions)
    default_seconds = row.get("default_seconds")
    if seconds and default_seconds not in seconds:
        listed = ", ".join(map(str, seconds)) if len(seconds) <= 6 else f"{seconds[0]} to {seconds[-1]}"
        raise r.fail("default_seconds", f"must be one of the model's seconds ({listed})")
    res_seconds = row.get("res_seconds", {})
    if not isinstance(res_seconds, dict) or any(k not in resolutions for k in res_seconds):
        raise r.fail("res_seconds", 'must map resolutions of the model to seconds, e.g. { "1080p" = [8] }')
    subjects_at = row.get("subjects_at")
    if subjects_at is not None and (
        not isinstance(subjects_at, list)
        or len(subjects_at) != 2
        or not isinstance(subjects_at[0], int)
        or subjects_at[1] not in ASPECTS
    ):
        raise r.fail("subjects_at", 'must be [seconds, aspect], e.g. [8, "16:9"]')
    return ModelSpec(
        id=model_id,
        title=r.text("title"),
        family=r.text("family", FAMILIES),
        seconds=seconds,
        seconds_text_only=None if text_only is None else r.seconds("seconds_text_only", text_only),
        default_seconds=default_seconds if seconds else None,
        aspects=r.words("aspects", ASPECTS, default=[]),
        resolutions=resolutions,
        default_resolution=default_resolution,
        audio=r.text("audio", AUDIO),
        default_audio=r.flag("default_audio"),
        inputs=frozenset(r.words("inputs", INPUTS)),
        edits=r.flag("edits"),
        extends=r.flag("extends"),
        max_subjects=r.whole("max_subjects", default=0),
        seeds=r.flag("seeds"),
        negative=r.flag("negative"),
        typical_seconds=r.whole("typical_seconds", lo=1),
        multi_shot=r.flag("multi_shot"),
        motion=r.flag("motion"),
        res_seconds=tuple((res, r.seconds("res_seconds", s)) for res, s in res_seconds.items()),
        subjects_at=(subjects_at[0], subjects_at[1]) if subjects_at else None,
        aliases=tuple(a.lower() for a in r.words("aliases", default=[])),
        alternatives=r.words("alternatives", default=[]),
        backends=_backends(r),
        prices=_prices(r, resolutions),
    )


def _backends(r: _Row) -> tuple[tuple[str, tuple[str, ...]], ...]:
    value = r.row.get("backends", {})
    if not isinstance(value, dict):
        raise r.fail("backends", 'must map backends to provider ids, e.g. { kling = ["kling-v3"] }')
    backends = []
    for backend, ids in value.items():
        if backend not in BACKENDS:
            raise r.fail("backends", f"`{backend}` is not one of {', '.join(BACKENDS)}")
        if isinstance(ids, str):
            ids = [ids]
        if not isinstance(ids, list) or not all(
            isinstance(i, str) and _PROVIDER_ID.fullmatch(i) for i in ids
        ):
            raise r.fail("backends", f'{backend} must list provider ids, e.g. {backend} = ["model-id"]')
        if ids:
            backends.append((backend, tuple(ids)))
    return tuple(backends)


def _prices(r: _Row, resolutions: tuple[str, ...]) -> tuple[tuple[str, str, float], ...]:
    value = r.required("prices")
    if not isinstance(value, dict):
        raise r.fail("prices", 'must map resolutions to prices, e.g. { "720p" = { any = 0.084 } }')
    prices = []
    for resolution, variants in value.items():
        if resolution not in RESOLUTIONS or not isinstance(variants, dict):
            raise r.fail("prices", f"`{resolution}` must be a resolution with a table of prices")
        for variant, price in variants.items():
            if variant not in VARIANTS:
                raise r.fail("prices", f"`{resolution}.{variant}` is not one of {', '.join(VARIANTS)}")
            if isinstance(price, bool) or not isinstance(price, int | float) or not 0 <= price <= 100:
                raise r.fail("prices", f"`{resolution}.{variant}` must be USD per second, 0 to 100")
            prices.append((resolution, variant, float(price)))
    priced = {res for res, _variant, _price in prices}
    for resolution in resolutions:
        if resolution not in priced:
            raise r.fail("prices", f"no price at {resolution}, which the model renders")
    return tuple(prices)


_SIZES = {
    ("16:9", "720p"): (1280, 720),
    ("9:16", "720p"): (720, 1280),
    ("1:1", "720p"): (720, 720),
    ("16:9", "1080p"): (1920, 1080),
    ("9:16", "1080p"): (1080, 1920),
    ("1:1", "1080p"): (1080, 1080),
    ("16:9", "4k"): (3840, 2160),
    ("9:16", "4k"): (2160, 3840),
    ("1:1", "4k"): (2160, 2160),
}


def size_for(aspect: str, resolution: str) -> tuple[int, int]:
    """Width and height in pixels, e.g. ("16:9", "720p") -> (1280, 720). ValueError if unknown."""
    try:
        return _SIZES[(aspect, resolution)]
    except KeyError:
        raise ValueError(f"no frame size for aspect {aspect!r} at {resolution!r}") from None

"""The campaign form (pure Block Kit): title, model, seconds, aspects, takes per shot, the shots one
per line or a CSV/TSV file; and what a submitted one holds."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.cards.forms import ModelChoice, input_block, option, plain_text
from bot.request.commands import MAX_SECONDS, MAX_TAKES

CAMPAIGN_FORM = "campaign_form"
MAX_SHOTS_TEXT = 3000  # a plain_text_input's limit


def campaign_modal(channel_id: str | None, models: list[ModelChoice], default_model: str) -> dict:
    """The campaign form for `channel_id`, its model preselected; without a channel (App Home's New
    campaign button) it starts with a channel select."""
    model_options = [option(m.id, m.id, m.what) for m in models[:100]]
    model = {"type": "static_select", "placeholder": plain_text("model", 150), "options": model_options}
    chosen = next((o for o in model_options if o["value"] == default_model), None)
    if chosen:
        model["initial_option"] = chosen
    aspects = [
        option(a, f"{a} {w}") for a, w in (("16:9", "landscape"), ("9:16", "portrait"), ("1:1", "square"))
    ]
    takes = [option(str(n), str(n)) for n in range(1, MAX_TAKES + 1)]
    blocks = [
        input_block("title", "Title", {"type": "plain_text_input", "max_length": 150}, optional=False),
        input_block("model", "Model", model, optional=False),
        input_block(
            "seconds",
            "Seconds",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "min_value": "1",
                "max_value": str(MAX_SECONDS),
                "placeholder": plain_text("the model's default", 150),
            },
            optional=True,
        ),
        input_block(
            "aspects",
            "Aspects",
            {"type": "multi_static_select", "options": aspects, "initial_options": [aspects[0]]},
            optional=False,
            hint="Every shot is rendered at each aspect you pick",
        ),
        input_block(
            "takes",
            "Takes per shot",
            {"type": "static_select", "options": takes, "initial_option": takes[0]},
            optional=False,
        ),
        input_block(
            "shots",
            "Shots, one per line",
            {
                "type": "plain_text_input",
                "multiline": True,
                "max_length": MAX_SHOTS_TEXT,
                "placeholder": plain_text("a red sneaker on wet asphalt at night --seconds 8", 150),
            },
            optional=True,
            hint="Each line is a /video prompt with its own flags and {subjects}; up to 50 shots",
        ),
        input_block(
            "file",
            "…or a CSV/TSV file",
            {"type": "file_input", "filetypes": ["csv", "tsv", "txt"], "max_files": 1},
            optional=True,
            hint="Columns: prompt, and optionally model, seconds, aspect, image, subject",
        ),
    ]
    if channel_id is None:
        picker = {
            "type": "conversations_select",
            "placeholder": plain_text("Where the board goes", 150),
            "filter": {"include": ["public", "private"], "exclude_bot_users": True},
        }
        blocks.insert(0, input_block("channel", "Channel", picker, optional=False))
    return {
        "type": "modal",
        "callback_id": CAMPAIGN_FORM,
        "title": plain_text("New campaign", 24),
        "submit": plain_text("Start campaign", 24),
        "close": plain_text("Cancel", 24),
        "private_metadata": json.dumps({"channel": channel_id}, separators=(",", ":")),
        "blocks": blocks,
    }


@dataclass(frozen=True)
class CampaignFields:
    channel_id: str
    title: str
    model: str
    seconds: int | None
    aspects: tuple[str, ...]
    takes: int
    shots: str
    files: tuple[dict, ...]  # the file_input's file objects (ids, names)


def _field(values: dict, block_id: str) -> dict:
    return next(iter((values.get(block_id) or {}).values()), None) or {}


def read_campaign_form(view: dict) -> CampaignFields:
    values = view.get("state", {}).get("values", {})
    try:
        channel = json.loads(view.get("private_metadata") or "{}").get("channel") or ""
    except ValueError:
        channel = ""
    channel = channel or _field(values, "channel").get("selected_conversation") or ""
    seconds = _field(values, "seconds").get("value")
    takes = (_field(values, "takes").get("selected_option") or {}).get("value") or "1"
    return CampaignFields(
        channel_id=channel,
        title=(_field(values, "title").get("value") or "").strip(),
        model=(_field(values, "model").get("selected_option") or {}).get("value") or "",
        seconds=int(seconds) if seconds and str(seconds).isdigit() else None,
        aspects=tuple(o["value"] for o in _field(values, "aspects").get("selected_options") or ()),
        takes=int(takes) if takes.isdigit() else 1,
        shots=_field(values, "shots").get("value") or "",
        files=tuple(_field(values, "file").get("files") or ()),
    )

"""The modals: New video (the /video flags as fields), Edit this clip, Save as subject (with its
consent checkbox); and
reading what a submitted modal holds back into form values (pure Block Kit)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.request.commands import MAX_DESCRIPTION, MAX_PROMPT, MAX_SECONDS, MAX_SUBJECTS, MAX_TAKES
from bot.request.form import ReplyForm, VideoForm

VIDEO_FORM = "video_form"
EDIT_FORM = "edit_clip_form"
SUBJECT_FORM = "save_subject_form"
CHANNEL_PICKED = "video_form_channel"  # the channel select (a form opened from App Home)
MAX_OPTIONS = 100  # a select's options
AUDIO_CHOICES = {"default": None, "on": True, "off": False}
CONSENT_GIVEN = "given"  # the Save as subject form's consent checkbox, ticked


@dataclass(frozen=True)
class ModelChoice:
    id: str
    what: str  # the model in a few words, e.g. "Kling 3.0 standard, 720p · 3-15 s"


def plain_text(text: str, limit: int = 75) -> dict:
    return {"type": "plain_text", "text": text if len(text) <= limit else text[: limit - 1] + "…"}


def option(value: str, text: str, description: str = "") -> dict:
    found = {"text": plain_text(text), "value": value}
    if description:
        found["description"] = plain_text(description)
    return found


def input_block(block_id: str, label: str, element: dict, *, optional: bool = True, hint: str = "") -> dict:
    block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label, 2000),
        "element": {"action_id": "value", **element},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain_text(hint, 2000)
    return block


def _select(options: list[dict], placeholder: str, initial: str | None = None) -> dict:
    element = {"type": "static_select", "placeholder": plain_text(placeholder, 150), "options": options}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def _audio(initial: str = "default") -> dict:
    options = [
        option("default", "The model's default"),
        option("on", "With sound"),
        option("off", "Silent"),
    ]
    return {
        "type": "radio_buttons",
        "options": options,
        "initial_option": options[list(AUDIO_CHOICES).index(initial)],
    }


def _seconds() -> dict:
    return {
        "type": "number_input",
        "is_decimal_allowed": False,
        "min_value": "1",
        "max_value": str(MAX_SECONDS),
        "placeholder": plain_text("the model's default", 150),
    }


def _takes() -> dict:
    return _select([option(str(n), str(n)) for n in range(1, MAX_TAKES + 1)], "1", "1")


def _modal(callback_id: str, title: str, submit: str, blocks: list[dict], metadata: dict) -> dict:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(title, 24),
        "submit": plain_text(submit, 24),
        "close": plain_text("Cancel", 24),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": blocks,
    }


def video_modal(
    channel_id: str | None,
    models: list[ModelChoice],
    subjects: list[dict],
    *,
    default_model: str | None = None,
    pick_channel: bool = False,
) -> dict:
    """The New video modal: the /video flags as fields, for `channel_id`. With `pick_channel`
    (opened from App Home) it starts with a channel select (showing `channel_id` once picked),
    and the channel's subjects appear once one is picked."""
    blocks: list[dict] = []
    if pick_channel:
        blocks.append(
            {
                **input_block(
                    "channel",
                    "Channel",
                    {
                        "type": "conversations_select",
                        "placeholder": plain_text("Where the job card goes", 150),
                        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                    },
                    optional=False,
                ),
                "dispatch_action": True,
            }
        )
        blocks[0]["element"]["action_id"] = CHANNEL_PICKED
        if channel_id:
            blocks[0]["element"]["initial_conversation"] = channel_id
    blocks.append(
        input_block(
            "prompt",
            "Prompt",
            {
                "type": "plain_text_input",
                "multiline": True,
                "max_length": MAX_PROMPT,
                "placeholder": plain_text("a red fox trotting through fresh snow", 150),
            },
            optional=False,
            hint="Name a saved subject as {name}; several shots: 3s: wide shot // 2s: close-up",
        )
    )
    options = [option(m.id, m.id, m.what) for m in models[:MAX_OPTIONS]]
    blocks.append(input_block("model", "Model", _select(options, "the channel's default", default_model)))
    blocks.append(input_block("seconds", "Seconds", _seconds()))
    aspects = [
        option(a, f"{a} {w}") for a, w in (("16:9", "landscape"), ("9:16", "portrait"), ("1:1", "square"))
    ]
    blocks.append(input_block("aspect", "Aspect ratio", _select(aspects, "the model's default")))
    resolutions = [option(r, r) for r in ("720p", "1080p", "4k")]
    blocks.append(input_block("resolution", "Resolution", _select(resolutions, "the model's default")))
    blocks.append(input_block("takes", "Takes", _takes(), hint="Versions rendered side by side (1 to 4)"))
    blocks.append(
        input_block(
            "image_url",
            "First frame (image URL)",
            {"type": "url_text_input", "placeholder": plain_text("https://example.com/first-frame.png", 150)},
        )
    )
    if subjects:
        choices = [
            option(s["name"], "{" + s["name"] + "}", s.get("description") or "")
            for s in subjects[:MAX_OPTIONS]
        ]
        element = {
            "type": "multi_static_select",
            "placeholder": plain_text("none", 150),
            "options": choices,
            "max_selected_items": MAX_SUBJECTS,
        }
        blocks.append(input_block("subjects", "Subjects", element))
    elif channel_id is not None:
        note = "No subjects saved in this channel yet: `/video subject add NAME IMAGE_URL`."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    blocks.append(input_block("audio", "Sound", _audio()))
    return _modal(VIDEO_FORM, "New video", "Render", blocks, {} if pick_channel else {"channel": channel_id})


def edit_modal(
    channel_id: str, shot_id: int, version: int | None, title: str, models: list[ModelChoice]
) -> dict:
    """Edit this clip: what a reply in the clip's thread says, with the flags a reply takes."""
    which = f"v{version}" if version else "the latest version"
    about = f"Edits {which} of _{title[:150]}_, as a reply in its thread would."
    blocks = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": about}]},
        input_block(
            "instruction",
            "What to change",
            {
                "type": "plain_text_input",
                "multiline": True,
                "max_length": MAX_PROMPT,
                "placeholder": plain_text("warmer light, slower camera", 150),
            },
            optional=False,
            hint="Or: again · extend the camera rises · final",
        ),
        input_block(
            "model",
            "Model",
            _select([option(m.id, m.id, m.what) for m in models[:MAX_OPTIONS]], "as a reply would"),
        ),
        input_block("seconds", "Seconds", _seconds()),
        input_block("takes", "Takes", _takes()),
        input_block(
            "image_url",
            "Reference image URL",
            {"type": "url_text_input", "placeholder": plain_text("https://example.com/reference.png", 150)},
        ),
        input_block("audio", "Sound", _audio()),
    ]
    metadata = {"channel": channel_id, "shot": shot_id, "version": version}
    return _modal(EDIT_FORM, "Edit this clip", "Render", blocks, metadata)


def subject_modal(channel_id: str, shot_id: int, version: int | None, description: str) -> dict:
    """Save as subject: the clip's first frame under a name, as `save as subject NAME` does."""
    which = f"v{version}'s" if version else "the latest version's"
    blocks = [
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"Saves {which} first frame in this channel's library."}],
        },
        input_block(
            "name",
            "Name",
            {"type": "plain_text_input", "max_length": 32, "placeholder": plain_text("maya", 150)},
            optional=False,
            hint="Letters, digits, - or _; use it as {name} in a prompt",
        ),
        input_block(
            "description",
            "Description",
            {
                "type": "plain_text_input",
                "multiline": True,
                "max_length": MAX_DESCRIPTION,
                **({"initial_value": description[:MAX_DESCRIPTION]} if description else {}),
            },
        ),
    ]
    consent = option(CONSENT_GIVEN, "I have this person's permission to use their likeness and voice")
    blocks.append(
        input_block(
            "consent",
            "Consent",
            {"type": "checkboxes", "options": [consent]},
            hint="Recorded with your name and the time; talking avatars, lip-syncs and voices need it",
        )
    )
    metadata = {"channel": channel_id, "shot": shot_id, "version": version}
    return _modal(SUBJECT_FORM, "Save as subject", "Save", blocks, metadata)


# ---- what a submitted modal holds ---------------------------------------------------------------


def _value(values: dict, block_id: str) -> str | None:
    """A text, number, URL or single select field's value (None when left empty)."""
    field = next(iter((values.get(block_id) or {}).values()), None) or {}
    if "selected_option" in field:
        return (field["selected_option"] or {}).get("value")
    if "selected_conversation" in field:
        return field["selected_conversation"]
    value = field.get("value")
    return value if value not in (None, "") else None


def _chosen(values: dict, block_id: str) -> tuple[str, ...]:
    field = next(iter((values.get(block_id) or {}).values()), None) or {}
    return tuple(o["value"] for o in field.get("selected_options") or ())


def metadata(view: dict) -> dict:
    """The view's private_metadata (what the bot put there when it opened the modal)."""
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def form_channel(view: dict) -> str | None:
    """The channel a New video form is for: the one it was opened in, else the one picked."""
    return metadata(view).get("channel") or _value(view.get("state", {}).get("values", {}), "channel")


def read_video_form(view: dict) -> VideoForm:
    values = view.get("state", {}).get("values", {})
    return VideoForm(
        prompt=_value(values, "prompt") or "",
        model=_value(values, "model"),
        seconds=_value(values, "seconds"),
        aspect=_value(values, "aspect"),
        resolution=_value(values, "resolution"),
        takes=_value(values, "takes"),
        image_url=_value(values, "image_url"),
        subjects=_chosen(values, "subjects"),
        audio=AUDIO_CHOICES.get(_value(values, "audio") or "default"),
    )


def read_reply_form(view: dict) -> ReplyForm:
    values = view.get("state", {}).get("values", {})
    return ReplyForm(
        instruction=_value(values, "instruction") or "",
        model=_value(values, "model"),
        seconds=_value(values, "seconds"),
        takes=_value(values, "takes"),
        image_url=_value(values, "image_url"),
        audio=AUDIO_CHOICES.get(_value(values, "audio") or "default"),
    )


def read_subject_form(view: dict) -> tuple[str, str]:
    values = view.get("state", {}).get("values", {})
    return _value(values, "name") or "", _value(values, "description") or ""


def read_subject_consent(view: dict) -> bool:
    """Whether the Save as subject form's consent box was ticked."""
    return CONSENT_GIVEN in _chosen(view.get("state", {}).get("values", {}), "consent")


def field_errors(errors: dict[str, str], view: dict) -> dict[str, str]:
    """Slack's `response_action: errors` map: each message on its field's block (a field the view
    lacks goes on the first input), cut to what Slack shows."""
    inputs = [b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input"]
    shown: dict[str, str] = {}
    for field, message in errors.items():
        block = field if field in inputs else (inputs[0] if inputs else field)
        shown[block] = (shown.get(block, "") + " " + message).strip()[:1000]
    return shown

"""The optional language model's side of reading a thread reply (`DAILIES_INTENT_MODEL`): the prompt,
the JSON schema it must answer in, and `read_answer`, which checks that answer into a ThreadInstruction."""

from __future__ import annotations

import json

from bot.outcomes import Refusal
from bot.request.commands import MAX_PROMPT, MAX_TAKES, ThreadInstruction
from bot.request.lexer import readable

KINDS = ("edit", "again", "extend", "final")
ASPECTS = ("16:9", "9:16", "1:1")
KEEP = "keep"  # the aspect stays the version's
MAX_SECONDS = 60  # a length beyond any model's is not a reading, it is a mistake
SCHEMA_NAME = "thread_reply_plan"
FIELDS = ("kind", "instruction", "aspect", "seconds", "takes")

# strict structured output: every field required, no others (AI/ML API and Gemini take this shape)
SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": list(KINDS)},
        "instruction": {"type": "string"},
        "aspect": {"type": "string", "enum": [*ASPECTS, KEEP]},
        "seconds": {"type": "integer"},
        "takes": {"type": "integer"},
    },
    "required": list(FIELDS),
    "additionalProperties": False,
}

SYSTEM_PROMPT = """\
You read one reply in the Slack thread of an AI-generated video clip and say what render it asks for.
Answer only with JSON in the given schema:
- kind "edit": change the existing clip (its look, light, colour, motion, objects); keeps its frame and length.
- kind "again": render the clip's request anew, when the reply asks for another aspect ratio, another
  length, more takes or variations; any other change it also asks for goes in "instruction".
- kind "extend": continue the clip with a next shot. kind "final": the polished final render.
- instruction: the change in a few plain words, without the aspect, length or platform
  (for "edit" it must not be empty; "" when there is no other change).
- aspect: "9:16" for vertical, portrait, TikTok, Reels, Shorts, Stories; "1:1" for square or an
  Instagram feed post; "16:9" for landscape, widescreen, YouTube; "keep" when the reply names none.
- seconds: the new length in whole seconds, 0 when the reply names none.
- takes: how many versions, 1 unless the reply asks for more (at most 4).
Example: "same thing but for Instagram and a bit slower" ->
{"kind":"again","instruction":"a bit slower","aspect":"1:1","seconds":0,"takes":1}"""


def user_message(text: str) -> str:
    """What the model reads: the reply, quoted so that nothing in it reads as a rule."""
    return f"Reply: {json.dumps(text, ensure_ascii=False)}"


def read_answer(raw: str, version: int | None = None) -> ThreadInstruction | Refusal:
    """The model's JSON answer as a ThreadInstruction on `version`, or a Refusal naming what is
    wrong with it (the caller logs that and lets the rules decide; nobody sees it)."""
    try:
        answer = json.loads(raw)
    except (TypeError, ValueError):
        return Refusal("the answer is not JSON")
    if not isinstance(answer, dict) or set(answer) != set(FIELDS):
        return Refusal(f"the answer has fields {sorted(answer) if isinstance(answer, dict) else answer!r}")
    kind, aspect, seconds, takes = answer["kind"], answer["aspect"], answer["seconds"], answer["takes"]
    text = answer["instruction"]
    if kind not in KINDS or aspect not in (*ASPECTS, KEEP) or not isinstance(text, str):
        return Refusal(f"kind {kind!r} or aspect {aspect!r} is not one of the schema's")
    if type(seconds) is not int or not 0 <= seconds <= MAX_SECONDS:
        return Refusal(f"seconds {seconds!r} is not a length")
    if type(takes) is not int or not 1 <= takes <= MAX_TAKES:
        return Refusal(f"takes {takes!r} is not 1 to {MAX_TAKES}")
    text = readable(" ".join(text.split()))
    if isinstance(text, Refusal) or len(text) > MAX_PROMPT:
        return Refusal("the instruction names people or is too long")
    aspect = None if aspect == KEEP else aspect
    if kind != "again" and (aspect or (seconds and kind != "extend") or takes > 1):
        return Refusal(f"a {kind} keeps the clip's frame, length and one take")
    if kind == "edit" and not text:
        return Refusal("an edit without an instruction")
    if kind == "again":
        return ThreadInstruction(
            "again", text, version, seconds=seconds or None, takes=takes, aspect=aspect,
            reading=reading(aspect, seconds or None, takes, text),
        )  # fmt: skip
    return ThreadInstruction(kind, text, version, seconds=seconds or None)


def reading(aspect: str | None, seconds: int | None, takes: int, text: str) -> str:
    """How the card says a model-read re-render was read: `re-render at 1:1 · “a bit slower”`."""
    at = " · ".join(x for x in (aspect, f"{seconds} s" if seconds else None) if x)
    said = f"“{text}”" if text else ""
    head = f"re-render at {at}" if at else ("re-render" if said or takes == 1 else f"{takes} more")
    extra = f" ×{takes}" if takes > 1 and (at or said) else ""
    return " · ".join(x for x in (head + extra, said) if x)

"""The language model's answer is checked like any reply: `read_answer` turns a plan in the schema
into a ThreadInstruction and refuses anything else, so a bad answer leaves the rules to decide."""

from __future__ import annotations

import json

import pytest

from bot.outcomes import Refusal
from bot.request.intent import SCHEMA, SYSTEM_PROMPT, read_answer, reading, user_message


def answer(**fields) -> str:
    plan = {"kind": "edit", "instruction": "warmer light", "aspect": "keep", "seconds": 0, "takes": 1}
    return json.dumps({**plan, **fields})


def test_a_re_render_with_a_change_keeps_both():
    ins = read_answer(answer(kind="again", instruction="a bit slower", aspect="1:1"), version=2)
    assert (ins.kind, ins.text, ins.aspect, ins.version, ins.takes) == ("again", "a bit slower", "1:1", 2, 1)
    assert ins.reading == "re-render at 1:1 · “a bit slower”"


def test_an_edit_is_the_instruction_alone():
    ins = read_answer(answer(instruction="  the sky   darker "))
    assert (ins.kind, ins.text, ins.aspect, ins.seconds, ins.reading) == (
        "edit",
        "the sky darker",
        None,
        None,
        "",
    )


def test_more_takes_and_a_length():
    ins = read_answer(answer(kind="again", instruction="", seconds=10, takes=3))
    assert (ins.seconds, ins.takes, ins.reading) == (10, 3, "re-render at 10 s ×3")
    assert read_answer(answer(kind="again", instruction="", takes=3)).reading == "3 more"


@pytest.mark.parametrize(
    "raw",
    [
        "Sure! make it square",
        "[]",
        json.dumps({"kind": "edit"}),
        answer(extra=1),
        answer(kind="delete"),
        answer(aspect="4:3"),
        answer(seconds=-1),
        answer(seconds=600),
        answer(seconds="10"),
        answer(takes=0),
        answer(takes=9),
        answer(takes=True),
        answer(instruction=""),  # an edit of nothing
        answer(aspect="9:16"),  # an edit keeps its frame
        answer(kind="final", takes=2),
        answer(instruction="ask <@U0MARIA>"),  # people are not prompts
        answer(instruction="x" * 3000),
    ],
)
def test_anything_else_is_refused_and_the_rules_decide(raw):
    assert isinstance(read_answer(raw), Refusal)


def test_the_schema_is_strict_and_the_reply_is_quoted():
    assert SCHEMA["additionalProperties"] is False and set(SCHEMA["required"]) == set(SCHEMA["properties"])
    assert '"same thing"' in user_message("same thing") and "Instagram" in SYSTEM_PROMPT
    assert reading(None, None, 1, "slower") == "re-render · “slower”"

"""Issue 16: a form makes the request the typed flags make, and pins each refusal on its field."""

from __future__ import annotations

from bot.request import parse_command, parse_reply
from bot.request.form import (
    FieldErrors,
    ReplyForm,
    VideoForm,
    reply_from_form,
    subject_from_form,
    video_from_form,
)


def test_a_filled_form_is_the_request_its_flags_make():
    form = VideoForm(
        prompt="a red fox trotting through fresh snow", model="kling-v3", seconds="5", aspect="9:16",
        resolution="720p", takes="2", image_url="https://example.com/fox.png", subjects=("maya",),
        audio=False,
    )  # fmt: skip
    typed = parse_command(
        "a red fox trotting through fresh snow --model kling-v3 --seconds 5 --aspect 9:16 --res 720p "
        "--n 2 --image https://example.com/fox.png --subject maya --no-audio"
    )
    assert video_from_form(form) == typed


def test_nothing_in_the_prompt_is_read_as_a_flag_or_a_subcommand():
    request = video_from_form(VideoForm(prompt='help --seconds 99 "quoted"\nsecond line'))
    assert request.prompt == 'help --seconds 99 "quoted" second line' and request.seconds is None


def test_each_refusal_lands_on_its_field():
    assert set(video_from_form(VideoForm(prompt="")).errors) == {"prompt"}
    bad = video_from_form(VideoForm(prompt="a fox", seconds="ninety", aspect="4:3", image_url="ftp://x"))
    assert isinstance(bad, FieldErrors) and set(bad.errors) == {"seconds", "aspect", "image_url"}
    assert "--aspect takes 16:9, 9:16 or 1:1" in bad.errors["aspect"]


def test_a_refusal_of_the_combination_lands_on_the_field_the_model_does_not_allow():
    bad = video_from_form(VideoForm(prompt="a fox", model="sora-2", seconds="5"))
    assert set(bad.errors) == {"seconds"} and "4, 8" in bad.errors["seconds"]
    multi = video_from_form(VideoForm(prompt="3s: a harbour // 2s: a gull", model="sora-2"))
    assert set(multi.errors) == {"model"}


def test_an_edit_form_is_the_reply_typed_in_the_thread():
    form = ReplyForm(instruction="warmer light", model="kling-o1", seconds="5", takes="2", audio=True)
    assert reply_from_form(form, 2) == parse_reply(
        "v2: warmer light --model kling-o1 --seconds 5 --n 2 --audio"
    )
    assert reply_from_form(ReplyForm(instruction="v1: colder"), 2) == parse_reply("v1: colder")
    assert set(reply_from_form(ReplyForm(instruction=""), None).errors) == {"instruction"}
    assert set(reply_from_form(ReplyForm(instruction="warmer", takes="9"), None).errors) == {"takes"}
    assert set(reply_from_form(ReplyForm(instruction="x", image_url='a" --n 4'), None).errors) == {
        "image_url"
    }


def test_a_subject_form_checks_the_name_and_description_as_the_reply_does():
    assert subject_from_form("{Maya}", "  our host\n") == ("maya", "our host")
    assert set(subject_from_form("two words", "x" * 301).errors) == {"name", "description"}

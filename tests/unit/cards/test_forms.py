"""Issue 16: the modals are valid Block Kit within Slack's limits, and a submitted view reads back
into the form values its fields hold."""

from __future__ import annotations

from bot.cards import forms
from bot.request.form import VideoForm
from tests.fakes.block_kit import problems
from tests.fakes.slack_requests import view_state

MODELS = [
    forms.ModelChoice("kling-v3", "Kling 3.0 standard, 720p · 3-15 s"),
    forms.ModelChoice("preview", "x" * 90),
]
SUBJECTS = [{"name": "maya", "description": "our host"}, {"name": "rex", "description": ""}]


def test_every_modal_passes_slacks_checks():
    views = [
        forms.video_modal("C1", MODELS, SUBJECTS, default_model="kling-v3"),
        forms.video_modal("C1", MODELS, []),
        forms.video_modal(None, MODELS, [], pick_channel=True),
        forms.video_modal("C1", MODELS, SUBJECTS * 60, pick_channel=True),
        forms.edit_modal("C1", 3, 2, "a fox " * 100, MODELS),
        forms.subject_modal("C1", 3, None, "a long description " * 40),
    ]
    for view in views:
        assert problems("views.open", {"view": view}) == []
        assert len(view["title"]["text"]) <= 24 and len(view["private_metadata"]) <= 3000


def test_the_channel_travels_in_the_metadata_or_the_select():
    view = forms.video_modal("C1", MODELS, [])
    assert forms.form_channel(view) == "C1"
    picked = forms.video_modal(None, MODELS, [], pick_channel=True)
    assert forms.form_channel(picked) is None
    picked["state"] = view_state(picked, {"channel": "C2"})
    assert forms.form_channel(picked) == "C2"


def test_a_submitted_view_reads_back_into_its_form():
    view = forms.video_modal("C1", MODELS, SUBJECTS)
    view["state"] = view_state(
        view,
        {"prompt": "a fox", "model": "kling-v3", "seconds": "5", "aspect": "9:16", "subjects": ["maya"],
         "audio": "off", "image_url": "https://example.com/a.png"},
    )  # fmt: skip
    assert forms.read_video_form(view) == VideoForm(
        prompt="a fox", model="kling-v3", seconds="5", aspect="9:16", takes="1",
        image_url="https://example.com/a.png", subjects=("maya",), audio=False,
    )  # fmt: skip


def test_errors_go_on_the_blocks_slack_shows_them_on():
    view = forms.video_modal("C1", MODELS, [])
    assert forms.field_errors({"seconds": "no", "subjects": "gone"}, view) == {
        "seconds": "no",
        "prompt": "gone",
    }

"""The consent offer's Block Kit (valid, its button within Slack's limits) and the Save as subject
form's consent checkbox read back."""

from __future__ import annotations

from bot.cards import forms
from bot.cards.offers import CONSENT_ACTION, consent_button_label, consent_offer_blocks
from tests.fakes.block_kit import problems
from tests.fakes.slack_requests import view_state


def test_the_offer_is_valid_block_kit_with_one_button_that_names_the_held_request():
    label = consent_button_label(["hero"], "render")
    assert label == "I have hero's permission: record consent and render"
    blocks = consent_offer_blocks("`{hero}` has no consent on record", label, "tok")
    assert (
        problems("chat.postEphemeral", {"channel": "C1", "user": "U1", "text": "x", "blocks": blocks}) == []
    )
    (button,) = blocks[-1]["elements"]
    assert (button["action_id"], button["value"]) == (CONSENT_ACTION, "tok")


def test_a_long_label_still_fits_a_button():
    label = consent_button_label(["a" * 32, "b" * 32], "keep the voice")
    assert label == "I have their permission: record consent and keep the voice" and len(label) <= 75


def test_the_subject_forms_consent_box_reads_back_ticked_or_not():
    modal = forms.subject_modal("C1", 3, None, "")
    ticked = {**modal, "state": view_state(modal, {"name": "keeper", "consent": ["given"]})}
    assert forms.read_subject_consent(ticked) is True
    left = {**modal, "state": view_state(modal, {"name": "keeper"})}
    assert forms.read_subject_consent(left) is False

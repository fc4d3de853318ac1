"""The consent offer: an ephemeral message with the one button that records consent and starts the
held request (pure Block Kit)."""

from __future__ import annotations

CONSENT_ACTION = "consent_render"
_BUTTON_TEXT_LIMIT = 75  # Slack's limit for a button's text


def consent_button_label(names: list[str], then: str) -> str:
    """ "I have hero's permission: record consent and render", shortened to fit a button."""
    who = " and ".join(names)
    label = f"I have {who}'s permission: record consent and {then}"
    if len(label) > _BUTTON_TEXT_LIMIT:
        label = f"I have their permission: record consent and {then}"
    return label[:_BUTTON_TEXT_LIMIT]


def consent_offer_blocks(text: str, label: str, token: str) -> list[dict]:
    """The offer's text and its button; `token` names the held request (only its requester's press counts)."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "actions",
            "block_id": "consent_offer",
            "elements": [
                {
                    "type": "button",
                    "action_id": CONSENT_ACTION,
                    "text": {"type": "plain_text", "text": label},
                    "style": "primary",
                    "value": token,
                }
            ],
        },
    ]

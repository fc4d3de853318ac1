"""Offers made to one person (pure Block Kit): the render offer a review note's author gets when
the note reads like a change request, and the consent offer that records consent and starts the held
request."""

from __future__ import annotations

OFFER_ACTION = "render_offer"


def offer_blocks(
    note_id: int, version: int, estimate_usd: float, reading: str, takes: int = 1
) -> tuple[str, list[dict]]:
    """(fallback text, blocks): what the note would become and a "Render this as v3 ($0.42)" button
    ("as v3–v5" for three takes)."""
    versions = f"v{version}" + (f"–v{version + takes - 1}" if takes > 1 else "")
    label = f"Render this as {versions} (${estimate_usd:,.2f})"
    text = (
        f"Your note reads like a change request. Nobody else sees this: press *{label}* to have me "
        f"render it ({reading}), or ignore it and it stays a note. The offer ends when the thread gets v{version}."
    )
    return label, [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "actions",
            "block_id": f"offer-{note_id}",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": label[:75]},
                    "action_id": OFFER_ACTION,
                    "value": str(note_id),
                    "style": "primary",
                }
            ],
        },
    ]


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

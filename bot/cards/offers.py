"""The offer a review note's author gets when the note reads like a change request (pure Block
Kit): one button that renders it, priced, for them alone."""

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

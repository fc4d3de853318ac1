"""The pages a person sees at the end of installing Dailies (pure): what happened, and what to do."""

from __future__ import annotations

from html import escape

# why an install failed (Bolt's reasons, and Slack's `error` query values), in the installer's words
FAILURES = {
    "access_denied": "The install was cancelled in Slack, so nothing was installed.",
    "invalid_browser": (
        "This page was opened in a different browser from the one that started the install "
        "(or its cookies are blocked). Start again from the install link, in one browser."
    ),
    "invalid_state": (
        "This install link has expired or was already used. Start again from the install link."
    ),
    "missing_code": "Slack did not send an authorization code. Start again from the install link.",
    "invalid_code": (
        "Slack did not accept the authorization code (it works once, for a few minutes). "
        "Start again from the install link."
    ),
    "org_wide": (
        "Dailies is installed workspace by workspace, and this was an org-wide (Enterprise Grid) "
        "install, so nothing was installed. Install it into each workspace that wants it instead."
    ),
    "storage_error": "The install could not be saved on our side. Try again in a minute.",
}


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;"
        "padding:0 1rem;line-height:1.5}</style></head>"
        f"<body><h1>{escape(title)}</h1><p>{escape(body)}</p></body></html>"
    )


def success_page(team_name: str) -> str:
    where = f"to {team_name}" if team_name else "to your workspace"
    return _page(
        f"Dailies was added {where}",
        "Invite it to a channel (/invite @Dailies), then type /video help there to start.",
    )


def failure_page(reason: str) -> str:
    message = FAILURES.get(reason, f"Slack reported “{reason}”. Start again from the install link.")
    return _page("Dailies was not installed", message)

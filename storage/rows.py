"""The rows that cross layers, typed: a shot (one job card), a job (one request) and a take (one
version), as `storage.jobs` returns them to the runner, delivery, the cards and the studio.

They are TypedDicts, so a row stays the plain dict sqlite-utils and psycopg give (nothing is
copied on the way out), while readers and type checkers see which keys it has and what they hold.
`tests/unit/storage/test_rows.py` keeps each in step with its table on both engines: a migration
that adds a column adds it here too."""

from __future__ import annotations

from typing import Any, TypedDict


class ShotRow(TypedDict):
    id: int
    team_id: str  # "" for a row from before workspaces were keyed (see m014)
    channel_id: str
    user_id: str
    title: str
    card_ts: str | None  # the job card's message, once posted
    card_state: str | None  # what the card last showed (its text and blocks), to skip repeats
    created_at: str
    card_nonce: str | None  # in the card's metadata, so a restart finds a card it posted
    card_posting_at: float | None
    card_poster: str | None  # the replica posting the card, and until when
    card_post_until: float | None
    card_editor: str | None  # the replica editing the card, and until when
    card_edit_until: float | None
    campaign_id: int | None  # a campaign's board or one of its shots
    campaign_shot: (
        int | None
    )  # the shot's S number (0: the campaign's cut); None on the board and outside campaigns


class JobRow(TypedDict):
    id: int
    shot_id: int
    team_id: str
    channel_id: str
    user_id: str
    kind: str  # generate | edit | again | extend | final | ...
    state: str  # a storage.states.JobState value
    model: str
    backend: str
    request: dict[str, Any]  # the checked request, decoded from its JSON column
    takes: int
    estimate_usd: float
    cost_usd: float | None
    parent_take_id: int | None  # the version an edit, extension or final render starts from
    source_key: str  # the trigger (command, event, view): one job per trigger
    error: str | None
    created_at: str
    updated_at: str


class TakeRow(TypedDict):
    id: int
    job_id: int
    shot_id: int
    version: int  # v1, v2, ... within the shot
    state: str  # a storage.states.TakeState value
    seed: int | None
    provider_task_id: str | None
    result_url: str | None
    progress: int | None
    status_note: str | None
    media_path: str | None
    bytes: int | None
    upload_file_id: str | None
    slack_file_id: str | None
    cost_usd: float | None
    seconds: float | None
    error: str | None
    attempts: int | None
    created_at: str
    submitted_at: str | None
    finished_at: str | None
    updated_at: str
    approved_at: str | None
    interaction_id: str | None  # the conversation an edit of this clip continues (Gemini Omni)
    claimed_by: str | None  # the replica running it, until its lease lapses
    lease_until: float | None


class TakeView(TakeRow):
    """A take as the card shows it (`jobs.shot_view`): with how many review notes it has."""

    notes: int

"""The schema, as registered migrations (applied in a transaction and recorded in the database)."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

MIGRATIONS = Migrations("dailies")


@MIGRATIONS()
def m001_core(db: Database) -> None:
    db["channels"].create(
        {
            "channel_id": str,
            "team_id": str,
            "default_model": str,
            "final_model": str,
            "budget_usd": float,
            "job_limit_usd": float,
            "approvers": str,  # JSON list of user ids
            "approval_rule": str,  # "any" | "all"
            "updated_at": str,
        },
        pk="channel_id",
        not_null={"channel_id"},
    )
    # a shot is one job card and its thread: the version stack of one idea
    db["shots"].create(
        {
            "id": int,
            "channel_id": str,
            "team_id": str,
            "user_id": str,
            "title": str,
            "card_ts": str,
            "card_state": str,  # what the card last showed, to skip identical edits
            "created_at": str,
        },
        pk="id",
    )
    db["shots"].create_index(["channel_id", "card_ts"], unique=True)
    # a job is one request: a /video command, a reply edit, another take, a final render
    db["jobs"].create(
        {
            "id": int,
            "shot_id": int,
            "channel_id": str,
            "user_id": str,
            "kind": str,  # generate | edit | extend | again | final | avatar
            "state": str,
            "model": str,
            "backend": str,
            "request": str,  # JSON of the resolved request
            "takes": int,
            "estimate_usd": float,
            "cost_usd": float,
            "parent_take_id": int,
            "source_key": str,  # what triggered it (trigger_id, channel:ts): one job per trigger
            "error": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("shot_id", "shots", "id")],
    )
    db["jobs"].create_index(["source_key"], unique=True)
    db["jobs"].create_index(["channel_id", "created_at"])
    db["jobs"].create_index(["state"])
    # a take is one clip: a numbered version in the shot's thread
    db["takes"].create(
        {
            "id": int,
            "job_id": int,
            "shot_id": int,
            "version": int,
            "state": str,
            "seed": int,
            "provider_task_id": str,
            "result_url": str,
            "progress": int,
            "status_note": str,
            "media_path": str,
            "bytes": int,
            "upload_file_id": str,  # Slack file id between upload and completeUploadExternal
            "slack_file_id": str,  # set once the clip is in the thread: never uploaded twice
            "cost_usd": float,
            "seconds": float,
            "error": str,
            "attempts": int,
            "created_at": str,
            "submitted_at": str,
            "finished_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("job_id", "jobs", "id"), ("shot_id", "shots", "id")],
    )
    db["takes"].create_index(["shot_id", "version"], unique=True)
    db["takes"].create_index(["state"])
    db["takes"].create_index(["provider_task_id"])
    db["transitions"].create(
        {
            "id": int,
            "job_id": int,
            "take_id": int,
            "from_state": str,
            "to_state": str,
            "note": str,
            "at": str,
        },
        pk="id",
    )
    db["transitions"].create_index(["job_id"])
    # Slack deliveries already handled (event_id, trigger_id, action ts …): retries are dropped
    db["deliveries"].create({"key": str, "kind": str, "at": str}, pk="key")
    db["audit"].create(
        {
            "id": int,
            "channel_id": str,
            "user_id": str,
            "action": str,
            "job_id": int,
            "take_id": int,
            "detail": str,
            "at": str,
        },
        pk="id",
    )
    db["audit"].create_index(["channel_id", "id"])


@MIGRATIONS()
def m003_subjects(db: Database) -> None:
    # a channel's subject library: names are unique per channel, case-insensitive (name_key)
    db["subjects"].create(
        {
            "id": int,
            "channel_id": str,
            "name": str,
            "name_key": str,
            "description": str,
            "added_by": str,
            "created_at": str,
        },
        pk="id",
    )
    db["subjects"].create_index(["channel_id", "name_key"], unique=True)
    db["subject_images"].create(
        {
            "id": int,
            "subject_id": int,
            "position": int,  # 0 = the frontal image
            "sha256": str,
            "path": str,  # stored by content hash under DAILIES_MEDIA_DIR/subjects/
            "mime": str,
            "width": int,
            "height": int,
        },
        pk="id",
        foreign_keys=[("subject_id", "subjects", "id")],
    )
    db["subject_images"].create_index(["subject_id", "position"], unique=True)
    # an element created for a subject at a backend (Kling direct), reused by later jobs
    db["subject_elements"].create(
        {"subject_id": int, "backend": str, "element_id": str, "created_at": str},
        pk=("subject_id", "backend"),
        foreign_keys=[("subject_id", "subjects", "id")],
    )


@MIGRATIONS()
def m002_review(db: Database) -> None:
    # one row per decision (approve | reject | withdrawn); the latest row per person and subject wins
    db["approvals"].create(
        {
            "id": int,
            "channel_id": str,
            "shot_id": int,
            "job_id": int,
            "take_id": int,  # NULL: a decision on a whole job (the cost gate)
            "user_id": str,
            "decision": str,
            "via": str,  # reaction | button
            "at": str,
        },
        pk="id",
    )
    db["approvals"].create_index(["shot_id"])
    db["takes"].add_column("approved_at", str)  # set while a version's verdict is "approved"
    # message ts -> version, so a reaction on a clip's message finds its take
    db["messages"].create(
        {"channel_id": str, "ts": str, "shot_id": int, "take_id": int}, pk=("channel_id", "ts")
    )


@MIGRATIONS()
def m005_subject_image_source(db: Database) -> None:
    # where a subject's image came from (its URL, a Slack file, or a clip's version), for `subject show`
    db["subject_images"].add_column("source", str)


@MIGRATIONS()
def m006_card_nonce(db: Database) -> None:
    # set just before a card's chat.postMessage: the nonce travels in the message metadata, so a
    # restart that finds a marker without card_ts can look for the card instead of posting twice
    db["shots"].add_column("card_nonce", str)
    db["shots"].add_column("card_posting_at", float)  # Unix time the first post attempt started

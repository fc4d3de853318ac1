"""The schema, as named migrations written once for both engines (applied in one transaction and
recorded in `schema_migrations`). Type names in braces are the engine's: {id} an integer primary key
that numbers itself, {real} a float, {int} an integer, {text} text (see `Db.types`)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from storage.clock import now_iso
from storage.db import Db

Step = str | Callable[[Db], None]

M001_CORE: list[Step] = [
    """CREATE TABLE channels (
        channel_id {text} NOT NULL PRIMARY KEY, team_id {text}, default_model {text}, final_model {text},
        budget_usd {real}, job_limit_usd {real},
        approvers {text},  -- JSON list of user ids
        approval_rule {text},  -- "any" | "all"
        updated_at {text})""",
    # a shot is one job card and its thread: the version stack of one idea
    """CREATE TABLE shots (
        id {id}, channel_id {text}, team_id {text}, user_id {text}, title {text}, card_ts {text},
        card_state {text},  -- what the card last showed, to skip identical edits
        created_at {text})""",
    "CREATE UNIQUE INDEX idx_shots_channel_id_card_ts ON shots (channel_id, card_ts)",
    # a job is one request: a /video command, a reply edit, another take, a final render
    """CREATE TABLE jobs (
        id {id}, shot_id {int} REFERENCES shots (id), channel_id {text}, user_id {text},
        kind {text},  -- generate | edit | extend | again | final | avatar
        state {text}, model {text}, backend {text},
        request {text},  -- JSON of the resolved request
        takes {int}, estimate_usd {real}, cost_usd {real}, parent_take_id {int},
        source_key {text},  -- what triggered it (trigger_id, channel:ts): one job per trigger
        error {text}, created_at {text}, updated_at {text})""",
    "CREATE UNIQUE INDEX idx_jobs_source_key ON jobs (source_key)",
    "CREATE INDEX idx_jobs_channel_id_created_at ON jobs (channel_id, created_at)",
    "CREATE INDEX idx_jobs_state ON jobs (state)",
    # a take is one clip: a numbered version in the shot's thread
    """CREATE TABLE takes (
        id {id}, job_id {int} REFERENCES jobs (id), shot_id {int} REFERENCES shots (id), version {int},
        state {text}, seed {int}, provider_task_id {text}, result_url {text}, progress {int},
        status_note {text}, media_path {text}, bytes {int},
        upload_file_id {text},  -- Slack file id between upload and completeUploadExternal
        slack_file_id {text},  -- set once the clip is in the thread: never uploaded twice
        cost_usd {real}, seconds {real}, error {text}, attempts {int}, created_at {text},
        submitted_at {text}, finished_at {text}, updated_at {text})""",
    "CREATE UNIQUE INDEX idx_takes_shot_id_version ON takes (shot_id, version)",
    "CREATE INDEX idx_takes_state ON takes (state)",
    "CREATE INDEX idx_takes_provider_task_id ON takes (provider_task_id)",
    """CREATE TABLE transitions (
        id {id}, job_id {int}, take_id {int}, from_state {text}, to_state {text}, note {text}, at {text})""",
    "CREATE INDEX idx_transitions_job_id ON transitions (job_id)",
    # Slack deliveries already handled (event_id, trigger_id, action ts …): retries are dropped
    "CREATE TABLE deliveries (key {text} NOT NULL PRIMARY KEY, kind {text}, at {text})",
    """CREATE TABLE audit (
        id {id}, channel_id {text}, user_id {text}, action {text}, job_id {int}, take_id {int},
        detail {text}, at {text})""",
    "CREATE INDEX idx_audit_channel_id_id ON audit (channel_id, id)",
]

M003_SUBJECTS: list[Step] = [
    # a channel's subject library: names are unique per channel, case-insensitive (name_key)
    """CREATE TABLE subjects (
        id {id}, channel_id {text}, name {text}, name_key {text}, description {text}, added_by {text},
        created_at {text})""",
    "CREATE UNIQUE INDEX idx_subjects_channel_id_name_key ON subjects (channel_id, name_key)",
    """CREATE TABLE subject_images (
        id {id}, subject_id {int} REFERENCES subjects (id),
        position {int},  -- 0 = the frontal image
        sha256 {text},
        path {text},  -- stored by content hash under DAILIES_MEDIA_DIR/subjects/
        mime {text}, width {int}, height {int})""",
    "CREATE UNIQUE INDEX idx_subject_images_subject_id_position ON subject_images (subject_id, position)",
    # an element created for a subject at a backend (Kling direct), reused by later jobs
    """CREATE TABLE subject_elements (
        subject_id {int} NOT NULL REFERENCES subjects (id), backend {text} NOT NULL, element_id {text},
        created_at {text}, PRIMARY KEY (subject_id, backend))""",
]

M002_REVIEW: list[Step] = [
    # one row per decision (approve | reject | withdrawn); the latest row per person and subject wins
    """CREATE TABLE approvals (
        id {id}, channel_id {text}, shot_id {int}, job_id {int},
        take_id {int},  -- NULL: a decision on a whole job (the cost gate)
        user_id {text}, decision {text},
        via {text},  -- reaction | button
        at {text})""",
    "CREATE INDEX idx_approvals_shot_id ON approvals (shot_id)",
    "ALTER TABLE takes ADD COLUMN approved_at {text}",  # set while a version's verdict is "approved"
    # message ts -> version, so a reaction on a clip's message finds its take
    """CREATE TABLE messages (
        channel_id {text} NOT NULL, ts {text} NOT NULL, shot_id {int}, take_id {int},
        PRIMARY KEY (channel_id, ts))""",
]

M005_SUBJECT_IMAGE_SOURCE: list[Step] = [
    # where a subject's image came from (its URL, a Slack file, or a clip's version), for `subject show`
    "ALTER TABLE subject_images ADD COLUMN source {text}",
]

M006_CARD_NONCE: list[Step] = [
    # set just before a card's chat.postMessage: the nonce travels in the message metadata, so a
    # restart that finds a marker without card_ts can look for the card instead of posting twice
    "ALTER TABLE shots ADD COLUMN card_nonce {text}",
    "ALTER TABLE shots ADD COLUMN card_posting_at {real}",  # Unix time the first post attempt started
]


def _installation_id(db: Db) -> None:
    # part of every id Dailies chooses for a provider, so two installations on one provider account
    # (a reinstall on a fresh database, a staging copy) never collide or pick up each other's tasks
    db.execute(
        "INSERT INTO meta (key, value, at) VALUES ('installation_id', ?, ?)",
        [secrets.token_hex(4), now_iso()],
    )


M007_REPLICAS: list[Step] = [
    "CREATE TABLE meta (key {text} NOT NULL PRIMARY KEY, value {text}, at {text})",
    _installation_id,
    # the replica running a take, until when (Unix time); another takes it over once the lease lapses
    "ALTER TABLE takes ADD COLUMN claimed_by {text}",
    "ALTER TABLE takes ADD COLUMN lease_until {real}",
]

M008_CARD_POSTER: list[Step] = [
    # the replica posting a shot's card, and until when: another waits for its ts instead of posting
    # a second card, or looks for the card (by nonce) once that replica is gone
    "ALTER TABLE shots ADD COLUMN card_poster {text}",
    "ALTER TABLE shots ADD COLUMN card_post_until {real}",
]

M009_SUBJECT_VOICES: list[Step] = [
    # a subject's voice sample (5-30 s of one clean voice), stored under DAILIES_MEDIA_DIR/voices/
    """CREATE TABLE subject_voice_samples (
        subject_id {int} NOT NULL PRIMARY KEY REFERENCES subjects (id), path {text}, mime {text},
        seconds {real}, url {text},  -- the sample's public URL when it came from one (backends fetch it)
        source {text}, added_by {text}, created_at {text})""",
    # the custom voice made from that sample at a backend (Kling direct), reused by later jobs
    """CREATE TABLE subject_voices (
        subject_id {int} NOT NULL REFERENCES subjects (id), backend {text} NOT NULL, voice_id {text},
        created_at {text}, PRIMARY KEY (subject_id, backend))""",
]

M010_CARD_EDITOR: list[Step] = [
    # the replica editing a shot's card, and until when: one replica edits a card at a time, so an
    # older state never lands after a newer one
    "ALTER TABLE shots ADD COLUMN card_editor {text}",
    "ALTER TABLE shots ADD COLUMN card_edit_until {real}",
]

M011_WORKFLOW_STEPS: list[Step] = [
    # a Workflow Builder step running as a job: completed (functions.completeSuccess/Error) once the
    # job ends, also after a restart; the step's short-lived workflow token is not kept
    """CREATE TABLE workflow_steps (
        execution_id {text} NOT NULL PRIMARY KEY, source_key {text} NOT NULL,  -- the job's source_key
        channel_id {text}, team_id {text}, started_at {text},
        completed_at {text}, outcome {text})  -- "success" | "error" | "gone" (Slack ended it)""",
    "CREATE UNIQUE INDEX idx_workflow_steps_source_key ON workflow_steps (source_key)",
]

M012_INSTALLATIONS: list[Step] = [
    # a workspace that installed Dailies through OAuth (distribution mode): one row per workspace
    """CREATE TABLE slack_installations (
        team_id {text} NOT NULL PRIMARY KEY, enterprise_id {text}, team_name {text}, enterprise_name {text},
        app_id {text}, bot_id {text}, bot_user_id {text}, bot_token {text}, bot_scopes {text},
        bot_refresh_token {text},  -- token rotation: single-use, replaced by each refresh
        bot_token_expires_at {real}, user_id {text}, is_enterprise_install {int}, token_type {text},
        installed_at {real},
        refresher {text}, refresh_until {real})  -- the replica refreshing the token, until when""",
    # the state of an install link: used once, within its expiry, by any replica
    "CREATE TABLE slack_oauth_states (state {text} NOT NULL PRIMARY KEY, expires_at {real})",
]

M013_SLACK_BUCKETS: list[Step] = [
    # the Slack budget shared by every replica: one token bucket per (workspace, method, channel or
    # ""), its numbers as `bot.slack.budget.Bucket` holds them (last_429 NULL: never limited)
    """CREATE TABLE slack_buckets (
        team_id {text} NOT NULL, method {text} NOT NULL, channel_id {text} NOT NULL,
        tokens {real}, at {real}, paused_until {real}, scale {real}, last_429 {real},
        PRIMARY KEY (team_id, method, channel_id))""",
]

TEAM_KEYED = ("channels", "shots", "jobs", "subjects", "audit", "approvals")


def _one_team_backfill(db: Db) -> None:
    # a database one workspace filled before rows were keyed by team: its rows belong to that team,
    # so it keeps seeing them (the team it sends is what reads by team look for)
    teams = {r["team_id"] for r in db.query("SELECT DISTINCT team_id FROM shots WHERE team_id <> ''")}
    if len(teams) != 1:
        return
    (team,) = teams
    for table in TEAM_KEYED:
        db.execute(f"UPDATE {table} SET team_id = ? WHERE team_id = ''", [team])


M014_TEAM_KEYS: list[Step] = [
    # every workspace's data kept to itself (distribution mode): what is found by channel is found
    # by (team, channel), as two workspaces may each have a channel of the same id
    """CREATE TABLE channels_by_team (
        team_id {text} NOT NULL DEFAULT '', channel_id {text} NOT NULL, default_model {text},
        final_model {text}, budget_usd {real}, job_limit_usd {real}, approvers {text}, approval_rule {text},
        updated_at {text}, PRIMARY KEY (team_id, channel_id))""",
    "INSERT INTO channels_by_team (team_id, channel_id, default_model, final_model, budget_usd, job_limit_usd, "
    "approvers, approval_rule, updated_at) SELECT coalesce(team_id, ''), channel_id, default_model, "
    "final_model, budget_usd, job_limit_usd, approvers, approval_rule, updated_at FROM channels",
    "DROP TABLE channels",
    "ALTER TABLE channels_by_team RENAME TO channels",
    "UPDATE shots SET team_id = '' WHERE team_id IS NULL",
    "DROP INDEX idx_shots_channel_id_card_ts",
    "CREATE UNIQUE INDEX idx_shots_team_id_channel_id_card_ts ON shots (team_id, channel_id, card_ts)",
    "ALTER TABLE jobs ADD COLUMN team_id {text} NOT NULL DEFAULT ''",
    "UPDATE jobs SET team_id = coalesce((SELECT shots.team_id FROM shots WHERE shots.id = jobs.shot_id), '')",
    "DROP INDEX idx_jobs_channel_id_created_at",
    "CREATE INDEX idx_jobs_team_id_channel_id_created_at ON jobs (team_id, channel_id, created_at)",
    "ALTER TABLE subjects ADD COLUMN team_id {text} NOT NULL DEFAULT ''",
    "DROP INDEX idx_subjects_channel_id_name_key",
    "CREATE UNIQUE INDEX idx_subjects_team_id_channel_id_name_key ON subjects (team_id, channel_id, name_key)",
    "ALTER TABLE audit ADD COLUMN team_id {text} NOT NULL DEFAULT ''",
    "DROP INDEX idx_audit_channel_id_id",
    "CREATE INDEX idx_audit_team_id_channel_id_id ON audit (team_id, channel_id, id)",
    "ALTER TABLE approvals ADD COLUMN team_id {text} NOT NULL DEFAULT ''",
    _one_team_backfill,
]

M015_MESSAGES_BY_TEAM: list[Step] = [
    # a clip's message found by (team, channel, ts): a channel shared between two workspaces that
    # both installed Dailies (Slack Connect) has one id in both
    """CREATE TABLE messages_by_team (
        team_id {text} NOT NULL DEFAULT '', channel_id {text} NOT NULL, ts {text} NOT NULL, shot_id {int},
        take_id {int}, PRIMARY KEY (team_id, channel_id, ts))""",
    "INSERT INTO messages_by_team (team_id, channel_id, ts, shot_id, take_id) SELECT "
    "coalesce((SELECT shots.team_id FROM shots WHERE shots.id = messages.shot_id), ''), channel_id, ts, "
    "shot_id, take_id FROM messages",
    "DROP TABLE messages",
    "ALTER TABLE messages_by_team RENAME TO messages",
]

M016_REVIEW_NOTES: list[Step] = [
    # who may talk to Dailies in a job's thread without mentioning it: requester | anyone | mention
    "ALTER TABLE channels ADD COLUMN replies {text}",
    # a reply that was conversation, kept as a note on the version it is about; found again by
    # its message (team, channel, ts) when Slack says it was edited or deleted
    """CREATE TABLE review_notes (
        id {id}, team_id {text} NOT NULL DEFAULT '', channel_id {text} NOT NULL, ts {text} NOT NULL,
        shot_id {int}, take_id {int}, user_id {text}, text {text},
        timecode {real},  -- seconds into the version the note points at, when it names a time
        offer_version {int},  -- the version an offer to render it would make; stale once that exists
        created_at {text}, edited_at {text})""",
    "CREATE UNIQUE INDEX idx_review_notes_team_id_channel_id_ts ON review_notes (team_id, channel_id, ts)",
    "CREATE INDEX idx_review_notes_take_id ON review_notes (take_id)",
    "CREATE INDEX idx_review_notes_shot_id ON review_notes (shot_id)",
]

M017_DEPARTURES: list[Step] = [
    # a workspace that removed Dailies, and when: its data is purged DAILIES_RETENTION_DAYS later
    "CREATE TABLE departures (team_id {text} NOT NULL PRIMARY KEY, departed_at {real})",
]

M018_SUBJECT_CONSENT: list[Step] = [
    # who confirmed having the person's permission to use a subject's likeness and voice (one row
    # per subject while consent stands; withdrawing deletes it, the audit keeps every change)
    """CREATE TABLE subject_consents (
        subject_id {int} NOT NULL PRIMARY KEY REFERENCES subjects (id), team_id {text} NOT NULL DEFAULT '',
        channel_id {text}, given_by {text}, given_at {text}, note {text})""",
    # a request held for want of consent, until its requester presses "record consent and render"
    """CREATE TABLE consent_offers (
        token {text} NOT NULL PRIMARY KEY, team_id {text} NOT NULL DEFAULT '', channel_id {text},
        user_id {text}, kind {text},  -- avatar | lipsync | voice
        request {text},  -- JSON: the command and where it came from, replayed as it was asked
        created_at {text}, used_at {text})""",
]
M019_TAKE_INTERACTIONS: list[Step] = [
    # the conversation a backend keeps for this clip (a Gemini Omni interaction id): an edit or
    # extension of the version continues it, on whichever replica and after any restart
    "ALTER TABLE takes ADD COLUMN interaction_id {text}",
]

M020_MODEL_SIGHTINGS: list[Step] = [
    # the backends' model lists as every replica sees them (storage.model_sightings): shared by
    # all workspaces, so never purged with one
    "CREATE TABLE model_lists (backend {text} NOT NULL PRIMARY KEY, read_at {text})",
    """CREATE TABLE model_sightings (
        backend {text} NOT NULL, provider_id {text} NOT NULL,
        last_seen {text}, missing_since {text}, gone_at {text},
        PRIMARY KEY (backend, provider_id))""",
]

M021_SIGNIN_STATES: list[Step] = [
    # Sign in with Slack for the screening room: a state handed to one browser, with the nonce the
    # id_token must carry and the room to return to; used once, by whichever replica gets the callback
    """CREATE TABLE signin_states (
        state {text} NOT NULL PRIMARY KEY, nonce {text} NOT NULL, back_to {text}, expires_at {real})""",
]

M022_CAMPAIGNS: list[Step] = [
    # a campaign is a brief of shots S1…Sn; each is a shot (its versions, jobs and takes) whose clips
    # land in the thread of one board message, itself a shot row (so it posts and edits like a card)
    """CREATE TABLE campaigns (
        id {id}, team_id {text} NOT NULL DEFAULT '', channel_id {text}, user_id {text}, title {text},
        brief {text},  -- JSON: model, seconds, aspects, takes
        board_shot_id {int} REFERENCES shots (id), estimate_usd {real},
        sheet_key {text},  -- the versions the last contact sheet showed
        source_key {text}, created_at {text})""",
    "CREATE UNIQUE INDEX idx_campaigns_source_key ON campaigns (source_key)",
    "CREATE INDEX idx_campaigns_team_id_channel_id ON campaigns (team_id, channel_id)",
    "CREATE INDEX idx_campaigns_board_shot_id ON campaigns (board_shot_id)",
    "ALTER TABLE shots ADD COLUMN campaign_id {int}",
    "ALTER TABLE shots ADD COLUMN campaign_shot {int}",  # its S number; NULL on the board's row
    # a campaign's shots share the board's message as their thread
    "DROP INDEX idx_shots_team_id_channel_id_card_ts",
    "CREATE UNIQUE INDEX idx_shots_team_id_channel_id_card_ts ON shots (team_id, channel_id, card_ts) "
    "WHERE campaign_shot IS NULL",
]

M024_EVENT_INBOX: list[Step] = [
    # Events API deliveries stored before they are acknowledged, handled from here: one row per
    # event_id (Slack's retries land on it), held by one replica at a time until its lease lapses
    """CREATE TABLE event_inbox (
        event_id {text} NOT NULL PRIMARY KEY, team_id {text} NOT NULL DEFAULT '', body {text} NOT NULL,
        received_at {real} NOT NULL, claimed_by {text}, claimed_until {real} NOT NULL)""",
    "CREATE INDEX idx_event_inbox_claimed_until ON event_inbox (claimed_until)",
    "CREATE INDEX idx_event_inbox_team_id ON event_inbox (team_id)",
]

M025_SHEET_CLAIMS: list[Step] = [
    # who is posting a campaign's contact sheet (the versions in sheet_key) and until when: a claim
    # whose holder died or let it lapse is taken over (and the thread looked at first); cleared once
    # posted, so "sheet_key set, nobody holding it" means that sheet is up
    "ALTER TABLE campaigns ADD COLUMN sheet_claimed_by {text}",
    "ALTER TABLE campaigns ADD COLUMN sheet_claimed_at {real}",
    "ALTER TABLE campaigns ADD COLUMN sheet_claim_until {real}",
]

MIGRATIONS: list[tuple[str, list[Step]]] = [
    ("m001_core", M001_CORE),
    ("m003_subjects", M003_SUBJECTS),
    ("m002_review", M002_REVIEW),
    ("m005_subject_image_source", M005_SUBJECT_IMAGE_SOURCE),
    ("m006_card_nonce", M006_CARD_NONCE),
    ("m007_replicas", M007_REPLICAS),
    ("m008_card_poster", M008_CARD_POSTER),
    ("m009_subject_voices", M009_SUBJECT_VOICES),
    ("m010_card_editor", M010_CARD_EDITOR),
    ("m011_workflow_steps", M011_WORKFLOW_STEPS),
    ("m012_installations", M012_INSTALLATIONS),
    ("m013_slack_buckets", M013_SLACK_BUCKETS),
    ("m014_team_keys", M014_TEAM_KEYS),
    ("m015_messages_by_team", M015_MESSAGES_BY_TEAM),
    ("m016_review_notes", M016_REVIEW_NOTES),
    ("m017_departures", M017_DEPARTURES),
    ("m018_subject_consent", M018_SUBJECT_CONSENT),
    ("m019_take_interactions", M019_TAKE_INTERACTIONS),
    ("m020_model_sightings", M020_MODEL_SIGHTINGS),
    ("m021_signin_states", M021_SIGNIN_STATES),
    ("m022_campaigns", M022_CAMPAIGNS),
    ("m024_event_inbox", M024_EVENT_INBOX),
    ("m025_sheet_claims", M025_SHEET_CLAIMS),
]


def applied(db: Db) -> list[str]:
    if "schema_migrations" not in db.table_names():
        return []
    return [r["name"] for r in db.query("SELECT name FROM schema_migrations ORDER BY applied_at, position")]


def migrate(db: Db) -> list[str]:
    """Apply the migrations this database lacks, in order, in one transaction; returns their names."""
    positions = {name: i for i, (name, _) in enumerate(MIGRATIONS)}
    with db.atomic():
        db.lock_schema()
        db.execute(
            db.ddl(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(name {text} PRIMARY KEY, position {int}, applied_at {text})"
            )
        )
        if "_sqlite_migrations" in db.table_names():  # a file made while sqlite-utils ran these
            for row in db.query(
                "SELECT name, applied_at FROM _sqlite_migrations WHERE migration_set = 'dailies'"
            ):
                record = {
                    "name": row["name"],
                    "position": positions.get(row["name"]),
                    "applied_at": row["applied_at"],
                }
                db.upsert("schema_migrations", record, pk="name")
        done = set(applied(db))
        new = []
        for name, steps in MIGRATIONS:
            if name in done:
                continue
            for step in steps:
                step(db) if callable(step) else db.execute(db.ddl(step))
            db.execute(
                "INSERT INTO schema_migrations (name, position, applied_at) VALUES (?, ?, ?)",
                [name, positions[name], now_iso()],
            )
            new.append(name)
    return new

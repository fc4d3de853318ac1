"""The schema's migrations: their full order pinned, as `applied()` reports it and as they ran."""

from __future__ import annotations

from storage import migrations

# m003 before m002 is how existing databases were built; a new migration goes at the end
ORDER = [
    "m001_core",
    "m003_subjects",
    "m002_review",
    "m005_subject_image_source",
    "m006_card_nonce",
    "m007_replicas",
    "m008_card_poster",
    "m009_subject_voices",
    "m010_card_editor",
    "m011_workflow_steps",
    "m012_installations",
    "m013_slack_buckets",
    "m014_team_keys",
    "m015_messages_by_team",
    "m016_review_notes",
    "m017_departures",
    "m018_subject_consent",
    "m019_take_interactions",
    "m020_model_sightings",
    "m021_signin_states",
    "m022_campaigns",
    "m024_event_inbox",
    "m025_sheet_claims",
]


def test_the_registered_order_is_pinned():
    assert [name for name, _ in migrations.MIGRATIONS] == ORDER


def test_a_new_database_reports_every_migration_in_the_order_it_ran(fresh_db):
    assert migrations.applied(fresh_db) == ORDER
    assert migrations.migrate(fresh_db) == []
    assert migrations.applied(fresh_db) == ORDER

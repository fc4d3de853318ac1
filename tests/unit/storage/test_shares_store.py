"""A DM draft shared into a channel is stored, in one transaction, as a new shot whose one take waits
to be uploaded (never queued for a render), on SQLite and PostgreSQL; a second share of it is refused."""

from __future__ import annotations

import time

import pytest

from storage import jobs as jobs_db
from storage import leases, shares
from tests.unit.storage.test_storage import new_job


def test_a_shared_clip_waits_to_be_uploaded_and_is_shared_once(fresh_db, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0" * 64)
    new = new_job(channel_id="C0CHANNEL", estimate_usd=0.0, source_key="share:7:C0CHANNEL")
    shot_id, job_id = shares.create_shared(fresh_db, new, str(clip), 64, 2.0)
    (take,) = [t for t in fresh_db["takes"].rows_where("job_id = ?", [job_id])]
    assert (take["state"], take["version"], take["media_path"], take["seconds"]) == (
        "uploading",
        1,
        str(clip),
        2.0,
    )
    assert (take["cost_usd"], jobs_db.get_job(fresh_db, job_id)["state"]) == (0.0, "uploading")
    assert jobs_db.get_shot(fresh_db, shot_id)["channel_id"] == "C0CHANNEL"
    # the runner claims it like any take in flight, and goes straight to the upload
    assert leases.claim_takes(fresh_db, "replica-a", time.time(), 60, 10) == [take["id"]]
    with pytest.raises(jobs_db.DuplicateTrigger):
        shares.create_shared(fresh_db, new, str(clip), 64, 2.0)
    assert fresh_db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 1

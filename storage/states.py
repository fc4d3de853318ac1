"""The states a job and its takes move through: named once, for storage, the runner, the studio and
the cards (members are strings, so rows read from the database compare equal to them)."""

from __future__ import annotations

from enum import StrEnum


class TakeState(StrEnum):
    """One clip's progress, from submission to the thread."""

    HELD = "held"  # its job awaits an approval
    QUEUED = "queued"
    SUBMITTING = "submitting"
    RENDERING = "rendering"
    DOWNLOADING = "downloading"
    UPLOADING = "uploading"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobState(StrEnum):
    """A request's state as its card shows it: the least advanced of its takes leads."""

    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    RENDERING = "rendering"
    UPLOADING = "uploading"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


# in the order a take advances through them
TAKE_ACTIVE = (
    TakeState.QUEUED,
    TakeState.SUBMITTING,
    TakeState.RENDERING,
    TakeState.DOWNLOADING,
    TakeState.UPLOADING,
)
# a job or a take in one of these has ended: it is never picked up or changed again
ENDED = (JobState.DELIVERED, JobState.FAILED, JobState.CANCELLED)
JOB_RUNNING = (JobState.QUEUED, JobState.RENDERING, JobState.UPLOADING)
JOB_UNFINISHED = (JobState.AWAITING_APPROVAL, *JOB_RUNNING)

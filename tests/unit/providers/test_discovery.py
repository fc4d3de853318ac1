"""A model's state on a backend from its list and its answers: the first listed candidate is sent,
an id the list dropped or the backend called gone is skipped, no list means unknown."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.providers.discovery import BackendModels, ModelState, Sighting, State

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
VEO = ("veo-3.1-generate-001", "veo-3.1-generate-preview")


def board(read_at: str | None, *sightings: Sighting) -> BackendModels:
    return BackendModels(read_at, {s.provider_id: s for s in sightings})


def test_the_first_listed_candidate_is_sent():
    models = board(
        "2026-12-06T07:00:00+00:00",
        Sighting("veo-3.1-generate-001", missing_since="2026-12-06T07:00:00+00:00"),
        Sighting("veo-3.1-generate-preview", last_seen="2026-12-06T07:00:00+00:00"),
    )
    assert models.state(VEO, NOW) == ModelState(
        State.AVAILABLE, "veo-3.1-generate-preview", last_seen="2026-12-06T07:00:00+00:00"
    )
    both = board("t", Sighting(VEO[0], last_seen="t"), Sighting(VEO[1], last_seen="t"))
    assert both.state(VEO, NOW).provider_id == VEO[0]


def test_a_model_none_of_whose_ids_is_listed_is_unavailable_since_it_left():
    models = board(
        "2026-12-06T07:00:00+00:00",
        Sighting(VEO[0], last_seen="2026-11-01T00:00:00+00:00", missing_since="2026-12-06T06:00:00+00:00"),
        Sighting(VEO[1], last_seen="2026-10-21T00:00:00+00:00", missing_since="2026-10-22T00:00:00+00:00"),
    )
    state = models.state(VEO, NOW)
    assert state.state is State.UNAVAILABLE and state.provider_id is None
    assert state.since == "2026-12-06T06:00:00+00:00" and state.last_seen == "2026-11-01T00:00:00+00:00"
    assert state.describe() == "unavailable since 2026-12-06 06:00 UTC, last seen 2026-11-01 00:00 UTC"
    never = board("2026-12-06T07:00:00+00:00").state(VEO, NOW)
    assert never.state is State.UNAVAILABLE and never.describe().endswith("never listed")


def test_a_gone_answer_overrides_the_list_while_it_holds():
    listed = "2026-12-06T07:00:00+00:00"
    gone = Sighting(VEO[0], last_seen=listed, gone_at="2026-12-06T07:30:00+00:00")
    assert board(listed, gone, Sighting(VEO[1], last_seen=listed)).state(VEO, NOW).provider_id == VEO[1]
    alone = board(listed, gone).state(VEO, NOW)
    assert alone.state is State.UNAVAILABLE and alone.since == "2026-12-06T07:30:00+00:00"
    old = Sighting(VEO[0], last_seen=listed, gone_at="2026-12-04T07:30:00+00:00")  # past the hold
    assert board(listed, old).state(VEO, NOW).state is State.AVAILABLE


def test_without_a_list_a_model_is_unknown_until_the_backend_says_it_is_gone():
    assert board(None).state(("kling-v3",), NOW) == ModelState(State.UNKNOWN, "kling-v3")
    gone = board(None, Sighting("kling-v3", gone_at="2026-12-06T07:00:00+00:00")).state(("kling-v3",), NOW)
    assert gone.state is State.UNAVAILABLE and not gone.usable
    assert board(None).state((), NOW).describe() == "unknown (no model list)"

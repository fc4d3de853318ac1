"""The model catalogue: sane data, prices from the provider reference, and check_request."""

import pytest

from bot.outcomes import Refusal
from bot.request import VideoRequest
from bot.request.catalogue import shipped_catalogue, size_for
from bot.request.checks import check_request, describe_choices
from bot.request.pricing import estimate_cost, price_per_second

CATALOGUE = shipped_catalogue()
get_model = CATALOGUE.get
ALIASES = CATALOGUE.aliases
DEFAULT_DRAFT_MODEL = CATALOGUE.default_draft
FINAL_MODEL_PREFERENCE = CATALOGUE.final_preference
PRICES = {(m.id, res, variant): price for m in CATALOGUE.values() for res, variant, price in m.prices}

CONTRACT_IDS = [
    "kling-2.6-pro",
    "kling-v3",
    "kling-v3-pro",
    "kling-v3-omni",
    "kling-o1",
    "kling-avatar-pro",
    "sora-2",
    "sora-2-pro",
    "veo-3.1",
    "veo-3.1-fast",
    "gemini-omni",
    "preview",
]


def test_catalogue_has_exactly_the_contract_ids():
    assert list(CATALOGUE) == CONTRACT_IDS


@pytest.mark.parametrize("model_id", CONTRACT_IDS)
def test_every_model_is_internally_consistent(model_id):
    m = CATALOGUE[model_id]
    assert m.id == model_id and m.title
    assert m.family in ("kling", "sora", "veo", "gemini", "preview")
    assert m.audio in ("native", "always", "none", "keep")
    assert m.inputs <= {"text", "image", "end_image", "video", "subjects", "script", "speech", "voice"}
    assert set(m.aspects) <= {"16:9", "9:16", "1:1"}
    assert set(m.resolutions) <= {"720p", "1080p", "4k"} and m.default_resolution in m.resolutions
    for resolution, seconds in m.res_seconds:
        assert resolution in m.resolutions and set(seconds) <= set(m.seconds)
    assert list(m.seconds) == sorted(set(m.seconds)) and all(s > 0 for s in m.seconds)
    if m.seconds:
        assert m.default_seconds in m.seconds
        assert m.aspects, "a model with chosen durations also has chosen aspect ratios"
    else:
        assert m.default_seconds is None
    if m.seconds_text_only is not None:
        assert set(m.seconds_text_only) <= set(m.seconds)
        assert m.default_seconds in m.seconds_text_only
    if m.audio == "always":
        assert m.default_audio
    if m.audio == "none":
        assert not m.default_audio
    assert m.typical_seconds > 0
    assert m.max_subjects >= 0
    for resolution in m.resolutions:
        for audio in (False, True):
            assert price_per_second(m, resolution=resolution, audio=audio) >= 0
        for aspect in m.aspects:
            width, height = size_for(aspect, resolution)
            assert min(width, height) == (2160 if resolution == "4k" else int(resolution[:-1]))


def test_contract_durations_and_shapes():
    assert CATALOGUE["kling-2.6-pro"].seconds == (5, 10)
    assert CATALOGUE["kling-v3"].seconds == tuple(range(3, 16))
    assert CATALOGUE["kling-v3-pro"].resolutions == ("1080p",)
    assert CATALOGUE["kling-o1"].seconds == tuple(range(3, 11))
    assert CATALOGUE["kling-o1"].seconds_text_only == (5, 10)
    assert CATALOGUE["kling-avatar-pro"].seconds == ()
    assert CATALOGUE["sora-2"].seconds == (4, 8, 12)
    assert CATALOGUE["sora-2"].aspects == ("16:9", "9:16")
    assert CATALOGUE["sora-2-pro"].resolutions == ("720p", "1080p")
    assert CATALOGUE["preview"].seconds == tuple(range(1, 21))
    assert {m.id for m in CATALOGUE.values() if m.edits} >= {"kling-o1", "sora-2", "sora-2-pro"}


def test_defaults_point_at_real_models():
    assert DEFAULT_DRAFT_MODEL == "kling-v3"
    assert FINAL_MODEL_PREFERENCE == ("sora-2-pro", "veo-3.1", "gemini-omni", "kling-v3-pro")
    for model_id in (DEFAULT_DRAFT_MODEL, *FINAL_MODEL_PREFERENCE, *ALIASES.values()):
        assert model_id in CATALOGUE
    assert {key[0] for key in PRICES} == set(CATALOGUE)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("kling-v3", "kling-v3"),
        ("  KLING-V3-PRO ", "kling-v3-pro"),
        ("Sora-2", "sora-2"),
        ("sora2", "sora-2"),
        ("kling-2.6", "kling-2.6-pro"),
        ("kling-3.0", "kling-v3"),
        ("kling-video-o1", "kling-o1"),
    ],
)
def test_get_model_ignores_case_and_knows_aliases(typed, expected):
    assert get_model(typed).id == expected


@pytest.mark.parametrize("typed", ["", "kling", "sora", "gpt-4", "kling-v4", "kling-v3-pro-max"])
def test_get_model_unknown(typed):
    assert get_model(typed) is None


@pytest.mark.parametrize(
    ("model_id", "seconds", "resolution", "audio", "with_video", "expected"),
    [
        ("kling-2.6-pro", 10, "1080p", True, False, 1.40),
        ("kling-2.6-pro", 10, "1080p", False, False, 0.70),
        ("kling-v3-pro", 10, "1080p", True, False, 1.68),
        ("kling-v3", 5, "720p", False, False, 0.42),
        ("kling-o1", 5, "1080p", False, True, 0.84),
        ("kling-o1", 5, "1080p", True, False, 0.56),
        ("sora-2", 8, "720p", True, False, 0.80),
        ("sora-2-pro", 12, "1080p", True, False, 8.40),
        ("sora-2-pro", 4, "720p", True, False, 1.20),
        ("kling-avatar-pro", 30, "1080p", True, False, 3.36),
        ("preview", 20, "1080p", False, False, 0.0),
    ],
)
def test_estimate_cost_matches_the_reference(model_id, seconds, resolution, audio, with_video, expected):
    model = CATALOGUE[model_id]
    cost = estimate_cost(model, seconds=seconds, resolution=resolution, audio=audio, with_video=with_video)
    assert cost == expected


def test_estimate_cost_multiplies_takes_and_rounds_to_cents():
    v3 = CATALOGUE["kling-v3"]
    assert estimate_cost(v3, seconds=5, resolution="720p", audio=False, takes=4) == 1.68
    # 0.126 * 3 = 0.378 -> 0.38 (half-up on cents)
    assert estimate_cost(v3, seconds=3, resolution="720p", audio=True) == 0.38
    assert estimate_cost(v3, seconds=7.5, resolution="720p", audio=False) == 0.63


def test_price_for_a_resolution_the_model_lacks_is_a_bug():
    with pytest.raises(ValueError, match="kling-v3"):
        price_per_second(CATALOGUE["kling-v3"], resolution="1080p", audio=False)
    with pytest.raises(ValueError):
        size_for("4:3", "720p")


def test_sizes():
    assert size_for("16:9", "720p") == (1280, 720)
    assert size_for("9:16", "720p") == (720, 1280)
    assert size_for("1:1", "1080p") == (1080, 1080)
    assert size_for("16:9", "1080p") == (1920, 1080)


def test_describe_choices():
    assert describe_choices((3, 4, 5, 6), "seconds") == "3 to 6 seconds"
    assert describe_choices((5, 10), "seconds") == "5 or 10 seconds"
    assert describe_choices((4, 8, 12)) == "4, 8 or 12"
    assert describe_choices(("720p",)) == "720p"


def _check(model_id, **fields):
    has_reference = fields.pop("has_reference", False)
    editing = fields.pop("editing", False)
    req = VideoRequest(prompt="a fox", **fields)
    return check_request(req, CATALOGUE[model_id], has_reference=has_reference, editing=editing)


@pytest.mark.parametrize(
    ("model_id", "fields", "expected"),
    [
        (
            "kling-2.6-pro",
            {"seconds": 7},
            "kling-2.6-pro renders 5 or 10 seconds; you asked for 7. Try --seconds 5.",
        ),
        ("kling-2.6-pro", {"seconds": 8}, "Try --seconds 10."),
        (
            "kling-v3",
            {"seconds": 20},
            "kling-v3 renders 3 to 15 seconds; you asked for 20. Try --seconds 15.",
        ),
        ("sora-2", {"seconds": 5}, "sora-2 renders 4, 8 or 12 seconds; you asked for 5. Try --seconds 4."),
        (
            "kling-o1",
            {"seconds": 7},
            "5 or 10 seconds from text or a first frame alone (3 to 10 with a subject or a video)",
        ),
        ("sora-2", {"aspect": "1:1"}, "sora-2 renders 16:9 or 9:16; you asked for 1:1."),
        (
            "kling-v3",
            {"resolution": "1080p"},
            "kling-v3 renders 720p or 4k; you asked for 1080p. Try --model kling-v3-pro.",
        ),
        ("sora-2", {"resolution": "1080p"}, "Try --model sora-2-pro."),
        ("preview", {"audio": True}, "preview renders silent clips; drop --audio."),
        ("sora-2-pro", {"audio": False}, "sora-2-pro always renders sound; drop --no-audio."),
        ("kling-o1", {"audio": False}, "only keep or drop a source clip's sound"),
        ("kling-v3", {"seed": 1}, "kling-v3 doesn't take a seed; drop --seed. Models that do: preview."),
        ("sora-2", {"negative": "blur"}, "sora-2 doesn't take a negative prompt"),
        ("kling-v3", {"subjects": ("a", "b", "c", "d")}, "up to 3 subjects in one video; you named 4"),
        ("kling-avatar-pro", {}, "/video avatar {subject}"),
        ("kling-v3", {"takes": 5}, "--n takes 1 to 4"),
    ],
)
def test_check_request_refusals_name_the_allowed_values(model_id, fields, expected):
    refusal = _check(model_id, **fields)
    assert isinstance(refusal, Refusal)
    assert expected in refusal.message


@pytest.mark.parametrize(
    ("model_id", "fields"),
    [
        ("kling-2.6-pro", {"seconds": 10, "audio": True, "aspect": "9:16"}),
        ("kling-v3", {"seconds": 3, "subjects": ("a", "b", "c"), "negative": "blur"}),
        ("kling-o1", {"seconds": 7, "has_reference": True}),
        ("kling-o1", {"audio": False, "editing": True}),
        ("sora-2", {"seconds": 12, "aspect": "9:16", "audio": True, "image_url": "https://x.test/a.png"}),
        ("sora-2-pro", {"resolution": "1080p", "subjects": ("a", "b", "c", "d", "e")}),
        ("preview", {"seconds": 20, "seed": 7, "aspect": "1:1", "resolution": "1080p", "takes": 4}),
    ],
)
def test_check_request_accepts_what_the_model_can_do(model_id, fields):
    assert _check(model_id, **fields) is None

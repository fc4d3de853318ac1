"""Property tests: the grammar never raises, and every outcome is a well-formed value."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.outcomes import Refusal
from bot.request import (
    MAX_PROMPT,
    Command,
    ThreadInstruction,
    VideoRequest,
    parse_command,
    parse_reply,
    tokenize,
)
from bot.request.catalogue import shipped_catalogue
from bot.request.checks import check_request

CATALOGUE = shipped_catalogue()


FLAG_WORDS = [
    "--model", "-m", "--seconds", "--aspect", "--res", "--n", "--audio", "--no-audio", "--image",
    "--seed", "--negative", "--subject", "--audio-url", "--", "—model", "--fps", "--seconds=8",
    "--n=", "-x", "-",
]  # fmt: skip
VALUE_WORDS = [
    "8", "8s", "0", "-1", "5", "10", "12", str(10**30), "2147483648", "7.5", "nan", "16:9", "9:16",
    "1:1", "4:3", "720p", "1080p", "4k", "kling-v3", "sora-2", "preview", "kling-o1", "kling-2.6-pro",
    "kling-avatar-pro", "nope", "https://x.test/a.png", "<https://x.test/a.png|a>", "<@U123>",
    "<#C1|general>", "<!here>", "{maya}", "{bad name}", "{}", '"a b"', "“a b”", "'a b'", '"', "’", "&lt;",
    "\u200b", "\u202e", "🐱", "\x00", "\n", "none", "all", "any",
]  # fmt: skip
COMMAND_WORDS = ["help", "models", "jobs", "cancel", "subject", "settings", "avatar", "spend", "audit",
                 "add", "list", "show", "remove", "rename", "budget", "approvers", "model", "a", "cat"]  # fmt: skip
REPLY_WORDS = ["again", "another", "take", "final", "render", "extend", "next", "shot", "save", "as",
               "subject", "v2:", "V3,", "warmer", "light"]  # fmt: skip

token_soup = st.lists(st.sampled_from(FLAG_WORDS + VALUE_WORDS + COMMAND_WORDS + REPLY_WORDS), max_size=14)
FAST = settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)


def _assert_well_formed(result, allowed) -> None:
    assert isinstance(result, allowed), result
    if isinstance(result, Refusal):
        assert isinstance(result.message, str) and result.message.strip()
        assert len(result.message) < 1000


def _assert_request_is_valid(result) -> None:
    """A VideoRequest that came out of the grammar is within the limits it promises."""
    if not isinstance(result, VideoRequest):
        return
    assert result.prompt.strip() and len(result.prompt) <= MAX_PROMPT
    assert result.takes in range(1, 5)
    assert result.model is None or result.model in CATALOGUE
    if result.model is not None:
        assert check_request(result, CATALOGUE[result.model], has_reference=True) is None
    assert all(s == s.lower() for s in result.subjects)
    assert len(set(result.subjects)) == len(result.subjects)


@FAST
@given(st.text(max_size=300))
def test_parse_command_never_raises_on_arbitrary_text(text):
    result = parse_command(text)
    _assert_well_formed(result, (Refusal, *Command.__args__))
    _assert_request_is_valid(result)


@FAST
@given(token_soup)
def test_parse_command_never_raises_on_flag_soup(words):
    result = parse_command(" ".join(words))
    _assert_well_formed(result, (Refusal, *Command.__args__))
    _assert_request_is_valid(result)


@FAST
@given(st.text(max_size=300))
def test_parse_reply_never_raises_on_arbitrary_text(text):
    _assert_well_formed(parse_reply(text), (Refusal, ThreadInstruction))


@FAST
@given(token_soup)
def test_parse_reply_never_raises_on_flag_soup(words):
    result = parse_reply(" ".join(words))
    _assert_well_formed(result, (Refusal, ThreadInstruction))
    if isinstance(result, ThreadInstruction):
        assert result.kind in ("edit", "again", "extend", "final", "save_subject")
        assert result.kind != "edit" or result.text


@FAST
@given(st.text(max_size=300))
def test_tokenize_never_raises(text):
    result = tokenize(text)
    assert isinstance(result, Refusal) or all(isinstance(word, str) for word in result)


@FAST
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(["", " --n 2", " -m preview"]),
)
def test_a_quoted_prompt_is_always_a_video_request_or_a_reasoned_refusal(body, tail):
    result = parse_command(f'"{body}"{tail}')
    _assert_well_formed(result, (Refusal, VideoRequest))

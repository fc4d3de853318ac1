"""The /video grammar on ordinary input: requests, flags, subcommands, thread replies, help."""

import pytest

from bot.outcomes import Refusal
from bot.request import (
    SUBCOMMANDS,
    Audit,
    Avatar,
    Cancel,
    Help,
    Jobs,
    Models,
    SettingsSet,
    SettingsShow,
    Spend,
    SubjectAdd,
    SubjectList,
    SubjectRemove,
    SubjectRename,
    SubjectShow,
    ThreadInstruction,
    VideoRequest,
    parse_command,
    parse_reply,
    tokenize,
)
from bot.request import help as help_module


def test_plain_prompt_uses_channel_defaults():
    assert parse_command("a red fox trotting through snow") == VideoRequest(
        prompt="a red fox trotting through snow"
    )


def test_every_flag_in_one_request():
    req = parse_command(
        "a fox --model kling-v3 --seconds 8 --aspect 9:16 --res 720p --n 2 --audio "
        '--image https://x.test/fox.png --negative "blurry, text" --subject Maya in snow'
    )
    assert req == VideoRequest(
        prompt="a fox in snow",
        model="kling-v3",
        seconds=8,
        aspect="9:16",
        resolution="720p",
        takes=2,
        audio=True,
        image_url="https://x.test/fox.png",
        negative="blurry, text",
        subjects=("maya",),
    )


def test_seed_on_a_model_that_takes_one():
    assert parse_command("dots --seed 2147483647 -m preview").seed == 2**31 - 1
    assert parse_command("dots --seed 0 -m preview").seed == 0


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("a cat --seconds 8s", "seconds", 8),
        ("a cat --seconds=12", "seconds", 12),
        ("a cat --duration 6sec", "seconds", 6),
        ("a cat -m SORA-2", "model", "sora-2"),
        ("a cat --model=kling-2.6", "model", "kling-2.6-pro"),
        ("a cat --aspect portrait", "aspect", "9:16"),
        ("a cat --aspect=1:1", "aspect", "1:1"),
        ("a cat --res 1080", "resolution", "1080p"),
        ("a cat --resolution 720P", "resolution", "720p"),
        ("a cat --takes 3", "takes", 3),
        ("a cat --no-audio", "audio", False),
        ("a cat —model kling-v3", "model", "kling-v3"),  # macOS turns -- into an em dash
        ("a cat –seconds 5", "seconds", 5),
        ('a cat --negative="no people"', "negative", "no people"),
        ("a cat --negative “no people”", "negative", "no people"),
        ("a cat --image <https://x.test/a.png>", "image_url", "https://x.test/a.png"),
        (
            "a cat --image <https://x.test/a.png?x=1&amp;y=2|a.png>",
            "image_url",
            "https://x.test/a.png?x=1&y=2",
        ),
    ],
)
def test_flag_spellings(text, field, value):
    req = parse_command(text)
    assert isinstance(req, VideoRequest), req
    assert getattr(req, field) == value
    assert req.prompt == "a cat"


def test_flags_may_come_first_or_between_words():
    assert parse_command("--seconds 5 a cat --n 2 on a mat").prompt == "a cat on a mat"


def test_subjects_from_flags_then_prompt_lowercased_once_each():
    req = parse_command("{Maya} hugs {rex} and {maya} again --subject Bob --subject rex")
    assert req.subjects == ("bob", "rex", "maya")
    assert req.prompt == "{Maya} hugs {rex} and {maya} again"


def test_quotes_group_and_a_quoted_prompt_loses_its_outer_quotes():
    assert parse_command('"help wanted sign on a diner door"').prompt == "help wanted sign on a diner door"
    assert parse_command("“help wanted” sign").prompt == "“help wanted” sign"
    assert parse_command('a sign reading "OPEN" at night').prompt == 'a sign reading "OPEN" at night'


def test_apostrophes_are_not_quotes():
    assert parse_command("a dog's birthday, it’s raining").prompt == "a dog's birthday, it’s raining"
    assert parse_command("'tis the season").prompt == "'tis the season"


def test_quoted_flag_is_prompt_text():
    assert parse_command('a poster that says "--model"').prompt == 'a poster that says "--model"'


def test_slack_escapes_become_readable_text():
    req = parse_command(
        "a neon &lt;3 sign &amp; a logo for <https://acme.test|acme.test> and <https://b.test>"
    )
    assert req.prompt == "a neon <3 sign & a logo for acme.test and https://b.test"


def test_newlines_and_tabs_are_spaces_emoji_kept():
    req = parse_command("a cat\non a\tskateboard 🛹 👨‍👩‍👧")
    assert req.prompt == "a cat on a skateboard 🛹 👨‍👩‍👧"


def test_tokenize():
    assert tokenize('a \'b c\' "d e" “f g” ‘h i’ x="y z"') == ["a", "b c", "d e", "f g", "h i", "x=y z"]
    assert tokenize("see <https://x.test|a label> now") == ["see", "<https://x.test|a label>", "now"]
    assert tokenize("   ") == []
    assert isinstance(tokenize('an "open quote'), Refusal)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", Help()),
        ("HELP", Help()),
        ("help settings", Help("settings")),
        ("help --seconds", Help("seconds")),
        ("help {subject}", Help("subject")),
        ("models", Models()),
        ("jobs", Jobs()),
        ("spend", Spend()),
        ("audit", Audit()),
        ("cancel 42", Cancel("42")),
        ("cancel #job_7a", Cancel("job_7a")),
        ("subject", SubjectList()),
        ("subject list", SubjectList()),
        ("subject show {Maya}", SubjectShow("maya")),
        ("subject remove maya", SubjectRemove("maya")),
        ("subject rm maya", SubjectRemove("maya")),
        ("subject rename maya Maya-2", SubjectRename("maya", "maya-2")),
        (
            "subject add Maya <https://x.test/front.png> https://x.test/side.png -- red coat, short hair",
            SubjectAdd(
                "maya", ("https://x.test/front.png", "https://x.test/side.png"), "red coat, short hair"
            ),
        ),
        ("subject add rex https://x.test/rex.png", SubjectAdd("rex", ("https://x.test/rex.png",), "")),
        ("settings", SettingsShow()),
        ("settings model sora-2", SettingsSet("model", "sora-2")),
        ("settings final-model KLING-V3-PRO", SettingsSet("final-model", "kling-v3-pro")),
        ("settings budget 50", SettingsSet("budget", 50.0)),
        ("settings budget $12.50", SettingsSet("budget", 12.5)),
        ("settings budget 0", SettingsSet("budget", 0.0)),
        ("settings job-limit none", SettingsSet("job-limit", None)),
        ("settings job-limit off", SettingsSet("job-limit", None)),
        ("settings approvers <@U123> <@W456|ann> <@U123>", SettingsSet("approvers", ("U123", "W456"))),
        ("settings approvers none", SettingsSet("approvers", ())),
        ("settings approval all", SettingsSet("approval", "all")),
        ("settings approval any", SettingsSet("approval", "any")),
        ('avatar {maya} "Hello team, standup in five"', Avatar("maya", "Hello team, standup in five")),
        ("avatar maya Hello team", Avatar("maya", "Hello team")),
        (
            "avatar maya --audio-url <https://x.test/line.mp3>",
            Avatar("maya", None, "https://x.test/line.mp3"),
        ),
        ('avatar maya "Hi" -m kling-avatar', Avatar("maya", "Hi", None, "kling-avatar-pro")),
    ],
)
def test_subcommands(text, expected):
    assert parse_command(text) == expected


def test_first_word_command_rule_is_predictable():
    refusal = parse_command("help me make a cat video")
    assert isinstance(refusal, Refusal)
    assert '`/video "help …"`' in refusal.message
    assert parse_command('"help" me make a cat video').prompt == '"help" me make a cat video'
    # a command word later in the sentence is just a word
    assert parse_command("a robot asking for help").prompt == "a robot asking for help"


def test_explicit_model_is_checked_at_parse_time():
    assert isinstance(parse_command("a cat -m kling-2.6-pro --seconds 7"), Refusal)
    # kling-o1 takes 3..10 s with a subject; from text or a first frame alone (an image flag or an
    # attached image) only 5 or 10 (issue 17, 4)
    assert parse_command("{maya} waves -m kling-o1 --seconds 7").seconds == 7
    assert isinstance(parse_command("a cat -m kling-o1 --seconds 7 --image https://x.test/a.png"), Refusal)
    assert isinstance(parse_command("a cat -m kling-o1 --seconds 7"), Refusal)
    assert isinstance(parse_command("a cat -m kling-o1 --seconds 7", has_attachment=True), Refusal)
    assert parse_command("a cat -m kling-o1 --seconds 10 --image https://x.test/a.png").seconds == 10


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("again", ThreadInstruction("again")),
        ("Another take!", ThreadInstruction("again")),
        ("again --seconds 10", ThreadInstruction("again", seconds=10)),
        ("--model kling-v3-pro", ThreadInstruction("again", model="kling-v3-pro")),
        ("final", ThreadInstruction("final")),
        ("Final render.", ThreadInstruction("final")),
        ("extend the fox jumps over a log", ThreadInstruction("extend", "the fox jumps over a log")),
        ("extend", ThreadInstruction("extend")),
        ("next shot: close-up on the fox", ThreadInstruction("extend", "close-up on the fox")),
        ("save as subject Foxy", ThreadInstruction("save_subject", "foxy")),
        ("save subject {foxy}", ThreadInstruction("save_subject", "foxy")),
        ("warmer light, slower camera", ThreadInstruction("edit", "warmer light, slower camera")),
        ("v2: warmer light", ThreadInstruction("edit", "warmer light", version=2)),
        ("V3, again", ThreadInstruction("again", version=3)),
        ("make it night --no-audio", ThreadInstruction("edit", "make it night", audio=False)),
        (
            "swap the hat --image <https://x.test/hat.png> -m kling-o1",
            ThreadInstruction("edit", "swap the hat", model="kling-o1", image_url="https://x.test/hat.png"),
        ),
    ],
)
def test_thread_replies(text, expected):
    assert parse_reply(text) == expected


def test_reply_takes_flag_belongs_to_the_grammar():
    assert parse_reply("again --n 3") == ThreadInstruction("again", takes=3)
    assert parse_reply("warmer light --n 2") == ThreadInstruction("edit", "warmer light", takes=2)
    assert parse_reply("--n 2") == ThreadInstruction("again", takes=2)
    assert parse_reply("v2: slower camera") == ThreadInstruction("edit", "slower camera", version=2)
    assert parse_reply("again --n 7").message == parse_command("a fox --n 7").message
    assert "1 to 4" in parse_reply("again --n 7").message
    assert "twice" in parse_reply("again --n 2 --n 3").message
    assert "Did you mean `--n`" in parse_reply("warmer light -n 2").message


def test_reply_refusals():
    assert "--aspect" in parse_reply("make it wide --aspect 16:9").message
    assert "save as subject" in parse_reply("   ").message
    assert "save as subject" in parse_reply('" "').message
    assert "isn't a valid subject name" in parse_reply("save as subject two words").message


def test_help_documents_every_subcommand_and_flag():
    text = help_module.HELP_TEXT
    for word in SUBCOMMANDS:
        assert f"/video {word}" in text
    for flag in ("--model", "-m", "--seconds", "--aspect", "--res", "--n", "--audio", "--no-audio"):
        assert f"`{flag}" in text
    for flag in ("--image", "--seed", "--negative", "--subject", "--audio-url"):
        assert flag in text
    for key in ("model", "final-model", "budget", "job-limit", "approvers", "approval"):
        assert f"/video settings {key}" in text
    assert all(len(section) < 3000 for section in help_module.SECTIONS.values())


def test_help_topics_and_usage_hint():
    assert help_module.help_for("seconds") == help_module.SECTIONS["video"]
    assert help_module.help_for("cancel") == help_module.SECTIONS["jobs"]
    whole = help_module.help_for(None)  # as much as one message holds, then where the rest is
    assert whole.startswith(help_module.SECTIONS["video"]) and len(whole) <= help_module.TEXT_LIMIT
    assert whole == help_module.HELP_TEXT or whole.rsplit("\n", 1)[-1].startswith("More: `/video help ")
    assert "/video help" in help_module.usage_hint()
    assert parse_command("").message == help_module.usage_hint()

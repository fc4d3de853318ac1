"""Hostile and malformed /video commands: each one has one exact, explained outcome."""

import pytest

from bot.outcomes import Refusal
from bot.request import Help, SubjectAdd, VideoRequest, parse_command

LONG = "a fox " * 1700  # 10,200 characters
JUST_OVER = "x" * 2501

# (name, text, expected type, the key part of the message, or for a VideoRequest the expected prompt)
CASES = [
    ("empty", "", Refusal, "Tell me what to film"),
    ("whitespace", " \t\n  ", Refusal, "Tell me what to film"),
    ("only zero-width", "\u200b\u200c\u2060\ufeff", Refusal, "Tell me what to film"),
    ("only flags", "--seconds 5 --n 2", Refusal, "Add a prompt"),
    ("quoted blank prompt", '" " --n 2', Refusal, "Add a prompt"),  # found by hypothesis
    ("empty quotes", '""', Refusal, "Add a prompt"),
    ("only a subject flag", "--subject maya", Refusal, "Add a prompt"),
    ("unknown flag", "a cat --fps 60", Refusal, "I don't know the flag `--fps`"),
    ("unknown flag near a known one", "a cat --secs 5", Refusal, "Did you mean `--seconds`?"),
    ("unknown short flag", "a cat -x", Refusal, "I don't know the flag `-x`"),
    ("flag missing its value", "a cat --seconds", Refusal, "--seconds needs a value, e.g. --seconds 8"),
    ("flag value is another flag", "a cat --model --n 2", Refusal, "--model needs a value"),
    ("non-numeric seconds", "a cat --seconds ten", Refusal, "--seconds takes a whole number from 1 to 20"),
    ("fractional seconds", "a cat --seconds 7.5", Refusal, "you gave `7.5`"),
    ("negative seconds", "a cat --seconds -5", Refusal, "from 1 to 20; you gave `-5`"),
    ("huge seconds", f"a cat --seconds {10**30}", Refusal, "--seconds takes a whole number from 1 to 20"),
    ("5000-digit seed", "a cat --seed " + "9" * 5000, Refusal, "--seed takes a whole number from 0 to 2147483647"),
    ("negative seed", "a cat --seed -1", Refusal, "--seed takes a whole number from 0 to 2147483647"),
    ("seed too big", "a cat --seed 2147483648", Refusal, "from 0 to 2147483647"),
    ("zero takes", "a cat --n 0", Refusal, "--n takes a whole number from 1 to 4; you gave `0`"),
    ("five takes", "a cat --n 5", Refusal, "--n takes a whole number from 1 to 4; you gave `5`"),
    ("takes as a word", "a cat --n many", Refusal, "--n takes a whole number from 1 to 4"),
    ("seconds 7 on kling-2.6-pro", "a cat -m kling-2.6-pro --seconds 7", Refusal, "renders 5 or 10 seconds"),
    ("seconds 20 on sora-2", "a cat -m sora-2 --seconds 20", Refusal, "sora-2 renders 4, 8 or 12 seconds"),
    ("aspect 4:3", "a cat --aspect 4:3", Refusal, "--aspect takes 16:9, 9:16 or 1:1"),
    ("square on sora", "a cat --aspect 1:1 -m sora-2", Refusal, "sora-2 renders 16:9 or 9:16"),
    ("res 8k", "a cat --res 8k", Refusal, "--res takes 720p, 1080p or 4k; you gave `8k`"),
    ("1080p on kling-v3", "a cat --res 1080p -m kling-v3", Refusal, "Try --model kling-v3-pro"),
    ("audio and no-audio", "a cat --audio --no-audio", Refusal, "Choose one of --audio or --no-audio"),
    ("audio with a value", "a cat --audio=yes", Refusal, "--audio doesn't take a value"),
    ("seed on kling", "a cat --seed 4 -m kling-v3", Refusal, "kling-v3 doesn't take a seed"),
    ("negative on sora", 'a cat --negative "dogs" -m sora-2', Refusal, "doesn't take a negative prompt"),
    ("empty negative", 'a cat --negative ""', Refusal, "--negative needs 1 to 2,500 characters"),
    ("duplicated seconds", "a cat --seconds 5 --seconds 10", Refusal, "--seconds is given twice"),
    ("duplicated model via alias", "a cat -m kling-v3 --model sora-2", Refusal, "--model is given twice"),
    ("duplicated audio", "a cat --audio --audio", Refusal, "--audio is given twice"),
    ("unknown model", "a cat --model gpt-video", Refusal, "I don't know the model `gpt-video`"),
    ("close model", "a cat --model kling-v3-por", Refusal, "Did you mean `kling-v3-pro`?"),
    ("avatar model for a prompt", "a cat -m kling-avatar-pro", Refusal, "/video avatar {subject}"),
    ("image not a url", "a cat --image cat.png", Refusal, "--image needs a web address starting with https://"),
    ("image javascript url", "a cat --image javascript:alert(1)", Refusal, "--image needs a web address"),
    ("image file url", "a cat --image <file:///etc/passwd>", Refusal, "--image needs a web address"),
    ("10 KB prompt", LONG, Refusal, "at most 2,500 characters"),
    ("prompt one over the limit", JUST_OVER, Refusal, "The prompt is 2,501 characters"),
    ("unbalanced straight quote", 'a cat --negative "dogs', Refusal, "quote mark without its closing partner"),
    ("unbalanced curly quote", "a “cat on a mat", Refusal, "quote mark without its closing partner"),
    ("user mention", "<@U123ABC> dancing in the rain", Refusal, "can't contain @mentions"),
    ("user mention with name", "a portrait of <@U123ABC|ann>", Refusal, "can't contain @mentions"),
    ("channel mention", "the team from <#C024BE7LR|general>", Refusal, "#channels"),
    ("@here", "<!here> look at this cat", Refusal, "@here"),
    ("mention in negative", "a cat --negative <@U1AB>", Refusal, "can't contain @mentions"),
    ("subject name with space", "a {bad name!} walks", Refusal, "`{bad name!}` isn't a valid subject name"),
    ("empty subject braces", "a {} walks", Refusal, "`{}` isn't a valid subject name"),
    ("subject name too long", "a {" + "a" * 33 + "} walks", Refusal, "1 to 32 letters, digits, - or _"),
    ("bad --subject", "a cat --subject ../etc", Refusal, "`{../etc}` isn't a valid subject name"),
    ("too many subjects", " ".join(f"{{s{i}}}" for i in range(9)), Refusal, "at most 8 subjects"),
    ("command word then prose", "jobs for the summer, a montage", Refusal, "put the prompt in quotes"),
    ("cancel without id", "cancel", Refusal, "`/video cancel` is written `/video cancel JOB"),
    ("cancel odd id", "cancel ../../x", Refusal, "`/video cancel` is written"),
    ("help unknown topic", "help fps", Refusal, "There's no help topic `fps`"),
    ("subject add no image", "subject add maya", Refusal, "/video subject add NAME IMAGE_URL"),
    ("subject add description without --", "subject add maya https://x.test/m.png tall", Refusal, "after `--`"),
    ("subject add five images", "subject add m " + " ".join(f"https://x.test/{i}.png" for i in range(5)),
     Refusal, "1 to 4 images"),  # fmt: skip
    ("settings unknown key", "settings colour red", Refusal, "Settings you can change"),
    ("settings budget negative", "settings budget -5", Refusal, "budget takes an amount in US dollars"),
    ("settings budget huge", "settings budget 1e30", Refusal, "budget takes an amount in US dollars"),
    ("settings budget nan", "settings budget nan", Refusal, "budget takes an amount"),
    ("settings approvers plain names", "settings approvers @ann bob", Refusal, "isn't a mention"),
    ("settings approval odd", "settings approval most", Refusal, "approval takes `any`"),
    ("settings avatar model as default", "settings model kling-avatar-pro", Refusal, "only makes avatars"),
    ("avatar without speech", "avatar maya", Refusal, "either a script or an audio file"),
    ("avatar with both", 'avatar maya "hi" --audio-url https://x.test/a.mp3', Refusal, "not both"),
    ("avatar --audio", "avatar maya --audio hi", Refusal, "Did you mean `--audio-url`?"),
    ("avatar script too long", "avatar maya " + "word " * 300, Refusal, "at most 1,000 characters"),
    # accepted, with the hostile part neutralised
    ("zero-width inside words", "a c\u200bat on a m\u200dat", VideoRequest, "a cat on a mat"),
    ("RTL override removed", "a cat \u202eyaw siht\u202c", VideoRequest, "a cat yaw siht"),
    ("Arabic and Hebrew kept", "قطة على سجادة שלום", VideoRequest, "قطة على سجادة שלום"),
    ("control characters", "a\x00 cat\x07\x1b[31m red", VideoRequest, "a cat [31m red"),
    ("emoji kept", "🐱 surfing 🌊 at dawn 🇯🇵", VideoRequest, "🐱 surfing 🌊 at dawn 🇯🇵"),
    ("slack link in prompt", "a poster for <https://acme.test/x|Acme Corp>", VideoRequest, "a poster for Acme Corp"),
    ("html-ish text", "&lt;script&gt;alert(1)&lt;/script&gt; on a sign", VideoRequest,
     "<script>alert(1)</script> on a sign"),  # fmt: skip
    ("literal angle brackets", "a <b> tag", VideoRequest, "a <b> tag"),
    ("curly quoted flag value", "a cat --negative “no dogs, no text”", VideoRequest, "a cat"),
    ("prompt exactly at the limit", "x" * 2500, VideoRequest, "x" * 2500),
    ("dash words are prompt text", "a fox - running -- fast", VideoRequest, "a fox - running -- fast"),
    ("help with flag topic", "help --n", Help, None),
    ("subject add with slack links", "subject add Rex <https://x.test/r.png|r.png> -- a corgi", SubjectAdd, None),
]  # fmt: skip


def test_table_is_big_enough():
    assert len(CASES) >= 40
    assert len({name for name, *_ in CASES}) == len(CASES)


@pytest.mark.parametrize(("name", "text", "kind", "expected"), CASES, ids=[c[0] for c in CASES])
def test_hostile_command(name, text, kind, expected):
    result = parse_command(text)
    assert type(result) is kind, result
    if kind is Refusal:
        assert expected in result.message
        assert len(result.message) < 600, "a refusal never echoes the whole input back"
    elif kind is VideoRequest:
        assert result.prompt == expected

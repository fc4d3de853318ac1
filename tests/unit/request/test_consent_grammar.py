"""`/video subject consent NAME [note]` and `--withdraw`, parsed (pure)."""

import pytest

from bot.outcomes import Refusal
from bot.request import SubjectConsent, parse_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("subject consent hero", SubjectConsent("hero")),
        ("subject consent {Hero}", SubjectConsent("hero")),
        ('subject consent hero "signed release 2026-11"', SubjectConsent("hero", "signed release 2026-11")),
        ("subject consent hero signed release 2026-11", SubjectConsent("hero", "signed release 2026-11")),
        ("subject consent hero “model release, on file”", SubjectConsent("hero", "model release, on file")),
        ("subject consent hero --withdraw", SubjectConsent("hero", withdraw=True)),
        ("subject consent hero —withdraw", SubjectConsent("hero", withdraw=True)),  # Slack's autocorrect
        ('subject consent hero "--withdraw"', SubjectConsent("hero", "--withdraw")),  # quoted: a note
    ],
)
def test_consent_parses(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("subject consent", "subject consent NAME [note]"),
        ("subject consent hero --withdraw now", "Withdrawing takes no note"),
        ("subject consent hero --forever", "knows only `--withdraw`, not `--forever`"),
        ("subject consent hero signed by <@U0BOB>", "plain words"),
        ("subject consent hero " + "x" * 301, "under 300 characters"),
        ("subject consent he/ro", "hero"),
    ],
)
def test_bad_consent_is_refused_with_what_to_write(text, says):
    refused = parse_command(text)
    assert isinstance(refused, Refusal), refused
    assert says in refused.message or "1 to 32" in refused.message


def test_the_subject_usage_names_consent():
    refused = parse_command("subject frobnicate hero")
    assert isinstance(refused, Refusal) and "consent" in refused.message

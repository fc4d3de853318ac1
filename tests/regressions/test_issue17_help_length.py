"""issue 17: `/video help` answered 4,053 characters; Slack cuts a message's text at 4,000."""

from __future__ import annotations

from bot.request.help import HELP_TOPICS, SECTIONS, TEXT_LIMIT, help_for


def test_every_help_answer_fits_in_one_slack_message():
    for topic in [None, *HELP_TOPICS]:
        assert len(help_for(topic)) <= TEXT_LIMIT == 4000, topic


def test_the_overview_points_to_every_section_it_leaves_out():
    overview = help_for(None)
    for name, text in SECTIONS.items():
        assert text in overview or f"`/video help {name}`" in overview

"""Campaign briefs: lines and tables parsed with the brief's choices, every line checked with its
number, and the estimate over every shot × take × aspect."""

from __future__ import annotations

from bot.request.campaign import (
    Brief,
    Campaign,
    LineError,
    check_brief,
    estimate,
    parse_campaign,
    table_lines,
    typed_lines,
)
from bot.request.catalogue import shipped_catalogue

CAT = shipped_catalogue()


def brief(**kw) -> Brief:
    base = {"title": "Spring drop", "model": "kling-v3", "seconds": 5, "aspects": ("16:9",), "takes": 1}
    return Brief(**{**base, **kw})


def test_each_line_is_a_shot_with_the_briefs_choices():
    got = parse_campaign(
        brief(), typed_lines("a red sneaker on wet asphalt\n\nthe sneaker spins --seconds 8"), CAT
    )
    assert isinstance(got, Campaign)
    assert [(s.number, s.line) for s in got.shots] == [(1, 1), (2, 3)]
    first, second = got.shots
    assert (first.request.model, first.request.seconds, first.aspects) == ("kling-v3", 5, ("16:9",))
    assert second.request.seconds == 8
    assert second.request.prompt == "the sneaker spins"


def test_a_lines_own_aspect_and_model_win():
    got = parse_campaign(
        brief(aspects=("16:9", "9:16")),
        typed_lines("a gull --aspect 1:1\na harbour --model sora-2 --seconds 4"),
        CAT,
    )
    assert isinstance(got, Campaign)
    assert got.shots[0].aspects == ("1:1",)
    assert got.shots[1].request.model == "sora-2"
    assert got.renders == 3


def test_every_bad_line_is_reported_with_its_number():
    got = parse_campaign(brief(), typed_lines("fine shot\nbad --seconds 18\nok\n--model nope x"), CAT)
    assert isinstance(got, list)
    assert [e.line for e in got] == [2, 4]
    assert "kling-v3 renders 3 to 15 seconds" in got[0].reason
    assert str(got[0]).startswith("line 2: ")


def test_the_briefs_aspects_are_checked_for_each_line():
    got = parse_campaign(brief(model="sora-2", seconds=4, aspects=("1:1",)), typed_lines("a shot"), CAT)
    assert isinstance(got, list) and "sora-2 renders" in got[0].reason


def test_at_most_fifty_shots():
    got = parse_campaign(brief(), typed_lines("\n".join(f"shot {i}" for i in range(51))), CAT)
    assert got == [LineError(51, "a campaign has at most 50 shots.")]


def test_no_shots_is_an_error():
    assert isinstance(parse_campaign(brief(), typed_lines("\n \n"), CAT), list)


def test_csv_rows_fill_columns_as_flags():
    text = 'prompt,model,seconds,aspect,subject\nsneaker on a --roof,,8,9:16,\n"a gull, flying",sora-2,4,,\n'
    got = parse_campaign(brief(), table_lines(text), CAT)
    assert isinstance(got, Campaign)
    first, second = got.shots
    assert first.request.prompt == "sneaker on a --roof"  # a cell's words are never flags
    assert (first.request.seconds, first.aspects, first.line) == (8, ("9:16",), 2)
    assert (second.request.model, second.request.prompt, second.line) == ("sora-2", "a gull, flying", 3)


def test_tsv_and_bad_rows_by_file_line():
    text = "prompt\tseconds\nok\t5\nbad\t99\n"
    got = parse_campaign(brief(), table_lines(text), CAT)
    assert isinstance(got, list) and [e.line for e in got] == [3]


def test_a_table_without_prompt_column_or_with_unknown_ones():
    assert table_lines("text,model\nx,y\n") == [
        LineError(
            1, "the header needs a `prompt` column (columns: prompt, model, seconds, aspect, image, subject)."
        )
    ]
    assert "unknown column `colour`" in str(table_lines("prompt,colour\nx,y\n")[0])


def test_check_brief():
    assert check_brief(brief(), CAT) == {}
    assert set(check_brief(brief(title=" ", aspects=(), takes=5, model="nope"), CAT)) == {
        "title",
        "aspects",
        "takes",
        "model",
    }


def test_estimate_covers_shots_takes_and_aspects():
    one = parse_campaign(brief(), typed_lines("a"), CAT)
    many = parse_campaign(brief(aspects=("16:9", "9:16"), takes=2), typed_lines("a\nb\nc"), CAT)
    assert isinstance(one, Campaign) and isinstance(many, Campaign)
    assert estimate(one, CAT) > 0
    assert abs(estimate(many, CAT) - 12 * estimate(one, CAT)) < 0.011
    free = parse_campaign(brief(model="preview"), typed_lines("a"), CAT)
    assert isinstance(free, Campaign) and estimate(free, CAT) == 0


def test_a_reply_on_the_board_names_its_shot():
    from bot.outcomes import Refusal
    from bot.request.campaign import campaign_reply

    assert campaign_reply("S3: make it dusk") == (3, "make it dusk")
    assert campaign_reply("s3 v1: warmer light") == (3, "v1: warmer light")
    assert campaign_reply("S12 again") == (12, "again")
    assert campaign_reply(" final ") == (None, "final")
    assert isinstance(campaign_reply("make it dusk"), Refusal)
    assert isinstance(campaign_reply("S3:"), Refusal)


def test_for_aspects_on_the_board():
    from bot.outcomes import Refusal
    from bot.request.campaign import campaign_reply

    assert campaign_reply("for 9:16 1:1") == (None, "for 9:16 1:1")
    assert campaign_reply("for vertical, square") == (None, "for 9:16 1:1")
    assert isinstance(campaign_reply("for 4:3"), Refusal)

"""Screening-room passes: what they name, and every way one is refused."""

from __future__ import annotations

from bot.screening import signed, tokens
from bot.screening.tokens import Pass

KEY = tokens.derive_key("signing-secret")
NOW = 1_800_000_000


def test_a_pass_reads_back_as_issued():
    p = Pass("T0TEAM", "C0CHANNEL", 42, NOW + 60, "U0ALICE")
    assert tokens.read(KEY, tokens.issue(KEY, p), NOW) == p
    assert p.can_decide and not Pass("T0TEAM", "C0CHANNEL", 42, NOW + 60).can_decide


def test_expired_altered_or_foreign_passes_are_refused():
    token = tokens.issue(KEY, Pass("T0TEAM", "C0CHANNEL", 42, NOW + 60))
    assert tokens.read(KEY, token, NOW + 60) is None  # expired
    assert tokens.read(tokens.derive_key("another secret"), token, NOW) is None
    body, _, mac = token.partition(".")
    for i in range(len(body)):
        flipped = body[:i] + ("A" if body[i] != "A" else "B") + body[i + 1 :]
        assert tokens.read(KEY, f"{flipped}.{mac}", NOW) is None
    forged = signed.b64(b"r1|T0TEAM|C0CHANNEL|43|1900000000|U0BOSS")
    assert tokens.read(KEY, f"{forged}.{mac}", NOW) is None
    for junk in ("", ".", "abc", "a.b", "%%%.***", "x" * 500 + "." + mac):
        assert tokens.read(KEY, junk, NOW) is None


def test_the_key_is_derived_not_the_secret_itself():
    assert KEY != b"signing-secret" and len(KEY) == 32
    assert tokens.derive_key("a") != tokens.derive_key("b")


def test_the_cards_pass_is_the_same_on_every_render_and_expires():
    shot = {
        "id": 7,
        "team_id": "T0TEAM",
        "channel_id": "C0CHANNEL",
        "created_at": "2027-01-01T10:00:00.000+00:00",
    }
    first = tokens.watch_pass(shot)
    assert first == tokens.watch_pass(shot) and not first.can_decide
    assert first.expires - 1798797600 == tokens.VIEW_SECONDS
    personal = tokens.personal_pass(shot, "U0ALICE", NOW)
    assert personal.user_id == "U0ALICE" and personal.expires == NOW + tokens.DECIDE_SECONDS
    url = tokens.room_url("https://dailies.example/", KEY, personal)
    assert url.startswith("https://dailies.example/review/")
    assert tokens.read(KEY, url.rsplit("/", 1)[1], NOW) == personal


def test_a_shortened_empty_or_padded_signature_is_refused():
    """The MAC is compared whole: a prefix of the real one (down to one byte), none at all, or the
    real one with bytes after it decides nothing, even if the check truncated the expected MAC too."""
    token = tokens.issue(KEY, Pass("T0TEAM", "C0CHANNEL", 42, NOW + 60, "U0ALICE"))
    body, _, signature = token.partition(".")
    mac = signed.unb64(signature)
    assert tokens.read(KEY, token, NOW) is not None
    for length in range(len(mac)):
        assert tokens.read(KEY, f"{body}.{signed.b64(mac[:length])}", NOW) is None, length
    for extra in (b"\0", b"x", mac):
        assert tokens.read(KEY, f"{body}.{signed.b64(mac + extra)}", NOW) is None
    assert tokens.read(KEY, f"{body}.", NOW) is None and tokens.read(KEY, f"{body}.{signature}=", NOW) is None


def test_a_campaigns_pass_is_never_a_shots_nor_the_reverse():
    c = tokens.CampaignPass("T0TEAM", "C0CHANNEL", 42, NOW + 60, "U0ALICE")
    token = tokens.issue_campaign(KEY, c)
    assert tokens.read_campaign(KEY, token, NOW) == c
    assert tokens.read(KEY, token, NOW) is None  # campaign 42 is not shot 42
    shot = tokens.issue(KEY, Pass("T0TEAM", "C0CHANNEL", 42, NOW + 60, "U0ALICE"))
    assert tokens.read_campaign(KEY, shot, NOW) is None
    assert tokens.read_campaign(KEY, token, NOW + 60) is None  # expired
    assert tokens.read_campaign(tokens.derive_key("another secret"), token, NOW) is None


def test_a_campaign_shots_card_link_is_its_row_on_the_campaigns_page():
    links = tokens.RoomLinks("https://dailies.example.test", KEY)
    made = {"team_id": "T0TEAM", "channel_id": "C0CHANNEL", "created_at": "2027-01-01T00:00:00+00:00"}
    s3 = {**made, "id": 9, "campaign_id": 4, "campaign_shot": 3}
    s1 = {**made, "id": 7, "campaign_id": 4, "campaign_shot": 1}
    page, _, row = links.card_link(s3).partition("#")
    assert row == "S3" and links.card_link(s1) == f"{page}#S1"  # one page for the whole board
    token = page.rsplit("/", 1)[1]
    assert page.startswith("https://dailies.example.test/campaign/")
    assert tokens.read_campaign(KEY, token, NOW) == tokens.CampaignPass(
        "T0TEAM", "C0CHANNEL", 4, 1798761600 + tokens.VIEW_SECONDS
    )
    single = {**made, "id": 5, "campaign_id": None, "campaign_shot": None}
    assert links.card_link(single) == links.watch(single)

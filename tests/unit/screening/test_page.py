"""The screening room's page (pure): versions, their facts and review state, who may decide, and
nothing a prompt says can become markup."""

from __future__ import annotations

import re

from bot.screening.page import SignInView, other_workspace_page, refused_page, render_page
from bot.screening.room import build_room

SHOT = {"id": 3, "channel_id": "C0CHANNEL", "team_id": "T0TEAM", "title": "a lighthouse at dusk"}


def job(id_, kind, user="U0ALICE", model="kling-v3", **request):
    return {
        "id": id_,
        "kind": kind,
        "model": model,
        "user_id": user,
        "request": {"prompt": "a lighthouse at dusk", "seconds": 5, **request},
    }


def take(id_, job_id, version, state="delivered", cost=0.42):
    return {"id": id_, "job_id": job_id, "version": version, "state": state, "cost_usd": cost, "seconds": 5.0}


JOBS = [
    job(1, "generate"),
    job(2, "edit", instruction="<script>alert(1)</script> make it night", parent_version=1),
    job(3, "final", model="kling-v3-pro"),
]
TAKES = [take(11, 1, 1), take(12, 2, 2), take(13, 3, 3, state="rendering", cost=0)]
DECISIONS = [
    {"take_id": 12, "user_id": "U0ALICE", "decision": "approve", "at": "2027-01-02T09:15:00.000+00:00"},
    {"take_id": 11, "user_id": "U0EVE", "decision": "reject", "at": "2027-01-02T09:16:00.000+00:00"},
]


def page(viewer="", approvers=(), **kw):
    room = build_room(SHOT, JOBS, TAKES, DECISIONS, approvers, "any", viewer)
    return room, render_page(room, "TOKEN.SIG", names={"U0ALICE": "alice"}, once="n0nce", **kw)


def test_every_version_with_its_facts_and_review_state():
    room, html = page()
    assert [v.number for v in room.versions] == [1, 2, 3]
    v2 = room.versions[1]
    assert (v2.kind, v2.verdict, v2.current, v2.parent, v2.cost) == ("edit", "approved", True, 1, 0.42)
    assert room.versions[0].verdict == "rejected"  # no approvers: Eve's rejection counts like anyone's
    assert room.versions[2].final and not room.versions[2].delivered
    # players for delivered versions (viewable without JavaScript: native controls, a plain source)
    assert re.findall(r'<video id="v(\d)"[^>]* controls', html) == ["2", "1"]
    assert '<source src="/review/TOKEN.SIG/v2.mp4" type="video/mp4">' in html
    assert 'poster="/review/TOKEN.SIG/v1.jpg"' in html
    assert "rendering" in html and '<span class="badge final">final</span>' in html
    assert "✓ approved by @alice" in html and "2027-01-02 09:15" in html
    assert "<code>kling-v3</code>" in html and "$0.42" in html and "<dt>edit of</dt><dd>v1</dd>" in html
    assert "✓ Approved</span>" in html  # the stamp on v2's picture


def test_a_prompt_is_text_never_markup():
    _, html = page()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; make it night" in html
    assert html.count("<script") == 1  # only the page's own script, from its own origin
    assert '<script src="/review-assets/room.js" defer></script>' in html


def test_a_watch_only_pass_shows_no_decision_forms():
    _, html = page()
    assert "<form" not in html and "Watch-only link" in html


def test_the_requester_decides_when_the_channel_has_no_approvers():
    _, html = page(viewer="U0ALICE", note="Approved v2.")
    forms = re.findall(r'<form class="decide" method="post" action="/review">(.*?)</form>', html)
    assert len(forms) == 2  # the delivered versions only
    assert 'name="token" value="TOKEN.SIG"' in forms[0] and 'name="once" value="n0nce"' in forms[0]
    assert all(f'value="{a}"' in forms[0] for a in ("approve", "reject", "another_take", "final_render"))
    assert '<p class="notice" role="status">Approved v2.</p>' in html


def test_with_approvers_others_may_press_but_not_decide():
    _, html = page(viewer="U0ALICE", approvers=("U0BOSS",))
    assert 'value="approve"' not in html and 'value="another_take"' in html
    _, html = page(viewer="U0EVE", approvers=("U0BOSS",))
    assert "<form" not in html
    _, html = page(viewer="U0BOSS", approvers=("U0BOSS",))
    assert 'value="approve"' in html and "Approvers: @U0BOSS (one approver decides)." in html


def test_a_refused_pass_says_nothing_about_the_shot():
    html = refused_page()
    assert "lighthouse" not in html and "This link is not valid" in html


NOTES = [
    {"take_id": 12, "user_id": "U0BOB", "text": "0:03 the sky pops &lt;here&gt;, <@U0ALICE>?",
     "created_at": "2027-01-02T09:20:00.000+00:00", "timecode": 3.0},
    {"take_id": 12, "user_id": "U0BOB", "text": "love it", "created_at": "2027-01-02T09:21:00.000+00:00",
     "timecode": None},
    {"take_id": 11, "user_id": "U0EVE", "text": "<script>x</script> at 2.5s", "created_at": "2027-01-02T09:22:00.000+00:00",
     "timecode": 2.5},
]  # fmt: skip


def test_notes_sit_beside_their_version_and_timecoded_ones_mark_the_timeline():
    room = build_room(SHOT, JOBS, TAKES, DECISIONS, (), "any", "", NOTES)
    assert [len(v.notes) for v in room.versions] == [1, 2, 0]
    html = render_page(room, "TOKEN.SIG", names={"U0ALICE": "alice", "U0BOB": "bob"}, once="n")
    v2 = html[html.index('id="version-2"') : html.index('id="version-1"')]
    assert "2 notes" in v2 and "<b>@bob</b>" in v2
    assert "the sky pops &lt;here&gt;, @alice?" in v2, "Slack's markup read, then escaped for HTML"
    assert '<button type="button" class="seek" data-seek="3"' in v2 and ">0:03</button>" in v2
    assert "<script>x" not in html
    marks = re.findall(r'<button type="button" class="mark" data-seek="([\d.]+)" data-left="([\d.]+)"', html)
    assert marks == [("2.5", "50.00"), ("3", "60.00")]  # on the 5 s timeline, in time order
    assert " style=" not in html  # the page's policy (style-src 'self') would drop it: room.js places them
    assert 'class="marks"' not in render_page(
        build_room(SHOT, JOBS, TAKES, DECISIONS, (), "any"), "T", once="n"
    )


def test_with_sign_in_the_page_offers_it_and_every_form_carries_the_csrf_token():
    _, html = page(sign_in=SignInView("/review-signin?to=TOKEN.SIG"))
    assert 'class="signin" href="/review-signin?to=TOKEN.SIG">Sign in with Slack to decide' in html
    assert "<form" not in html
    _, html = page("U0ALICE", sign_in=SignInView("/review-signin?to=TOKEN.SIG", "U0ALICE", "c5rf"))
    assert "Signed in with Slack as @alice" in html
    assert html.count('<input type="hidden" name="csrf" value="c5rf">') == html.count("<form") == 2
    _, html = page(sign_in=SignInView("/review-signin?to=TOKEN.SIG", elsewhere=True))
    assert "signed in with Slack to another workspace" in html and "<form" not in html


def test_a_member_of_another_workspace_is_told_nothing_was_counted():
    html = other_workspace_page("/review/TOKEN.SIG")
    assert "not counted" in html and 'href="/review/TOKEN.SIG"' in html


def test_a_campaigns_page_is_a_row_per_shot_and_a_column_per_version():
    from bot.screening.campaign_page import CampaignRow, render_campaign_page

    def shot_room(shot_id, aspects):
        jobs = [job(shot_id * 10 + i, "generate", aspect=a) for i, a in enumerate(aspects)]
        takes = [take(shot_id * 100 + i, j["id"], i + 1) for i, j in enumerate(jobs)]
        return build_room({**SHOT, "id": shot_id}, jobs, takes, [], (), "any", "U0ALICE")

    rows = [
        CampaignRow("S1", "S1", 31, "a <b>red</b> sneaker", shot_room(31, ["16:9", "9:16"]), "/review/A"),
        CampaignRow("S2", "S2", 32, "it spins", shot_room(32, ["16:9"]), "/review/B"),
        CampaignRow("the cut", "shot-40", 40, "the cut", shot_room(40, []), "/review/C"),
    ]
    html = render_campaign_page("Spring", 4, rows, "TOK.SIG", once="n0nce")
    assert "Campaign C4 · 2 shots · 2 of 2 delivered" in html
    assert re.findall(r'<section class="shot-row" id="([^"]+)"', html) == ["S1", "S2", "shot-40"]
    assert "a &lt;b&gt;red&lt;/b&gt; sneaker" in html and "No versions yet." in html
    # columns in order, each player keyed by its shot; clips through the campaign's pass
    assert re.findall(r'<video id="v([\d-]+)"', html) == ["31-1", "31-2", "32-1"]
    assert 'src="/campaign/TOK.SIG/31/v2.mp4"' in html and 'poster="/campaign/TOK.SIG/32/v1.jpg"' in html
    # aspects differ across the campaign, the model does not: only the aspect labels a column
    assert re.findall(r'class="column">([^<]+)<', html) == ["16:9", "9:16", "16:9"]
    # each shot's latest version starts in sync; the forms post to the campaign with their shot
    assert re.findall(r'data-sync="v([\d-]+)" checked', html) == ["31-2", "32-1"]
    form = re.search(r'<form class="decide" method="post" action="/campaign">.*?</form>', html).group(0)
    assert 'name="token" value="TOK.SIG"' in form and 'name="shot" value="31"' in form
    assert '<a href="#S2">S2</a>' in html and '<a href="/review/A">open S1 alone</a>' in html


def test_a_campaigns_watch_only_page_points_to_the_boards_button():
    from bot.screening.campaign_page import CampaignRow, render_campaign_page

    jobs = [job(310, "generate")]
    room = build_room({**SHOT, "id": 31}, jobs, [take(3100, 310, 1)], [], (), "any", "")
    html = render_campaign_page("Spring", 4, [CampaignRow("S1", "S1", 31, "a", room, "/review/A")], "TOK.SIG")
    assert "Watch-only link" in html and "<b>Screening room</b> on the board in Slack" in html
    assert "on the card" not in html

"""What a mention's attachments are taken for, by their Slack mimetype."""

from __future__ import annotations

from bot.studio.origin import Origin, videos_in

PNG = {"id": "F1", "mimetype": "image/png"}
MP3 = {"id": "F2", "mimetype": "audio/mpeg"}
M4A_AS_MP4 = {"id": "F3", "mimetype": "video/mp4"}  # how Slack often labels an .m4a
MOV = {"id": "F4", "mimetype": "video/quicktime"}
PDF = {"id": "F5", "mimetype": "application/pdf"}
UNLABELLED = {"id": "F6"}


def test_images_and_audio_are_picked_out_in_the_order_attached():
    origin = Origin("C1", "U1", files=(PDF, MP3, PNG, UNLABELLED, M4A_AS_MP4, MOV))
    assert origin.images == (PNG,)
    assert origin.audio == (MP3, M4A_AS_MP4)
    assert videos_in(origin.files) == (M4A_AS_MP4, MOV)


def test_no_attachments_means_no_images_and_no_audio():
    origin = Origin("C1", "U1", files=(PDF, UNLABELLED))
    assert origin.images == () and origin.audio == ()


def test_a_new_job_carries_who_asked_where_and_the_trigger():
    origin = Origin("C1", "U1", team_id="T1", source_key="cmd:abc")
    new = origin.new_job(
        "generate", "kling-2.6", "kling", {"prompt": "a fox"}, estimate_usd=0.4249, title="a fox"
    )
    assert (new.team_id, new.channel_id, new.user_id, new.source_key) == ("T1", "C1", "U1", "cmd:abc")
    assert new.estimate_usd == 0.42 and new.shot_id is None and new.takes == 1


def test_a_thread_job_without_a_trigger_gets_a_key_of_its_own_each_time():
    origin = Origin("C1", "U1", team_id="T1")  # a card button: no Slack retry to recognise
    keys = {
        origin.new_job("lipsync", "m", "b", {}, estimate_usd=0, title="", shot_id=7).source_key
        for _ in range(2)
    }
    assert len(keys) == 2 and all(k.startswith("thread:7:") for k in keys)

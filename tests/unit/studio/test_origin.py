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

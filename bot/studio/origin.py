"""Who asked, where, and which Slack delivery it came from: what every studio feature is given,
with the attached files sorted by what they look like (their Slack mimetype)."""

from __future__ import annotations

from dataclasses import dataclass, field

# What Slack calls an audio file; an .m4a often arrives as video/mp4. What the bytes really are is
# decided later, when the file is checked (bot.media.check sniffs them).
_AUDIO_MIMETYPES = ("audio/", "video/mp4")


def _mimetype(file: dict) -> str:
    return file.get("mimetype") or ""


def images_in(files: tuple[dict, ...] | list[dict]) -> tuple[dict, ...]:
    """The Slack files that say they are images, in the order attached."""
    return tuple(f for f in files if _mimetype(f).startswith("image/"))


def audio_in(files: tuple[dict, ...] | list[dict]) -> tuple[dict, ...]:
    """The Slack files that may be audio (a recording, or sound in an MP4), in the order attached."""
    return tuple(f for f in files if _mimetype(f).startswith(_AUDIO_MIMETYPES))


def videos_in(files: tuple[dict, ...] | list[dict]) -> tuple[dict, ...]:
    """The Slack files that say they are videos, in the order attached."""
    return tuple(f for f in files if _mimetype(f).startswith("video/"))


@dataclass(frozen=True)
class Origin:
    channel_id: str
    user_id: str
    team_id: str = ""
    source_key: str = ""  # one job per trigger: "cmd:<trigger_id>", "msg:<channel>:<ts>"
    files: tuple[dict, ...] = field(default_factory=tuple)  # Slack file objects attached to a mention

    @property
    def images(self) -> tuple[dict, ...]:
        """The attached images."""
        return images_in(self.files)

    @property
    def audio(self) -> tuple[dict, ...]:
        """The attached files that may be audio."""
        return audio_in(self.files)

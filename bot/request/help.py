"""The `/video help` text (Slack mrkdwn), one section per topic, and the one-line usage hint."""

from __future__ import annotations

# One entry per section; each stays under Slack's 3,000-character limit for a section block.
SECTIONS: dict[str, str] = {
    "video": """*Make a video*: `/video <prompt> [flags]` (or mention me with the same text).
Flags can go anywhere; the other words are the prompt (at most 2,500 characters).
• `--model ID` (or `-m ID`): which model; without it, the channel's draft model (`/video settings`)
• `--seconds N` (or `--duration N`, `8s` works too): length; each model has its own durations
• `--aspect 16:9|9:16|1:1` (or `landscape`, `portrait`, `square`)
• `--res 720p|1080p|4k` (or `--resolution`); 4k on `kling-v3` and `kling-v3-omni`
• `--n N` (or `--takes N`): 1 to 4 takes of the same request
• `--audio` / `--no-audio`: sound on or off, where the model has a switch
• `--image URL`: start from this picture (image-to-video); an image attached to a mention works too
• `--end-image URL`: the last frame (with `--image`), where the model takes one
• `--video URL`: a camera/style reference video (`kling-o1`, `kling-v3-omni`)
• `--motion URL` with `--image` or a `{subject}`: motion control, the character performs the video's \
moves (3-30 s; `--orient image|video`, default video, keeps whose orientation)
• `--seed N`: 0 to 2147483647, for models that take a seed
• `--negative "text"`: what to keep out, for models that take a negative prompt
• `--subject NAME` (repeatable), or write `{NAME}` in the prompt: use a saved subject
Veo 3.1 takes up to 3 `{subjects}` as reference images (8 s, 16:9; with them `--image` is one more). Multi-shot: `3s: wide shot // 2s: close-up` (2 to 6 shots; `kling-v3`, `kling-v3-pro`, `kling-v3-omni`). \
`--flag=value` works as well. Anything a model can't do is refused before it costs anything, \
with the values it accepts.
Example: `/video a red fox trotting through fresh snow, golden hour --seconds 5 --aspect 9:16`
`/video` alone opens a form with the same choices (App Home's New video button too); it makes the same job.""",
    "models": """*Models*: `/video models` lists every model with its durations, shapes, sound, \
edit support and price per second. Ids: `kling-2.6-pro`, `kling-v3`, `kling-v3-pro`, `kling-v3-omni`, \
`kling-o1`, `kling-avatar-pro`, `sora-2`, `sora-2-pro`, `veo-3.1`, `veo-3.1-fast`, `preview` (a free local animatic, used when no provider \
key is set).""",
    "subject": """*Subjects* (a person, pet or product the channel reuses):
• `/video subject add NAME IMAGE_URL… [-- description]`: 1 to 4 images, the front view first
• `/video subject list` · `/video subject show NAME` · `/video subject remove NAME` · \
`/video subject rename OLD NEW`
• `/video subject voice NAME AUDIO_URL` (or attach the recording when you mention me): 5 to 30 s of one clean voice; it speaks the subject's avatars, `lipsync {NAME} "…"` and `kling-2.6-pro` clips from an image
• `/video subject consent NAME [note]`: you confirm you have the person's permission to use their likeness and voice (e.g. `"signed release 2026-11"`); `/video subject consent NAME --withdraw` takes it back and stops unfinished jobs that use them. Talking avatars, lip-syncs and voices of a subject without it get a button (only you see it) that records your consent and starts the job
Names are 1 to 32 letters, digits, `-` or `_`. Write `{NAME}` in a prompt or add `--subject NAME`.""",
    "avatar": """*Talking avatar*: `/video avatar {subject} "what they say"` (a script of up to \
1,000 characters) or `/video avatar {subject} --audio-url URL` (a recording). The subject's first \
image is the portrait; the clip lasts as long as the speech. `--model` is optional \
(`kling-avatar-pro`).""",
    "threads": """*In a job's thread*: a reply that mentions me is for me; so is the requester's, unless it mentions someone else. Anyone else's reply is a *note* on the version (a time like `0:03` or `at 3s` marks the moment); notes cost nothing, and when one asks for a change its author alone gets a button to render it.
• reply with a change (`warmer light, slower camera`) to edit the latest clip; `v2: …` picks take 2
• plain requests: `vertical` / `for TikTok` / `Reels` / `Shorts` / `Stories` (9:16), `square` (1:1), `landscape` / `for YouTube` (16:9) re-render at that aspect; `make it 10 seconds` / `10s version` at that length; `3 more` / `more variations` = `again --n 3`; with a language model set up (`DAILIES_INTENT_MODEL`), freer words too: `same thing but for Instagram and a bit slower`
• `again` (or `another take`), `extend …` (or `next shot …`), `final` (render on the final model), \
`save as subject NAME`
• `lipsync "line"` (or `lipsync` with an audio file attached, `--audio-url URL`, or `lipsync {subject} "line"` in their voice): the clip's one face says it, 2 to 60 s of speech, on Kling direct
• replies take `--model`, `--seconds`, `--audio` / `--no-audio`, `--image`, `--n`
Buttons on the card: Approve, Another take, Final render, Cancel, and Screening room (every \
version side by side in the browser, played in sync; it also sends you a personal link to decide \
there). Reactions: :white_check_mark: approves, :x: rejects, :repeat: asks for another take; without approvers anyone in the channel may, the requester included.
On a clip's (or the card's) message, the shortcuts *Edit this clip* (a reply as a form) and *Save as subject*; in Workflow Builder, the step *Render a video*.""",
    "dm": """*Your DM with me is a private studio*: write a request there as after `/video` (same words and flags, no slash), and reply in its card's thread as in a channel; while a job renders, the thread shows my status line. Your DM is its own budget line (`/video settings budget USD` or `job-limit USD` there; you approve your own held jobs). When a version is worth the team's time, pick a channel under its card and press *Post to #channel*: it becomes a normal job card there, asked by you, with the clip as v1 in its thread and nothing charged twice.""",
    "campaign": """*Campaigns* (a brief of up to 50 shots): `/video campaign` opens a form: title, model, \
seconds, one or more aspects, takes per shot, and the shots, one `/video` line each (its own flags and \
`{subjects}`), or a CSV/TSV file (`prompt`, and optionally `model`, `seconds`, `aspect`, `image`, `subject`). \
Every line is checked before anything starts (errors come back with their line numbers), and the estimate \
covers every shot × take × aspect. The channel gets one *board* (S1, S2, …, `N of M delivered`); clips land \
in its thread, captioned `S3 v1`, and a contact sheet follows once every shot has one. In the board's \
thread: `S3: make it dusk`, `S3 v1: warmer light`, `S3 again`, `final` (every approved version on the final \
model) or `for 9:16 1:1` (every approved version again at those aspects, same seed). Over the job limit or \
budget the campaign waits for one :white_check_mark: on its board; `/video cancel C7` stops it.
*The cut*: `cut` in the board's thread (or its *Make the cut* button) assembles each shot's approved version \
(else its latest) into one MP4, posted with an `.edl` and an `.otio` for an editor; `cut S3 S1 S2[1.5-4]` picks \
the order and trims (seconds), `--fade 0.5` dips to black between shots, `--aspect 9:16` cuts the versions at \
that aspect (else the campaign's first). Free; each `cut` is the next version.""",
    "jobs": """*Jobs and spend*:
• `/video jobs`: recent shots in this channel with their versions
• `/video cancel JOB`: stop a job (its id is on the card), or `C7` a whole campaign; the requester or an approver
• `/video spend`: this month's spend against the budget
• `/video audit`: who approved or rejected what, and when""",
    "settings": """*Settings* (per channel): `/video settings` shows them.
• `/video settings model ID` (or `draft-model`, `default-model`): the draft model (default `kling-v3`)
• `/video settings final-model ID` (or `final`): the Final render model (default `sora-2-pro` where it's known \
to be served, else `veo-3.1`, else `kling-v3-pro`)
• `/video settings budget USD` (per month) · `/video settings job-limit USD` (or `limit`; a job above \
it waits for approval); `none` removes either
• `/video settings approvers @person…` (or `approver`; `none` for nobody): whose :white_check_mark: counts (without approvers, anyone's in the channel)
• `/video settings approval any|all`: one approver's :white_check_mark: starts a job, or all of them
• `/video settings replies requester|anyone|mention`: who talks to me in a job's thread without mentioning me: the shot's requester (default), anyone in the channel, or nobody (every reply is a note unless it mentions me)""",
    "text": """*Writing commands*:
• `/video help [TOPIC]`: this help, or one part of it (`/video help settings`, `/video help seconds`)
• Quote a value with spaces: `--negative "blurry, text"`; Slack's curly quotes work too
• The first word `help`, `models`, `jobs`, `cancel`, `subject`, `settings`, `avatar`, `spend`, \
`campaign` or `audit` is always a command. To start a prompt with one of them, quote the prompt: \
`/video "help wanted sign on a diner door"`
• @mentions, #channels and @here are refused in prompts (a video model can't see who they are): \
describe the person, or use a subject
• Links become their text; emoji are kept; invisible characters are removed""",
}

# `/video help TOPIC`: every subcommand, every flag (without dashes) and a few plain words
HELP_TOPICS: dict[str, str] = {
    **{word: "video" for word in ("video", "prompt", "flags", "model", "m", "seconds", "duration")},
    **{word: "video" for word in ("aspect", "res", "resolution", "n", "takes", "audio", "no-audio")},
    **{word: "video" for word in ("image", "seed", "negative", "end-image", "video", "motion", "orient")},
    **{word: "video" for word in ("multi-shot", "shots", "4k")},
    "models": "models",
    **{word: "subject" for word in ("subject", "subjects")},
    **{word: "avatar" for word in ("avatar", "audio-url")},
    **{word: "threads" for word in ("threads", "thread", "replies", "reply", "edit", "reactions")},
    **{word: "threads" for word in ("again", "extend", "final", "buttons", "lipsync", "lip-sync")},
    **{word: "threads" for word in ("notes", "note", "vertical", "offer")},
    **{word: "subject" for word in ("voice", "voices", "consent", "withdraw", "permission")},
    **{word: "jobs" for word in ("jobs", "cancel", "spend", "audit")},
    **{word: "campaign" for word in ("campaign", "campaigns", "board", "brief", "csv", "cut", "edl", "otio")},
    **{word: "settings" for word in ("settings", "budget", "job-limit", "approvers", "approval")},
    **{word: "settings" for word in ("final-model", "draft-model", "default-model", "approver", "limit")},
    **{word: "text" for word in ("text", "quotes", "mentions", "help")},
    **{word: "dm" for word in ("dm", "studio", "share", "post", "drafts")},
}

HELP_TEXT: str = "\n\n".join(SECTIONS.values())


# Slack truncates a message's `text` past 4,000 characters (chat.postEphemeral, a command's ack).
TEXT_LIMIT = 4000


def help_for(topic: str | None) -> str:
    """The section for `topic` (a key of HELP_TOPICS), or the whole help text: as many sections as
    fit in one Slack message, then the topics of the rest."""
    section = HELP_TOPICS.get((topic or "").lower())
    if section:
        return SECTIONS[section]
    shown: list[str] = []
    for i, (name, text) in enumerate(SECTIONS.items()):
        rest = list(SECTIONS)[i + 1 :]
        more = "More: " + ", ".join(f"`/video help {n}`" for n in [name, *rest]) + "."
        if len("\n\n".join([*shown, text, more if rest else ""]).strip()) > TEXT_LIMIT:
            return "\n\n".join([*shown, more])
        shown.append(text)
    return "\n\n".join(shown)


def usage_hint() -> str:
    return (
        "Tell me what to film: `/video a red fox trotting through snow --seconds 5`, or `/video` "
        "alone for a form. `/video help` lists every option."
    )

"""Kling's body checks for the stand-in, as Kling answers them (400 / 1201): models, modes,
durations, images, omni references, avatars and elements, as Kling's API docs give them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.contracts import kling_validator, problems

if TYPE_CHECKING:
    from tests.fakes.kling import FakeKling

T2V_MODELS = {"kling-v1", "kling-v1-6", "kling-v2-master", "kling-v2-1-master", "kling-v2-5-turbo"}
T2V_MODELS |= {"kling-v2-6", "kling-v3"}
I2V_MODELS = T2V_MODELS | {"kling-v1-5", "kling-v2-1"}
OMNI_MODELS = {"kling-video-o1", "kling-v3-omni"}
ASPECTS = {"16:9", "9:16", "1:1"}
SOUND_MODELS = {"kling-v2-6", "kling-v3", "kling-v3-omni"}
FOUR_K = {"kling-v3", "kling-v3-omni"}
MULTI_SHOT = {"kling-v3", "kling-v3-omni"}  # not O1, 2.6 or 2.5 Turbo
MOTION_MODELS = {"kling-v2-6", "kling-v3"}  # the models motion control takes
ELEMENT_REF = re.compile(r"<<<element_(\d+)>>>")
VOICE_REF = re.compile(r"<<<voice_(\d+)>>>")


def durations(model: str, *, refs: bool = True) -> set[str]:
    """Durations Kling takes (strings) for a model_name."""
    if model in ("kling-v3", "kling-v3-omni"):
        return {str(n) for n in range(3, 16)}
    if model == "kling-video-o1" and refs:
        return {str(n) for n in range(3, 11)}
    return {"5", "10"}


class Reject(Exception):
    def __init__(self, http: int, code: int, message: str) -> None:
        super().__init__(message)
        self.http, self.code, self.message = http, code, message


def _bad(message: str) -> Reject:
    return Reject(400, 1201, message)


def check_contract(body_name: str, body: dict) -> None:
    """Refuse what the written-down Kling rules refuse (tests/contracts/kling), as Kling answers."""
    found = problems(kling_validator(body_name), body)
    if found:
        raise _bad(found[0])


def _common(body: dict, models: set[str]) -> str:
    model = body.get("model_name", "kling-v1")
    if model not in models:
        raise _bad(f"model_name {model!r} is not supported here")
    mode = body.get("mode", "std")
    if mode not in ("std", "pro") and not (mode == "4k" and model in FOUR_K):
        raise _bad(f"mode {mode!r} is invalid for {model}")
    if body.get("multi_shot") is True:
        _multi_shot(body, model)
    else:
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > 2500:
            raise _bad("prompt is required and at most 2500 characters")
    if len(body.get("negative_prompt", "")) > 2500:
        raise _bad("negative_prompt is at most 2500 characters")
    if "aspect_ratio" in body and body["aspect_ratio"] not in ASPECTS:
        raise _bad(f"aspect_ratio {body['aspect_ratio']!r} is invalid")
    if "sound" in body:
        if body["sound"] not in ("on", "off") or model not in SOUND_MODELS:
            raise _bad(f"sound is not supported for {model}")
        if model == "kling-v2-6" and body["sound"] == "on" and mode != "pro":
            raise _bad("sound on kling-v2-6 needs mode pro")
    return model


def _multi_shot(body: dict, model: str) -> None:
    """multi_shot true: shot_type customize with 1-6 shots of <= 512 chars, each >= 1 s, summing to
    `duration` (strings); `prompt` is then ignored."""
    if model not in MULTI_SHOT:
        raise _bad(f"multi_shot is not supported for {model}")
    if body.get("shot_type") != "customize":
        raise _bad("shot_type must be customize or intelligence when multi_shot is true")
    shots = body.get("multi_prompt")
    if not isinstance(shots, list) or not 1 <= len(shots) <= 6:
        raise _bad("multi_prompt takes 1 to 6 shots")
    total = 0
    for n, shot in enumerate(shots, start=1):
        if not isinstance(shot, dict) or shot.get("index") != n:
            raise _bad("multi_prompt[].index must count 1, 2, … as integers")
        text, seconds = shot.get("prompt"), shot.get("duration")
        if not isinstance(text, str) or not text.strip() or len(text) > 512:
            raise _bad("multi_prompt[].prompt is required and at most 512 characters")
        if not isinstance(seconds, str) or not seconds.isdigit() or int(seconds) < 1:
            raise _bad("multi_prompt[].duration must be a string of at least 1 second")
        total += int(seconds)
    if str(total) != body.get("duration"):
        raise _bad(f"multi_prompt durations add up to {total}, not duration {body.get('duration')!r}")


def _duration(body: dict, allowed: set[str]) -> None:
    value = body.get("duration", "5")
    if not isinstance(value, str) or value not in allowed:
        raise _bad(f"duration {value!r} is invalid; allowed: {sorted(allowed, key=int)}")


def _image(value: object, what: str) -> None:
    if not isinstance(value, str) or not value or value.startswith("data:"):
        raise _bad(f"{what} must be a URL or raw base64 without a data: prefix")


def check_t2v(fake: FakeKling, body: dict) -> None:
    check_contract("text2video", body)
    _duration(body, durations(_common(body, T2V_MODELS)))


def check_i2v(fake: FakeKling, body: dict) -> None:
    check_contract("image2video", body)
    model = _common(body, I2V_MODELS)
    _image(body.get("image"), "image")
    if "image_tail" in body:
        _image(body["image_tail"], "image_tail")
    _duration(body, durations(model))
    check_voices(fake, body)


def check_omni(fake: FakeKling, body: dict) -> None:
    check_contract("omni-video", body)
    model = _common(body, OMNI_MODELS)
    images, videos, elements = (
        body.get("image_list", []),
        body.get("video_list", []),
        body.get("element_list", []),
    )
    for item in images:
        _image(item.get("image_url"), "image_url")
        if item.get("type") not in (None, "first_frame", "end_frame"):
            raise _bad("image_list type must be first_frame or end_frame")
    if any(i.get("type") == "end_frame" for i in images) and not any(
        i.get("type") == "first_frame" for i in images
    ):
        raise _bad("end_frame needs a first_frame")
    if body.get("mode") == "4k" and videos:
        raise _bad("4k is not supported with a reference video")
    if model == "kling-v3-omni" and videos and body.get("sound") == "on":
        # Kling's 3.0 Omni doc: feature_video => audio off; base_video => audio not native
        raise _bad("sound must be off with a reference or base video on kling-v3-omni")
    if len(videos) > 1:
        raise _bad("at most one video")
    for video in videos:
        if video.get("refer_type") not in ("feature", "base") or not str(video.get("video_url", "")):
            raise _bad("video_list needs video_url and refer_type feature|base")
        if video.get("keep_original_sound", "yes") not in ("yes", "no"):
            raise _bad("keep_original_sound must be yes or no")
    if len(images) + len(elements) > (4 if videos else 7):
        raise _bad("too many reference images and elements")
    for element in elements:
        if str(element.get("element_id")) not in fake.element_ids:
            raise _bad(f"element {element.get('element_id')!r} does not exist")
    texts = [body.get("prompt", "")] + [shot["prompt"] for shot in body.get("multi_prompt", [])]
    refs = [int(n) for text in texts for n in ELEMENT_REF.findall(text)]
    if any(n < 1 or n > len(elements) for n in refs):
        raise _bad("prompt refers to an element that is not in element_list")
    first_frame = any(i.get("type") == "first_frame" for i in images)
    base = any(v.get("refer_type") == "base" for v in videos)
    if not first_frame and not base and body.get("aspect_ratio") not in ASPECTS:
        raise _bad("aspect_ratio is required without a first frame or base video")
    if not base:  # a base-video edit follows the source's length
        plain = not videos and not elements and all(i.get("type") == "first_frame" for i in images)
        _duration(body, durations(model, refs=not plain))


def check_avatar(fake: FakeKling, body: dict) -> None:
    check_contract("avatar/image2video", body)
    _image(body.get("image"), "image")
    if ("audio_id" in body) == ("sound_file" in body):
        raise _bad("exactly one of audio_id and sound_file is required")
    if "audio_id" in body and body["audio_id"] not in fake.audio_ids:
        raise _bad("audio_id not found")
    if body.get("mode", "std") not in ("std", "pro"):
        raise _bad("mode must be std or pro")


def check_element(body: dict) -> None:
    check_contract("element", body)
    name, description = body.get("element_name"), body.get("element_description")
    if not isinstance(name, str) or not name or len(name) > 20:
        raise _bad("element_name is required and at most 20 characters")
    if not isinstance(description, str) or not description or len(description) > 100:
        raise _bad("element_description is required and at most 100 characters")
    if body.get("reference_type") not in ("image_refer", "video_refer"):
        raise _bad("reference_type must be image_refer or video_refer")
    if body["reference_type"] == "image_refer":
        images = body.get("element_image_list") or {}
        _image(images.get("frontal_image"), "frontal_image")
        refs = images.get("refer_images") or []
        if not 1 <= len(refs) <= 3:
            raise _bad("refer_images takes 1 to 3 images")
        for ref in refs:
            _image(ref.get("image_url"), "image_url")
        seen = [images.get("frontal_image")] + [r.get("image_url") for r in refs]
        if len(set(seen)) != len(seen):  # other views of the subject, not the front again
            raise _bad("refer_images must differ from the frontal image and from each other")


def check_motion(fake: FakeKling, body: dict) -> None:
    """`POST /v1/videos/motion-control`."""
    model = body.get("model_name")
    if model not in MOTION_MODELS:
        raise _bad(f"model_name {model!r} is not supported for motion control")
    if body.get("mode") not in ("std", "pro"):
        raise _bad("mode must be std or pro")
    _image(body.get("image_url"), "image_url")
    video = body.get("video_url")
    if not isinstance(video, str) or not video.startswith(("http://", "https://")):
        raise _bad("video_url must be a URL")
    if body.get("character_orientation") not in ("image", "video"):
        raise _bad("character_orientation must be image or video")
    if body.get("keep_original_sound", "yes") not in ("yes", "no"):
        raise _bad("keep_original_sound must be yes or no")
    for unsupported in ("duration", "aspect_ratio", "sound", "resolution"):
        if unsupported in body:
            raise _bad(f"{unsupported} is not a motion-control parameter")
    if len(body.get("prompt", "")) > 2500:
        raise _bad("prompt is at most 2500 characters")
    elements = body.get("element_list", [])
    if elements and (model != "kling-v3" or len(elements) > 1):
        raise _bad("element_list takes one element, on kling-v3 only")


CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def check_tts_language(fake: FakeKling, body: dict) -> None:
    """`voice_language` "corresponds to the Voice ID" (Kling's TTS doc): a stock voice's own, and a
    custom voice (cloned from a sample) speaks the line it is given, in that line's language."""
    voice, language = body["voice_id"], body["voice_language"]
    if voice in fake.stock_voices:
        expected = fake.stock_voices[voice]
    else:
        text = body.get("text", "")
        expected = "zh" if len(CJK.findall(text)) > len(re.findall(r"[A-Za-z]", text)) else "en"
    if language != expected:
        raise _bad(f"voice_language {language!r} does not match the voice ({expected})")


def check_voices(fake: FakeKling, body: dict) -> None:
    """voice_list (kling-v2-6 image2video): known custom voices, each referenced in the prompt."""
    voices = body.get("voice_list", [])
    for voice in voices:
        if voice["voice_id"] not in fake.voice_ids:
            raise _bad(f"voice_id {voice['voice_id']!r} does not exist")
    refs = {int(n) for n in VOICE_REF.findall(body.get("prompt", ""))}
    if refs != set(range(1, len(voices) + 1)):
        raise _bad("each voice in voice_list is referenced once as <<<voice_N>>> in the prompt")


def check_lipsync(fake: FakeKling, body: dict) -> None:
    """`POST /v1/videos/advanced-lip-sync`: a live session, one of its faces, a known audio id (the
    sound's lengths are checked by the stand-in, which may have to fetch it)."""
    check_contract("advanced-lip-sync", body)
    session = fake.face_sessions.get(body["session_id"])
    if session is None:
        raise _bad("session_id does not exist")
    (choice,) = body["face_choose"]
    if choice["face_id"] not in session["faces"]:
        raise _bad("face_id is not a face of this session")
    if "audio_id" in choice and choice["audio_id"] not in fake.audio_ids:
        raise _bad("audio_id not found")


CHECKS = {"text2video": check_t2v, "image2video": check_i2v, "omni-video": check_omni}
CHECKS["advanced-lip-sync"] = check_lipsync
CHECKS["avatar/image2video"] = check_avatar
CHECKS["motion-control"] = check_motion

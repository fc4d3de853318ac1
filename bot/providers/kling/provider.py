"""Kling direct on its legacy `/v1/...` routes (Bearer API key, or an HS256 JWT from AK/SK).

Wire facts live in `bot.providers.kling.wire`; this module is the Provider that sends them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

import httpx

from bot.providers import errors
from bot.providers.base import (
    Availability,
    Mode,
    Provider,
    RenderSpec,
    SourceInput,
    SubjectRef,
    TaskState,
    TaskStatus,
)
from bot.providers.http import request_json, stream_to_file
from bot.providers.kling.wire import (
    CHECK_KEYS,
    CHECK_PARAMS,
    CHECK_PATH,
    ELEMENTS_PATH,
    FACES_PATH,
    JWT_LIFETIME,
    JWT_REFRESH_MARGIN,
    LIPSYNC,
    MODELS,
    NEW_STATES,
    OMNI,
    ROUTES,
    STATES,
    TASKS_BATCH,
    TASKS_PARAM,
    TASKS_PATH,
    TTS_AUDIO_ID_PATH,
    TTS_PATH,
    TTS_SECONDS_PATH,
    VIDEO_PATH,
    VOICE_ID_PATH,
    VOICES_PATH,
    build_request,
    dig,
    element_body,
    element_refusal,
    envelope_error,
    face_source,
    kling_jwt,
    lipsync_body,
    models_for,
    one_face,
    route_for,
    speaking_voice,
    task_failure,
    tts_body,
    uses_voices,
    video_sound_refusal,
    voice_body,
    voice_refusal,
)
from bot.providers.webhooks import signed_json
from bot.request.catalogue import Catalogue


class KlingProvider(Provider):
    backend = "kling"
    has_progress = False
    speaks_script = True  # its TTS turns an avatar's script into speech
    result_url_seconds = 30 * 24 * 3600.0  # finished clips stay on its CDN for 30 days
    sends_callbacks = True
    source_input = SourceInput.URL  # it fetches the clip to edit from a URL
    lip_sync = True  # face identification + advanced lip-sync, on any clip it can fetch

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        api_key: str = "",
        access_key: str = "",
        secret_key: str = "",
        clock: Callable[[], float] = time.time,
        element_poll_seconds: float = 2.0,
        element_wait_seconds: float = 120.0,
        webhook_secret: str = "",
        tasks_batch: int = TASKS_BATCH,
        catalogue: Catalogue | None = None,
    ) -> None:
        self._client = client
        # the catalogue's Kling ids (the first of each model's) over the built-in wire
        self._models = MODELS if catalogue is None else models_for(catalogue)
        # /tasks is new-standard, which takes an API key only: a JWT account polls task by task
        self.max_batch = max(1, tasks_batch) if api_key else 1
        self._webhook_secret = webhook_secret
        self._base = base_url.rstrip("/")
        self._api_key = api_key
        self._access_key, self._secret_key = access_key, secret_key
        self._clock = clock
        self._token: str | None = None
        self._token_exp = 0.0
        self._element_poll = element_poll_seconds
        self._element_wait = element_wait_seconds
        # element and custom-voice ids made by this process, by what they were made from; one
        # creation per key at a time, so two takes naming one new subject make one element
        self._made: dict[tuple, str] = {}
        self._making: dict[tuple, asyncio.Lock] = {}

    # ---- auth ----------------------------------------------------------------------------------
    def _authorization(self, *, fresh: bool = False) -> str:
        if self._api_key:
            return f"Bearer {self._api_key}"
        if not (self._access_key and self._secret_key):
            raise errors.AuthFailed(f"Kling is not configured: {CHECK_KEYS}.")
        now = self._clock()
        if fresh or self._token is None or now >= self._token_exp - JWT_REFRESH_MARGIN:
            self._token = kling_jwt(self._access_key, self._secret_key, int(now))
            self._token_exp = int(now) + JWT_LIFETIME
        return f"Bearer {self._token}"

    async def _call(self, method: str, path: str, *, json: dict | None = None, params=None) -> dict:
        """One envelope call; returns `data`. An expired JWT (1004) is re-signed and tried once more."""
        fresh = False
        while True:
            headers = {"Authorization": self._authorization(fresh=fresh), "Content-Type": "application/json"}
            status, body, resp_headers = await request_json(
                self._client, method, self._base + path, backend=self.backend,
                headers=headers, json=json, params=params,
            )  # fmt: skip
            error = envelope_error(status, body, resp_headers)
            if error is None:
                data = body.get("data")
                return data if isinstance(data, dict) else {"items": data}
            if error.code == "1004" and not self._api_key and not fresh:
                fresh = True
                continue
            raise error

    # ---- Provider --------------------------------------------------------------------------------
    def provider_ids(self, model: str, mode: Mode = Mode.TEXT) -> tuple[str, ...]:
        """Kling publishes no model list: the id is only what its "gone" answers are marked on."""
        wire = self._models.get(model)
        return (wire.model_name,) if wire is not None and wire.model_name else ()

    def availability(self, model: str, mode: Mode = Mode.TEXT) -> Availability:
        if mode is Mode.LIPSYNC:  # model-independent (§2.4): any clip Kling can fetch
            return Availability(True)
        wire = self._models.get(model)
        if wire is None:
            if model.startswith("sora-"):
                return Availability(False, f"Kling does not serve {model}.", suggestion="kling-v3-pro")
            return Availability(False, f"Kling does not serve {model}.", suggestion="kling-v3")
        if mode not in wire.modes:
            suggestion = "kling-avatar-pro" if mode is Mode.AVATAR else "kling-o1"
            return Availability(
                False,
                f"{model} on Kling does {', '.join(sorted(m.value for m in wire.modes))}, not {mode.value}.",
                suggestion=suggestion,
            )
        return Availability(True)

    def refusal(self, spec: RenderSpec) -> str | None:
        """What Kling's documents rule out for this request: sound with a video going in, a new
        element from one image, a custom voice from an attached sample."""
        return video_sound_refusal(spec) or element_refusal(spec) or voice_refusal(spec)

    async def submit(self, spec: RenderSpec) -> str:
        """Create the task; the id returned is `<route>:<task id>` so status() knows where to poll."""
        if spec.subjects and route_for(spec, self._models) == OMNI:
            ids = await self._elements_for(spec.subjects)
            subjects = tuple(
                dataclasses.replace(s, element_ids={**s.element_ids, "kling": ids[s.name]})
                for s in spec.subjects
            )
            spec = dataclasses.replace(spec, subjects=subjects)
        if spec.mode is Mode.LIPSYNC:
            return await self._lipsync(spec)
        audio_id = None
        if spec.mode is Mode.AVATAR and spec.script:
            audio_id, _seconds = await self.tts(spec.script, speaking_voice(spec))
        route, body = build_request(spec, audio_id=audio_id, models=self._models)
        data = await self._call("POST", VIDEO_PATH.format(route=route), json=body)
        task_id = data.get("task_id")
        if not task_id:
            raise errors.ProviderError("Kling accepted the request but returned no task id.")
        return f"{route}:{task_id}"

    async def find(self, spec: RenderSpec) -> str | None:
        """Kling looks tasks up by our external_task_id too; "not found" (1203) means none was made."""
        if not spec.external_id:
            return None
        route = route_for(spec, self._models)
        try:
            data = await self._call("GET", VIDEO_PATH.format(route=route) + f"/{spec.external_id}")
        except errors.ProviderError as exc:
            if exc.code == "1203":
                return None
            raise
        task_id = data.get("task_id")
        return f"{route}:{task_id}" if task_id else None

    def split_task_id(self, task_id: str, spec: RenderSpec | None = None) -> tuple[str, str]:
        """(route, Kling task id) from our stored id; a bare id (e.g. from a callback) uses spec's route."""
        route, sep, bare = task_id.rpartition(":")
        if sep and route in ROUTES:
            return route, bare
        if spec is None:
            raise errors.BadRequest(f"Cannot tell which Kling route task {task_id!r} belongs to.")
        return route_for(spec, self._models), task_id

    async def status(self, task_id: str, spec: RenderSpec) -> TaskStatus:
        route, bare = self.split_task_id(task_id, spec)
        data = await self._call("GET", VIDEO_PATH.format(route=route) + f"/{bare}")
        return task_status(data)

    async def status_many(self, tasks: Sequence[tuple[str, RenderSpec]]) -> dict[str, TaskStatus]:
        """One `GET /tasks?task_ids=…` for the lot; a task it does not report is asked on its own
        route, so a batch never loses a task."""
        bare_ids = {self.split_task_id(task_id, spec)[1]: task_id for task_id, spec in tasks}
        data = await self._call("GET", TASKS_PATH, params={TASKS_PARAM: ",".join(bare_ids)})
        found: dict[str, TaskStatus] = {}
        for record in data.get("items") or ():
            ours = bare_ids.get(str(record.get("id") or "")) if isinstance(record, dict) else None
            if ours is not None:
                found[ours] = batch_task_status(record)
        for task_id, spec in tasks:
            if task_id in found:
                continue
            try:
                found[task_id] = await self.status(task_id, spec)
            except errors.Retryable:
                continue  # left out: the poller asks about it again, the others are answered
            except errors.ProviderError as exc:  # this task only (not found, say), not its batch
                found[task_id] = TaskStatus(TaskState.FAILED, error=exc)
        return found

    async def download(self, task_id: str, status: TaskStatus, dest: Path) -> int:
        if not status.result_url:
            raise errors.ProviderError("Kling reported no result URL for this clip.")
        # The result lives on Kling's CDN: it gets no Authorization header (it would leak the token).
        return await stream_to_file(self._client, status.result_url, dest, backend=self.backend)

    def parse_callback(self, headers: Mapping[str, str], raw: bytes) -> str | None:
        found = callback_ids(signed_json(raw, headers, self._webhook_secret))
        return found[0] if found else None

    async def check(self) -> list[str]:
        try:
            await self._call("GET", CHECK_PATH, params=CHECK_PARAMS)
        except errors.ProviderError as exc:
            return [exc.message]
        return []

    # ---- elements and speech ----------------------------------------------------------------------
    async def ensure_elements(self, spec: RenderSpec) -> dict[str, str]:
        """Elements for the subjects of a spec on the omni route, the only one that takes them (an
        avatar's portrait goes as an image; a lip-sync's subject only lends its voice)."""
        if (
            not spec.subjects
            or spec.mode in (Mode.AVATAR, Mode.LIPSYNC)
            or route_for(spec, self._models) != OMNI
        ):
            return {}
        return await self._elements_for(spec.subjects)

    async def _elements_for(self, subjects: Sequence[SubjectRef]) -> dict[str, str]:
        """Subject name -> Kling element id, creating the ones that have none (bounded wait)."""
        ids: dict[str, str] = {}
        for subject in subjects:
            known = subject.element_ids.get("kling")
            if known:
                ids[subject.name] = known
                continue
            key = (
                "element",
                subject.subject_id,
                subject.name,
                tuple((i.url, i.path) for i in subject.images),
            )
            ids[subject.name] = await self._once(key, functools.partial(self._create_element, subject))
        return ids

    async def _once(self, key: tuple, make: Callable[[], Awaitable[str]]) -> str:
        async with self._making.setdefault(key, asyncio.Lock()):
            if key not in self._made:
                self._made[key] = await make()
        return self._made[key]

    async def _create_element(self, subject: SubjectRef) -> str:
        return await self._made_by_task(
            ELEMENTS_PATH,
            element_body(subject),
            ("task_result", "elements", 0, "element_id"),
            what="the subject",
            failed=task_failure,
            too_slow=f"to prepare subject {subject.name!r}",
        )

    async def _made_by_task(
        self,
        path: str,
        body: dict,
        found_at: tuple,
        *,
        what: str,
        failed: Callable[[str], Exception],
        too_slow: str,
    ) -> str:
        """POST `body` to `path`, then poll `path/<task_id>` until the id at `found_at` appears
        (bounded by the element wait): Kling's elements and custom voices are both made this way."""
        data = await self._call("POST", path, json=body)
        task_id = data.get("task_id")
        if not task_id:
            raise errors.ProviderError(f"Kling accepted {what} but returned no task id.")
        waited = 0.0
        while True:
            found = dig(data, found_at)
            if found is not None:
                return str(found)
            if data.get("task_status") == "failed":
                raise failed(str(data.get("task_status_msg") or ""))
            if waited >= self._element_wait:
                raise errors.Timeout(f"Kling took longer than {self._element_wait:.0f} s {too_slow}.")
            await asyncio.sleep(self._element_poll)
            waited += max(self._element_poll, 0.001)  # count polls even with a zero interval in tests
            data = await self._call("GET", f"{path}/{task_id}")

    async def tts(self, text: str, voice_id: str | None = None) -> tuple[str, float | None]:
        """Speak `text` with Kling's TTS (in a custom voice when given); return the audio id the
        avatar and lip-sync routes take, and its seconds when Kling says them."""
        data = await self._call("POST", TTS_PATH, json=tts_body(text, voice_id))
        found = dig(data, TTS_AUDIO_ID_PATH)
        if found:
            try:
                seconds = float(dig(data, TTS_SECONDS_PATH))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                seconds = None
            return str(found), seconds
        if data.get("task_status") == "failed":
            raise task_failure(str(data.get("task_status_msg") or ""))
        raise errors.ProviderError("Kling's speech answer carried no audio id.")

    # ---- lip-sync and custom voices ------------------------------------------------------------------
    async def _lipsync(self, spec: RenderSpec) -> str:
        """Find the clip's one face, speak the script (if any), then lip-sync: the paid step comes
        last, so a clip without exactly one face costs only the face look-up."""
        faces = await self._call("POST", FACES_PATH, json=face_source(spec))
        face = one_face(faces)
        audio_id, seconds = None, spec.speech_seconds
        if spec.script:
            audio_id, said = await self.tts(spec.script, speaking_voice(spec))
            seconds = said or seconds
        if not seconds:
            raise errors.BadRequest("The lip-sync's speech has no known length.")
        body = lipsync_body(spec, faces["session_id"], face, round(seconds * 1000), audio_id=audio_id)
        data = await self._call("POST", VIDEO_PATH.format(route=LIPSYNC), json=body)
        task_id = data.get("task_id")
        if not task_id:
            raise errors.ProviderError("Kling accepted the lip-sync but returned no task id.")
        return f"{LIPSYNC}:{task_id}"

    async def ensure_voices(self, spec: RenderSpec) -> dict[str, str]:
        """Custom voices for the spec's subjects that have a sample and no Kling voice yet, where
        the spec speaks in one: a script (avatar, lip-sync) or 2.6 image-to-video's voice_list."""
        if not uses_voices(spec, self._models):
            return {}
        ids: dict[str, str] = {}
        for subject in spec.subjects:
            if subject.voice is None:
                continue
            known = subject.voice_ids.get("kling")
            if known:
                ids[subject.name] = known
                continue
            key = ("voice", subject.subject_id, subject.name, subject.voice.url, subject.voice.path)
            ids[subject.name] = await self._once(key, functools.partial(self._create_voice, subject))
        return ids

    async def _create_voice(self, subject: SubjectRef) -> str:
        def failed(reason: str) -> Exception:
            return errors.ProviderError(
                f"Kling could not make {subject.name}'s voice from the sample: {reason or 'no reason given'}. "
                f"Give a 5 to 30 s sample of one clean voice with `/video subject voice {subject.name}`."
            )

        return await self._made_by_task(
            VOICES_PATH,
            voice_body(subject),
            VOICE_ID_PATH,
            what="the voice sample",
            failed=failed,
            too_slow=f"to make {subject.name}'s voice",
        )


def task_status(data: dict) -> TaskStatus:
    """TaskStatus from a legacy task record (poll answer `data`, or a callback body)."""
    word = str(data.get("task_status") or "")
    state = STATES.get(word)
    if state is None:
        raise errors.Unavailable(f"Kling reported an unknown task status {word!r}.")
    if state is TaskState.FAILED:
        return TaskStatus(state, error=task_failure(str(data.get("task_status_msg") or "")))
    if state is TaskState.SUCCEEDED:
        url = dig(data, ("task_result", "videos", 0, "url"))
        if not url:
            return TaskStatus(TaskState.FAILED, error=errors.ProviderError("Kling finished without a video."))
        return TaskStatus(state, result_url=str(url))
    return TaskStatus(state)


def batch_task_status(record: dict) -> TaskStatus:
    """TaskStatus from a new-standard task record (one item of the /tasks answer)."""
    word = str(record.get("status") or "")
    state = NEW_STATES.get(word)
    if state is None:
        raise errors.Unavailable(f"Kling reported an unknown task status {word!r}.")
    if state is TaskState.FAILED:
        return TaskStatus(state, error=task_failure(str(record.get("message") or "")))
    if state is TaskState.SUCCEEDED:
        outputs = record.get("outputs") or ()
        url = next((o.get("url") for o in outputs if isinstance(o, dict) and o.get("type") == "video"), None)
        if not url:
            return TaskStatus(TaskState.FAILED, error=errors.ProviderError("Kling finished without a video."))
        return TaskStatus(state, result_url=str(url))
    return TaskStatus(state)


def callback_ids(body: object) -> tuple[str, str | None] | None:
    """(task id, external_task_id) from a callback body, legacy (`task_id`) or new (`id`) shape."""
    if not isinstance(body, dict):
        return None
    if body.get("task_id"):
        info = body.get("task_info")
        if not isinstance(info, dict):
            info = {}
        external = info.get("external_task_id") or None
        return str(body["task_id"]), None if external is None else str(external)
    if body.get("id"):
        external = body.get("external_id") or body.get("external_task_id") or None
        return str(body["id"]), None if external is None else str(external)
    return None

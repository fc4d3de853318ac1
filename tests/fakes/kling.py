"""A stand-in for Kling's legacy `/v1/...` API over real HTTP on 127.0.0.1, following
Kling's API docs (envelope, auth, body checks, task lifecycle), with hooks for error paths.

    async with FakeKling(polls_to_finish=2) as fake:
        provider = KlingProvider(client, base_url=fake.url, api_key=fake.api_key)
        fake.fail_next_create(code=1303, http=429)      # next create answers 429 / 1303
        fake.refuse_next_task()                          # next task ends failed (risk control)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field

import httpx
from aiohttp import web

from tests.fakes.kling_checks import CHECKS, Reject, check_contract, check_element, check_tts_language
from tests.fakes.kling_media import fetched_media, media_seconds
from tests.fakes.mp4 import sample_mp4

ROUTES = (
    "text2video",
    "image2video",
    "omni-video",
    "avatar/image2video",
    "motion-control",
    "advanced-lip-sync",
)
STOCK_VOICES = {"oversea_male1": "en", "genshin_vindi2": "zh"}  # TTS voice ids the stand-in knows
BODY = web.RequestKey("body", dict)
AUTH = web.RequestKey("auth", str)
DUPLICATE_EXTERNAL_ID_CODE = 1201


@dataclass
class Task:
    id: str
    route: str
    body: dict
    polls: int = 0
    refuse: str | None = None
    status: str = "submitted"
    created_at: int = field(default_factory=lambda: int(time.time() * 1000))


@dataclass
class Recorded:
    method: str
    path: str
    json: dict | None
    headers: dict[str, str]  # without Authorization
    auth: str  # "api_key" | "jwt" | "none" | "bad"


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_webhook(raw: bytes, secret: str, *, msg_id: str, timestamp: int) -> dict[str, str]:
    """Standard Webhooks headers; bot.providers.webhooks' signer is used when it exists."""
    try:
        from bot.providers.webhooks import sign_standard_webhook
    except ImportError:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + raw, hashlib.sha256).digest()
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": "v1," + base64.b64encode(mac).decode(),
        }
    return sign_standard_webhook(raw, secret, msg_id=msg_id, timestamp=timestamp)


class FakeKling:
    def __init__(
        self,
        *,
        api_key: str = "kling-test-key",
        access_key: str = "kling-test-ak",
        secret_key: str = "kling-test-sk",
        polls_to_finish: int = 2,
        element_polls: int = 1,
    ) -> None:
        self.api_key, self.access_key, self.secret_key = api_key, access_key, secret_key
        self.polls_to_finish = polls_to_finish  # polls in `processing` before `succeed`
        self.element_polls = element_polls  # element polls before its id appears
        self.never_finish = False
        self.requests: list[Recorded] = []
        self.creates: list[tuple[str, dict]] = []  # (route, body) of accepted video creates
        self.polls = 0  # status requests, per task or batch (one /tasks call counts once)
        self.batch_polls: list[int] = []  # ids asked in each /tasks call
        # Whether /tasks reports tasks made on the legacy routes (UNCONFIRMED at Kling)
        self.tasks_reports_legacy = True
        self.elements_created = 0
        self.tts_calls: list[dict] = []
        self.tasks: dict[str, Task] = {}
        self.elements: dict[str, Task] = {}  # element task id -> task
        self.element_ids: set[str] = set()
        self.audio_ids: set[str] = set()
        self.audio_ms: dict[str, int] = {}  # TTS audio id -> its length
        # lip-sync: the faces identify-face finds, as (start ms, end ms); None = one face, whole clip
        self.faces: list[tuple[int, int]] | None = None
        self.face_sessions: dict[str, dict] = {}  # session id -> {"faces": {id: (start, end)}, "video_ms"}
        self.face_calls: list[dict] = []
        self.voices: dict[str, Task] = {}  # custom-voice task id -> task
        self.voice_ids: set[str] = set()
        self.voice_calls: list[dict] = []
        self.stock_voices = STOCK_VOICES  # TTS voice id -> its language
        self.result_mp4 = None  # the clip every finished task serves (None: a 1 s sample)
        self._create_failures: list[tuple[int, int, str, dict[str, str]]] = []
        self._poll_failures: list[tuple[int, int, str]] = []
        self._refusals: list[str] = []
        self._ids = itertools.count(842250903629086785)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ---- scripting ----------------------------------------------------------------------------
    def fail_next_create(
        self, *, code: int = 1303, http: int = 429, message: str = "", headers: dict[str, str] | None = None
    ) -> None:
        message = message or {1303: "parallel task over resource pack limit"}.get(code, f"error {code}")
        self._create_failures.append((http, code, message, headers or {}))

    def out_of_balance(self) -> None:
        self.fail_next_create(code=1102, http=429, message="resource pack exhausted")

    def refuse_next_task(self, msg: str = "Failure to pass the risk control system") -> None:
        self._refusals.append(msg)

    def fail_next_poll(self, *, http: int = 500, code: int = 5000, message: str = "internal error") -> None:
        self._poll_failures.append((http, code, message))

    def complete(self, task_id: str) -> None:
        """Finish a task now (for callback scenarios)."""
        self.tasks[task_id].status = "succeed"

    # ---- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(middlewares=[self._middleware])
        for route in ROUTES:
            app.router.add_post(f"/v1/videos/{route}", self._create_video)
            app.router.add_get(f"/v1/videos/{route}", self._list)
            app.router.add_get(f"/v1/videos/{route}/{{id}}", self._poll_video)
        app.router.add_post("/v1/general/advanced-custom-elements", self._create_element)
        app.router.add_get("/v1/general/advanced-custom-elements/{id}", self._poll_element)
        app.router.add_post("/v1/audio/tts", self._tts)
        app.router.add_post("/v1/videos/identify-face", self._identify_face)
        app.router.add_post("/v1/general/custom-voices", self._create_voice)
        app.router.add_get("/v1/general/custom-voices/{id}", self._poll_voice)
        app.router.add_get("/tasks", self._query_tasks)
        app.router.add_get("/results/{name}", self._result)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self.url

    async def close(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeKling:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # ---- envelope and auth ------------------------------------------------------------------------
    @staticmethod
    def envelope(
        data: object = None, *, code: int = 0, message: str = "SUCCEED", http: int = 200, headers=None
    ):
        body = {"code": code, "message": message, "request_id": str(uuid.uuid4()), "data": data}
        return web.json_response(body, status=http, headers=headers)

    def _auth_kind(self, header: str) -> tuple[str, Reject | None]:
        if not header.startswith("Bearer ") or not header[7:].strip():
            return "none", Reject(401, 1001, "Authorization header is empty")
        token = header[7:].strip()
        if hmac.compare_digest(token, self.api_key):
            return "api_key", None
        parts = token.split(".")
        if len(parts) != 3:
            return "bad", Reject(401, 1002, "Authorization is invalid")
        mac = hmac.new(self.secret_key.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            header_json, claims = json.loads(_b64url_decode(parts[0])), json.loads(_b64url_decode(parts[1]))
            signature = _b64url_decode(parts[2])
        except ValueError:
            return "bad", Reject(401, 1002, "Authorization is invalid")
        if header_json != {"alg": "HS256", "typ": "JWT"} or not hmac.compare_digest(mac, signature):
            return "bad", Reject(401, 1000, "Authentication failed")
        if claims.get("iss") != self.access_key:
            return "bad", Reject(401, 1000, "Authentication failed")
        now = time.time()
        if now >= claims.get("exp", 0):
            return "bad", Reject(401, 1004, "Authorization is expired")
        if now < claims.get("nbf", 0):
            return "bad", Reject(401, 1003, "Authorization is not yet valid")
        return "jwt", None

    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        if request.path.startswith("/results/"):
            return await handler(request)
        body = None
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                return self.envelope(code=1200, message="request body is not JSON", http=400)
        kind, reject = self._auth_kind(request.headers.get("Authorization", ""))
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        self.requests.append(Recorded(request.method, request.path, body, headers, kind))
        if reject:
            return self.envelope(code=reject.code, message=reject.message, http=reject.http)
        request[BODY] = body
        request[AUTH] = kind
        try:
            return await handler(request)
        except Reject as r:
            return self.envelope(code=r.code, message=r.message, http=r.http)

    # ---- videos ---------------------------------------------------------------------------------------
    async def _create_video(self, request: web.Request) -> web.Response:
        if self._create_failures:
            http, code, message, headers = self._create_failures.pop(0)
            return self.envelope(code=code, message=message, http=http, headers=headers)
        route = request.path.removeprefix("/v1/videos/")
        body = request[BODY]
        CHECKS[route](self, body)
        if route == "advanced-lip-sync":
            await self._check_lipsync_sound(body)
        external = body.get("external_task_id")
        if external and any(t.body.get("external_task_id") == external for t in self.tasks.values()):
            # unique per account; the code is UNCONFIRMED, the message is Kling's
            raise Reject(400, DUPLICATE_EXTERNAL_ID_CODE, "external_task_id already exists")
        task = Task(str(next(self._ids)), route, body)
        if self._refusals:
            task.refuse = self._refusals.pop(0)
        self.tasks[task.id] = task
        self.creates.append((route, body))
        return self.envelope(self._record(task))

    async def _poll_video(self, request: web.Request) -> web.Response:
        self.polls += 1
        if self._poll_failures:
            http, code, message = self._poll_failures.pop(0)
            return self.envelope(code=code, message=message, http=http)
        route = request.path.removeprefix("/v1/videos/").rsplit("/", 1)[0]
        wanted = request.match_info["id"]
        task = self.tasks.get(wanted) or next(
            (t for t in self.tasks.values() if t.body.get("external_task_id") == wanted), None
        )
        if task is None or task.route != route:
            raise Reject(404, 1203, "task not found")
        self._advance(task)
        return self.envelope(self._record(task))

    def _advance(self, task: Task) -> None:
        if task.status in ("succeed", "failed"):
            return
        if self.never_finish:
            task.status = "processing"
            return
        task.polls += 1
        if task.refuse is not None:
            task.status = "failed"
        elif task.polls > self.polls_to_finish:
            task.status = "succeed"
        else:
            task.status = "processing"

    def _record(self, task: Task) -> dict:
        """The task record as Kling returns it in `data` and in callbacks."""
        record = {
            "task_id": task.id,
            "task_status": task.status,
            "task_status_msg": task.refuse if task.status == "failed" else "",
            "task_info": {"external_task_id": task.body.get("external_task_id", "")},
            "created_at": task.created_at,
            "updated_at": int(time.time() * 1000),
        }
        if task.route == "advanced-lip-sync":
            session = self.face_sessions[task.body["session_id"]]
            record["task_info"]["parent_video"] = {"id": "", "url": session["video_url"], "duration": ""}
        if task.status == "succeed":
            record["task_result"] = {
                "videos": [
                    {"id": f"v{task.id}", "url": f"{self.url}/results/{task.id}.mp4", "duration": "1.0"}
                ]
            }
            record["final_unit_deduction"] = "5"
        return record

    async def _query_tasks(self, request: web.Request) -> web.Response:
        """The new standard's unified query: API key only, `task_ids` or `external_task_ids`
        (comma lists, not both), unknown ids left out of `data`."""
        if request[AUTH] != "api_key":
            raise Reject(401, 1000, "Authentication failed")
        ids, externals = request.query.get("task_ids"), request.query.get("external_task_ids")
        if not ids and not externals:
            raise Reject(400, 1201, "task_ids or external_task_ids is required")
        if ids and externals:
            raise Reject(400, 1201, "task_ids and external_task_ids cannot be used together")
        self.polls += 1
        if self._poll_failures:
            http, code, message = self._poll_failures.pop(0)
            return self.envelope(code=code, message=message, http=http)
        wanted = [w for w in (ids or externals or "").split(",") if w]
        self.batch_polls.append(len(wanted))
        records = []
        for want in wanted:
            task = (
                self.tasks.get(want)
                if ids
                else next((t for t in self.tasks.values() if t.body.get("external_task_id") == want), None)
            )
            if task is None or not self.tasks_reports_legacy:
                continue
            self._advance(task)
            records.append(self._new_record(task))
        return self.envelope(records)

    def _new_record(self, task: Task) -> dict:
        """A task as the new standard reports it (`id`, `status` succeeded, `outputs`)."""
        status = {"succeed": "succeeded"}.get(task.status, task.status)
        record = {
            "id": task.id,
            "status": status,
            "message": task.refuse if status == "failed" else "",
            "create_time": task.created_at,
            "update_time": int(time.time() * 1000),
            "external_id": task.body.get("external_task_id", ""),
        }
        if status == "succeeded":
            url = f"{self.url}/results/{task.id}.mp4"
            record["outputs"] = [{"type": "video", "id": f"v{task.id}", "url": url, "duration": "1.0"}]
            record["billing"] = [{"charge_type": "unit", "amount": "5", "package_type": "video"}]
        return record

    async def _list(self, request: web.Request) -> web.Response:
        route = request.path.removeprefix("/v1/videos/")
        size = int(request.query.get("pageSize", "30"))
        records = [self._record(t) for t in self.tasks.values() if t.route == route][:size]
        return self.envelope(records)

    async def _result(self, request: web.Request) -> web.StreamResponse:
        task_id = request.match_info["name"].removesuffix(".mp4")
        task = self.tasks.get(task_id)
        if task is None or task.status != "succeed":
            return web.Response(status=404, text="not found")
        return web.FileResponse(self.result_mp4 or sample_mp4(), headers={"Content-Type": "video/mp4"})

    # ---- elements and TTS ---------------------------------------------------------------------------
    async def _create_element(self, request: web.Request) -> web.Response:
        body = request[BODY]
        check_element(body)
        task = Task(str(next(self._ids)), "element", body)
        self.elements[task.id] = task
        self.elements_created += 1
        return self.envelope(self._element_record(task))

    async def _poll_element(self, request: web.Request) -> web.Response:
        task = self.elements.get(request.match_info["id"])
        if task is None:
            raise Reject(404, 1203, "task not found")
        task.polls += 1
        if task.polls >= self.element_polls:
            task.status = "succeed"
        return self.envelope(self._element_record(task))

    def _element_record(self, task: Task) -> dict:
        record: dict = {"task_id": task.id, "task_status": task.status, "task_status_msg": ""}
        if task.status == "succeed":
            element_id = str(int(task.id) % 100000)
            self.element_ids.add(element_id)
            record["task_result"] = {"elements": [{"element_id": int(element_id), "status": "succeed"}]}
        return record

    async def _tts(self, request: web.Request) -> web.Response:
        # Kling's TTS doc: text <= 1000, voice_id, voice_language zh|en (required), voice_speed 0.8-2.0
        body = request[BODY]
        check_contract("tts", body)
        voice = body["voice_id"]
        if voice not in STOCK_VOICES and voice not in self.voice_ids:
            raise Reject(400, 1201, f"voice_id {voice!r} does not exist")
        check_tts_language(self, body)
        self.tts_calls.append(body)
        audio_id = f"audio-{next(self._ids)}"
        self.audio_ids.add(audio_id)
        # about 2.5 words a second, as a person speaks; Kling answers the length in seconds
        seconds = max(1.0, round(len(body["text"].split()) / 2.5, 1))
        self.audio_ms[audio_id] = int(seconds * 1000)
        audio = {"id": audio_id, "url": f"{self.url}/results/{audio_id}.mp3", "duration": str(seconds)}
        data = {"task_id": audio_id, "task_status": "succeed", "task_result": {"audios": [audio]}}
        return self.envelope(data)

    # ---- lip-sync and custom voices ------------------------------------------------------------------
    async def _identify_face(self, request: web.Request) -> web.Response:
        body = request[BODY]
        check_contract("identify-face", body)
        self.face_calls.append(body)
        if "video_id" in body:
            raise Reject(400, 1201, "video_id is not a video of this account")
        # Kling fetches the clip and checks it: mp4/mov, <= 100 MB, 2-60 s, 512-2160 px a side
        async with fetched_media(body["video_url"], max_bytes=100 * 1024 * 1024) as path:
            info = media_seconds(path, video=True)
        if info is None:
            raise Reject(400, 1201, "video_url is not a readable mp4/mov video")
        seconds, width, height = info
        if not 2 <= seconds <= 60:
            raise Reject(400, 1201, f"video duration {seconds:.1f}s is out of range [2, 60]")
        if not (512 <= min(width, height) and max(width, height) <= 2160):
            raise Reject(400, 1201, f"video resolution {width}x{height} is out of range")
        video_ms = int(seconds * 1000)
        spans = self.faces if self.faces is not None else [(0, video_ms)]
        session = str(next(self._ids))
        faces = {str(n): span for n, span in enumerate(spans)}
        self.face_sessions[session] = {"faces": faces, "video_ms": video_ms, "video_url": body["video_url"]}
        face_data = [
            {
                "face_id": fid,
                "face_image": f"{self.url}/results/face-{fid}.png",
                "start_time": a,
                "end_time": b,
            }
            for fid, (a, b) in faces.items()
        ]
        return self.envelope({"session_id": session, "final_unit_deduction": "0.05", "face_data": face_data})

    async def _check_lipsync_sound(self, body: dict) -> None:
        """The sound's rules Kling checks: 2-60 s, crop >= 2 s within it, inside the clip, >= 2 s on the face."""
        session = self.face_sessions[body["session_id"]]
        (choice,) = body["face_choose"]
        if "audio_id" in choice:
            total = self.audio_ms[choice["audio_id"]]
        else:
            async with fetched_media(choice["sound_file"], max_bytes=5 * 1024 * 1024) as path:
                info = media_seconds(path, video=False)
            if info is None:
                raise Reject(400, 1201, "sound_file is not mp3/wav/m4a/aac audio")
            total = int(info[0] * 1000)
        if not 2000 <= total <= 60000:
            raise Reject(400, 1201, f"audio duration {total}ms is out of range [2000, 60000]")
        start, end, insert = choice["sound_start_time"], choice["sound_end_time"], choice["sound_insert_time"]
        if end > total or end - start < 2000:
            raise Reject(400, 1201, "the cropped sound must lie within the audio and last at least 2s")
        if insert + (end - start) > session["video_ms"]:
            raise Reject(400, 1201, "the inserted sound ends after the video")
        face_start, face_end = session["faces"][choice["face_id"]]
        if min(face_end, insert + end - start) - max(face_start, insert) < 2000:
            raise Reject(400, 1201, "the inserted sound must overlap the face for at least 2s")

    async def _create_voice(self, request: web.Request) -> web.Response:
        body = request[BODY]
        check_contract("custom-voice", body)
        if "video_id" in body:
            raise Reject(400, 1201, "video_id is not a video of this account")
        if not body["voice_url"].startswith(("http://", "https://")):  # "the URL of voice data file"
            raise Reject(400, 1201, "voice_url must be the URL of the voice file")
        async with fetched_media(body["voice_url"], max_bytes=20 * 1024 * 1024) as path:
            info = media_seconds(path, video=False)
        if info is None:
            raise Reject(400, 1201, "voice_url is not an mp3/wav/mp4/mov file")
        if not 5 <= info[0] <= 30:
            raise Reject(400, 1201, f"voice duration {info[0]:.1f}s is out of range [5, 30]")
        self.voice_calls.append(body)
        task = Task(str(next(self._ids)), "voice", body)
        self.voices[task.id] = task
        return self.envelope(self._voice_record(task))

    async def _poll_voice(self, request: web.Request) -> web.Response:
        task = self.voices.get(request.match_info["id"])
        if task is None:
            raise Reject(404, 1203, "task not found")
        task.polls += 1
        if task.polls >= self.element_polls:
            task.status = "succeed"
        return self.envelope(self._voice_record(task))

    def _voice_record(self, task: Task) -> dict:
        record: dict = {"task_id": task.id, "task_status": task.status, "task_status_msg": ""}
        if task.status == "succeed":
            voice_id = f"8{task.id[-12:]}"
            self.voice_ids.add(voice_id)
            voice = {
                "voice_id": voice_id,
                "voice_name": task.body["voice_name"],
                "trial_url": "",
                "owned_by": "u1",
            }
            record["task_result"] = {"voices": [voice]}
        return record

    # ---- callbacks --------------------------------------------------------------------------------
    async def send_callback(self, task_id: str, *, url: str | None = None, secret: str | None = None) -> int:
        """POST the task's record (no envelope) to its callback_url, signed when `secret` is given."""
        task = self.tasks[task_id]
        target = url or task.body.get("callback_url")
        if not target:
            raise ValueError(f"task {task_id} has no callback_url")
        raw = json.dumps(self._record(task)).encode()
        headers = {"Content-Type": "application/json"}
        if secret:
            headers |= sign_webhook(raw, secret, msg_id=f"msg_{uuid.uuid4().hex}", timestamp=int(time.time()))
        async with httpx.AsyncClient() as client:
            response = await client.post(target, content=raw, headers=headers)
        return response.status_code

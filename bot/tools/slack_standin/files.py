"""File hosting in the Slack stand-in: upload URLs, streamed uploads, private downloads, files.* methods."""

from __future__ import annotations

import hashlib
import mimetypes
import secrets
import time
from pathlib import Path

from aiohttp import web

from bot.tools.slack_standin.records import _LOGIN_PAGE, StandInState, StoredFile, _random_id


class FileHosting(StandInState):
    """Mixed into SlackStandIn: files a user shared and files the bot uploads, kept on disk."""

    def file_object(self, file_id: str) -> dict:
        f = self.files[file_id]
        private = f"{self.base_url}/files-pri/{self.team_id}-{f.file_id}/{f.name}"
        now = int(time.time())
        obj = {
            "id": f.file_id, "created": now, "timestamp": now, "name": f.name, "title": f.title,
            "mimetype": f.mimetype, "filetype": Path(f.name).suffix.lstrip(".").lower(),
            "pretty_type": Path(f.name).suffix.lstrip(".").upper(), "user": f.user, "editable": False,
            "size": f.size, "mode": "hosted", "is_external": False, "external_type": "", "is_public": False,
            "public_url_shared": False, "display_as_bot": False, "username": "",
            "url_private": private,
            "url_private_download": f"{self.base_url}/files-pri/{self.team_id}-{f.file_id}/download/{f.name}",
            "permalink": f"{self.base_url}/files/{f.user}/{f.file_id}/{f.name}",
            "has_rich_preview": False,
        }  # fmt: skip
        if f.shares:
            obj["shares"] = {"public": f.shares}
            obj["channels"] = list(f.shares)
        return obj

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        file_id = self._upload_tickets.get(request.match_info["token"])
        params = {**request.query, "file_id": file_id}
        scripted = self._scripted("upload")
        stored = self.files.get(file_id or "")
        if scripted is None and stored is None:
            await self._record(request, "upload", params, 0)
            return web.Response(status=404, text="Not Found", content_type="text/plain")
        if scripted is None and stored is not None and stored.path is not None:
            await self._record(request, "upload", params, 0)
            return web.Response(status=400, text="upload already received", content_type="text/plain")
        size, digest = await self._stream_to_disk(request, file_id or "rejected")
        await self._record(request, "upload", params, size)
        if scripted is not None:
            return scripted
        assert stored is not None
        if size != stored.declared_length:
            return web.Response(status=400, text=f"length {size} != declared {stored.declared_length}")
        stored.path, stored.size, stored.sha256 = self._dir() / stored.file_id, size, digest
        return web.Response(text=f"OK - {size}", content_type="text/plain")

    async def _stream_to_disk(self, request: web.Request, file_id: str) -> tuple[int, str]:
        """Write the body (raw bytes, or the first file part of a multipart form) to disk in chunks."""
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            part = await reader.next()
            while part is not None and not getattr(part, "filename", None):
                part = await reader.next()
            chunks = part.read_chunk if part is not None else None  # type: ignore[union-attr]
        else:
            chunks = request.content.read
        digest, size = hashlib.sha256(), 0
        with open(self._dir() / file_id, "wb") as out:
            while chunks is not None and (chunk := await chunks(256 * 1024)):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        return size, digest.hexdigest()

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["team_file"].rpartition("-")[2]
        auth = request.headers.get("Authorization", "")
        await self._record(request, "files.download", {"file": file_id, "path": request.path}, 0)
        scripted = self._scripted("files.download")
        if scripted is not None:
            return scripted
        if not auth.startswith(f"Bearer {self.token_prefix}"):
            return web.Response(text=_LOGIN_PAGE, content_type="text/html")
        stored = self.files.get(file_id)
        if stored is None or stored.path is None:
            return web.Response(status=404, text="file not found", content_type="text/plain")
        return web.FileResponse(stored.path, headers={"Content-Type": stored.mimetype})

    def _get_upload_url(self, params: dict) -> dict:
        filename, length = params.get("filename"), str(params.get("length", ""))
        if not filename or not length.isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id, ticket = _random_id("F"), secrets.token_urlsafe(12)
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        self.files[file_id] = StoredFile(
            file_id, filename, filename, mimetype, int(length), user=self.bot_user_id
        )
        self._upload_tickets[ticket] = file_id
        return {"ok": True, "upload_url": f"{self.base_url}/upload/v1/{ticket}", "file_id": file_id}

    def _complete_upload(self, params: dict) -> dict:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            return {"ok": False, "error": "invalid_arguments"}
        for entry in entries:
            stored = self.files.get(entry.get("id", ""))
            if stored is None or stored.path is None or stored.user != self.bot_user_id:
                return {"ok": False, "error": "file_not_found"}
            if stored.completed:
                return {"ok": False, "error": "upload_already_completed"}
        channels = params.get("channels") or ""
        channel = (
            params.get("channel_id") or (channels.split(",") if isinstance(channels, str) else channels)[0]
        )
        thread_ts = params.get("thread_ts")
        if thread_ts and not channel:
            return {"ok": False, "error": "invalid_arguments"}
        for entry in entries:
            stored = self.files[entry["id"]]
            stored.completed, stored.title = True, entry.get("title") or stored.name
        if channel:
            message = {**self._bot_message({"text": params.get("initial_comment", "")}), "upload": True}
            message.update(subtype="file_share", files=[])
            message = self._store(channel, message, thread_ts)
            share = {"ts": message["ts"], "channel_name": channel, "team_id": self.team_id}
            for entry in entries:
                self.files[entry["id"]].shares[channel] = [
                    {**share, **({"thread_ts": thread_ts} if thread_ts else {})}
                ]
                message["files"].append(self.file_object(entry["id"]))
        return {"ok": True, "files": [{"id": e["id"], "title": self.files[e["id"]].title} for e in entries]}

    def _files_info(self, params: dict) -> dict:
        if params.get("file") not in self.files:
            return {"ok": False, "error": "file_not_found"}
        meta = {"next_cursor": ""}
        return {
            "ok": True,
            "file": self.file_object(params["file"]),
            "comments": [],
            "response_metadata": meta,
        }

"""The three-step upload behind `files_upload_v2`, and downloads of what was uploaded."""

from __future__ import annotations

import mimetypes
from typing import Any

from aiohttp import web

from sandbox.slack.chat_methods import message_content
from sandbox.slack.faults import UPLOAD
from sandbox.slack.messages import bot_message
from sandbox.slack.state import SlackState, UploadedFile
from sandbox.slack.web_api import Handler
from sandbox.slack.workspace import BOT_USER_ID, SlackError


def get_upload_url(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    filename, length = params.get("filename"), str(params.get("length", ""))
    if not filename or not length.isdigit():
        raise SlackError("invalid_arguments")
    upload = UploadedFile(id=state.new_id("F"), filename=str(filename), length=int(length))
    state.files[upload.id] = upload
    return {"ok": True, "upload_url": f"{state.url}/upload/v1/{upload.id}", "file_id": upload.id}


def file_object(state: SlackState, upload: UploadedFile, shares: dict[str, Any]) -> dict[str, Any]:
    mimetype = mimetypes.guess_type(upload.filename)[0] or "text/plain"
    url = f"{state.url}/files/{upload.id}/{upload.filename}"
    return {
        "id": upload.id,
        "created": int(state.now()),
        "timestamp": int(state.now()),
        "name": upload.filename,
        "title": upload.title or upload.filename,
        "mimetype": mimetype,
        "filetype": upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else "text",
        "user": BOT_USER_ID,
        "size": len(upload.content or b""),
        "mode": "hosted",
        "is_external": False,
        "url_private": url,
        "url_private_download": url,
        "permalink": url,
        "shares": shares,
        "channels": [c for kind in shares.values() for c in kind],
    }


def complete_upload(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    entries = params.get("files")
    if not isinstance(entries, list) or not entries:
        raise SlackError("invalid_arguments")
    uploads = []
    for entry in entries:
        upload = state.files.get(str(entry.get("id"))) if isinstance(entry, dict) else None
        if upload is None or upload.content is None:
            raise SlackError("file_not_found")
        uploads.append(upload)
    channel_refs = [params["channel_id"]] if params.get("channel_id") else []
    channel_refs += [c for c in str(params.get("channels", "")).split(",") if c]
    channels = [state.workspace.channel(ref) for ref in channel_refs]
    if any(BOT_USER_ID not in channel.members for channel in channels):
        raise SlackError("not_in_channel")
    comment, _ = message_content({"text": params.get("initial_comment")}, required=False)
    for entry, upload in zip(entries, uploads, strict=True):
        upload.title, upload.completed = entry.get("title") or upload.filename, True
    shares: dict[str, Any] = {}
    for channel in channels:
        ts = state.history.next_ts(state.now())
        thread_ts = params.get("thread_ts") or None
        message = bot_message(channel.id, ts, comment or "", [], thread_ts=thread_ts)
        kind = "private" if channel.is_private or channel.is_im else "public"
        shares.setdefault(kind, {})[channel.id] = [{"ts": ts, "thread_ts": thread_ts, "channel_name": channel.name}]
        message.files = [file_object(state, upload, {}) for upload in uploads]
        state.history.post(message)
        state.emit("reply" if thread_ts else "message", channel=channel.id, message=message)
    return {"ok": True, "files": [file_object(state, upload, shares) for upload in uploads]}


async def receive_upload(state: SlackState, request: web.Request) -> web.Response:
    """Step two: the bytes, posted raw (as slack_sdk does) or as a multipart `file` field."""
    fault = state.faults.before(UPLOAD, {"file_id": request.match_info["file_id"]})
    if fault is not None:
        return web.Response(status=fault.status, text=fault.error or str(fault.status), headers=fault.headers())
    upload = state.files.get(request.match_info["file_id"])
    if upload is None or upload.completed:
        # Slack's upload URL works once, before the upload is completed.
        return web.Response(status=404, text="file_not_found")
    if request.content_type.startswith("multipart/"):
        field = (await request.post()).get("file")
        data = field.file.read() if isinstance(field, web.FileField) else str(field or "").encode()
    else:
        data = await request.read()
    upload.content = data
    state.recorder.changed()
    return web.Response(text=f"OK - {len(data)}")


async def download(state: SlackState, request: web.Request) -> web.Response:
    """`url_private`: the uploaded bytes, for the bot token only, as Slack requires."""
    if request.headers.get("Authorization") != f"Bearer {state.bot_token}":
        return web.Response(status=403, text="forbidden")
    upload = state.files.get(request.match_info["file_id"])
    if upload is None or not upload.completed:
        return web.Response(status=404, text="file_not_found")
    mimetype = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
    return web.Response(body=upload.content, content_type=mimetype)


FILE_METHODS: dict[str, Handler] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
}

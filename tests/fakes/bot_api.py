"""A fake Telegram Bot API, reached by the real python-telegram-bot through an httpx transport.

It checks what Telegram checks (text length after entity parsing, HTML entities, callback data of
1-64 bytes, command names, caption length) and answers the way Telegram answers: 401 for a wrong
token, 400 "chat not found", 403 "bot was blocked by the user", 429 with retry_after, 5xx.

It serves files as Telegram does: a photo or document a user sent (`photo_update`,
`document_update`) is kept under a file_id; `getFile` gives its file_path and file_size (400
"invalid file_id" for an unknown one, "file is too big" over 20 MB), and the file itself is
downloaded from `/file/bot<token>/<file_path>` (404 for an unknown path).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import io
import itertools
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from PIL import Image

from bot.text.markup import check_markup, to_plain

BOT_ID = 7000000001
BOT_USERNAME = "ecsm_test_bot"
FAKE_TOKEN = f"{BOT_ID}:AAFakeTokenForTests_0123456789abcdefXYZ"
# Telegram's getFile serves files up to this size to bots (the cloud Bot API).
GET_FILE_LIMIT = 20 * 1024 * 1024
# The sides of the sizes Telegram makes of a photo (thumbnails up to its 1280 px copy).
PHOTO_SIDES = (90, 320, 800, 1280)


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


@dataclass
class Sent:
    method: str
    chat_id: int
    text: str | None
    params: dict[str, Any]

    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    # What Telegram says the size is (a test may claim a huge file without building one).
    file_size: int


@dataclass
class FakeBotAPI:
    token: str = FAKE_TOKEN
    sent: list[Sent] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Every request refused (method, status, description), scripted failures included.
    refusals: list[tuple[str, int, str]] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    unknown_chats: set[int] = field(default_factory=set)
    migrated: dict[int, int] = field(default_factory=dict)
    # Errors to answer, in order, for the next calls of a method: (status, description, retry).
    scripted: dict[str, deque[tuple[int, str, int | None]]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    enforce_rate_limits: bool = False
    global_per_second: int = 30
    per_chat_per_second: int = 1
    updates: deque[dict[str, Any]] = field(default_factory=deque)
    webhook: dict[str, str] = field(default_factory=dict)
    # An outage: until this time of `clock`, every sendMessage gets the next of these errors.
    down_until: float = 0.0
    down_with: list[tuple[int, str, int | None]] = field(default_factory=list)
    _down_calls: int = 0
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _recent: deque[float] = field(default_factory=deque)
    _recent_by_chat: dict[int, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _new_update: asyncio.Event | None = None
    files: dict[str, StoredFile] = field(default_factory=dict)
    # What the outage and the rate limits are timed by (a test's VirtualTime.monotonic).
    clock: Callable[[], float] = time.monotonic
    # The URL paths of the files downloaded, in order.
    downloads: list[str] = field(default_factory=list)
    _file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- wiring ---------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        for _ in range(times):
            self.scripted[method].append((status, description, retry_after))

    def messages_to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id and s.method == "sendMessage"]

    # --- updates, as a client would produce them ------------------------------------------

    def push_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        if self._new_update is not None:
            self._new_update.set()

    def user(self, user_id: int, language_code: str | None = "en") -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Test"}
        if language_code:
            user["language_code"] = language_code
        return user

    def message_update(
        self,
        user_id: int,
        text: str,
        language_code: str | None = "en",
        chat_type: str = "private",
        entities: list[dict[str, Any]] | None = None,
        forwarded: bool = False,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": chat_type, "first_name": "Test"},
            "from": self.user(user_id, language_code),
            "text": text,
        }
        command = re.match(r"/[A-Za-z0-9_]+(@\w+)?", text)
        if command:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command.group(0))}
            ]
        if entities:
            message["entities"] = entities
        if forwarded:
            message["forward_origin"] = {
                "type": "hidden_user",
                "sender_user_name": "Someone",
                "date": int(time.time()),
            }
        return {"update_id": next(self._update_ids), "message": message}

    def add_file(
        self, content: bytes, folder: str, extension: str, size: int | None = None
    ) -> StoredFile:
        """A file as Telegram keeps one a user sent; `size` claims another size than its own."""
        number = next(self._file_ids)
        stored = StoredFile(
            file_id=f"AgAC{number:08d}{opaque(number)}",
            file_unique_id=f"AQAD{number:06d}",
            file_path=f"{folder}/file_{number}.{extension}",
            content=content,
            file_size=len(content) if size is None else size,
        )
        self.files[stored.file_id] = stored
        return stored

    def photo_update(
        self,
        user_id: int,
        image: bytes,
        caption: str | None = None,
        language_code: str | None = "en",
        forwarded: bool = False,
        size: int | None = None,
    ) -> dict[str, Any]:
        """A photo as Telegram delivers it: an array of PhotoSize, the sizes it made of the
        picture (JPEG, the longer side at most 1280 px), smallest first. `size` claims a size
        for the largest."""
        with Image.open(io.BytesIO(image)) as opened:
            picture = opened.convert("RGB")
            sizes: list[dict[str, Any]] = []
            largest = min(max(picture.size), PHOTO_SIDES[-1])
            sides = [side for side in PHOTO_SIDES if side < largest] + [largest]
            for index, side in enumerate(sides):
                copy = picture.copy()
                copy.thumbnail((side, side), Image.Resampling.LANCZOS)
                buffer = io.BytesIO()
                copy.save(buffer, format="JPEG", quality=87)
                claimed = size if index == len(sides) - 1 else None
                stored = self.add_file(buffer.getvalue(), "photos", "jpg", claimed)
                sizes.append(
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                        "width": copy.width,
                        "height": copy.height,
                        "file_size": stored.file_size,
                    }
                )
        return self._content_update(user_id, language_code, forwarded, caption, photo=sizes)

    def document_update(
        self,
        user_id: int,
        content: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        language_code: str | None = "en",
        forwarded: bool = False,
        size: int | None = None,
    ) -> dict[str, Any]:
        extension = file_name.rsplit(".", 1)[-1]
        stored = self.add_file(content, "documents", extension, size)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": stored.file_size,
        }
        return self._content_update(user_id, language_code, forwarded, caption, document=document)

    def _content_update(
        self,
        user_id: int,
        language_code: str | None,
        forwarded: bool,
        caption: str | None,
        **content: Any,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Test"},
            "from": self.user(user_id, language_code),
            **content,
        }
        if caption is not None:
            message["caption"] = caption
        if forwarded:
            message["forward_origin"] = {
                "type": "hidden_user",
                "sender_user_name": "Someone",
                "date": int(time.time()),
            }
        return {"update_id": next(self._update_ids), "message": message}

    def callback_update(
        self, user_id: int, data: str, language_code: str | None = "en"
    ) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._message_ids)),
                "from": self.user(user_id, language_code),
                "chat_instance": "1",
                "data": data,
                "message": {
                    "message_id": next(self._message_ids),
                    "date": int(time.time()),
                    "chat": {"id": user_id, "type": "private", "first_name": "Test"},
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "ECSM"},
                    "text": "menu",
                },
            },
        }

    # --- the HTTP side --------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        # A local Bot API server may sit under a path of its own (TELEGRAM_API_BASE_URL).
        download = re.fullmatch(r"(?:/.*?)?/file/bot([^/]+)/(.+)", request.url.path)
        if download:
            return self._download(request.url.path, *download.groups())
        match = re.fullmatch(r"(?:/.*)?/bot([^/]+)/(\w+)", request.url.path)
        if not match:
            return _error(404, "Not Found")
        token, method = match.groups()
        if token != self.token:
            return _error(401, "Unauthorized")
        params = _params(request)
        self.calls.append((method, params))
        try:
            if method == "sendMessage" and self.down_with and self.clock() < self.down_until:
                status, description, retry_after = self.down_with[
                    self._down_calls % len(self.down_with)
                ]
                self._down_calls += 1
                raise ApiError(status, description, retry_after)
            scripted = self.scripted.get(method)
            if scripted:
                status, description, retry_after = scripted.popleft()
                raise ApiError(status, description, retry_after)
            handler = getattr(self, f"api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = await handler(params)
        except ApiError as exc:
            self.refusals.append((method, exc.code, exc.description))
            return _error(exc.code, exc.description, exc.retry_after)
        return httpx.Response(200, json={"ok": True, "result": result})

    def _download(self, url_path: str, token: str, path: str) -> httpx.Response:
        if token != self.token:
            return _error(401, "Unauthorized")
        stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            return _error(404, "Not Found")
        self.downloads.append(url_path)
        return httpx.Response(
            200, content=stored.content, headers={"content-type": "application/octet-stream"}
        )

    # --- methods --------------------------------------------------------------------------

    async def api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if stored.file_size > GET_FILE_LIMIT:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    async def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "ECSM",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        return True

    async def api_setWebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url.startswith(("https://", "http://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        secret = str(params.get("secret_token") or "")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret}
        return True

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()
        if not self.updates:
            self._new_update = asyncio.Event()
            timeout = float(params.get("timeout") or 0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout=min(timeout, 1.0))
        return list(self.updates)

    async def api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or not 1 <= len(commands) <= 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        code = params.get("language_code")
        if code is not None and not re.fullmatch(r"[a-z]{2}", code):
            raise ApiError(400, "Bad Request: LANG_CODE_INVALID")
        return True

    async def api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        if len(params.get("text") or "") > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def api_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        if params.get("action") not in {
            "typing",
            "upload_photo",
            "upload_document",
            "record_voice",
            "upload_video",
            "find_location",
        }:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        text = params.get("text")
        if not isinstance(text, str):
            raise ApiError(400, "Bad Request: message text is empty")
        visible = self._entities(text, params.get("parse_mode"))
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(visible) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        self._markup(params.get("reply_markup"))
        self._rate(chat_id)
        self.sent.append(Sent("sendMessage", chat_id, text, params))
        return self._message(chat_id, text=text)

    async def api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        document = params.get("document")
        if not isinstance(document, bytes) or not document:
            raise ApiError(400, "Bad Request: file must be non-empty")
        caption = params.get("caption") or ""
        if len(self._entities(caption, params.get("parse_mode"))) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        self._rate(chat_id)
        self.sent.append(Sent("sendDocument", chat_id, caption, params))
        return self._message(
            chat_id,
            document={
                "file_id": "f1",
                "file_unique_id": "u1",
                "file_name": params.get("_filename", "file"),
            },
        )

    async def api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        photo = params.get("photo")
        if not isinstance(photo, bytes) or not photo:
            raise ApiError(400, "Bad Request: photo must be non-empty")
        if len(photo) > 10 * 1024 * 1024:
            raise ApiError(400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
        caption = params.get("caption") or ""
        if len(self._entities(caption, params.get("parse_mode"))) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        self._rate(chat_id)
        self.sent.append(Sent("sendPhoto", chat_id, caption, params))
        return self._message(
            chat_id, photo=[{"file_id": "p1", "file_unique_id": "pu1", "width": 900, "height": 900}]
        )

    # --- checks ---------------------------------------------------------------------------

    def _chat(self, params: dict[str, Any]) -> int:
        raw = params.get("chat_id")
        try:
            chat_id = int(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        if chat_id in self.unknown_chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat")
        return chat_id

    def _entities(self, text: str, parse_mode: str | None) -> str:
        if parse_mode is None:
            return text
        if parse_mode != "HTML":
            raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
        problem = check_markup(text)
        if problem:
            raise ApiError(400, f"Bad Request: can't parse entities: {problem}")
        return to_plain(re.sub(r'<a\s+href="[^"]*"\s*>', "<a>", text))

    def _markup(self, markup: Any) -> None:
        if markup is None:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed")
                kinds = [k for k in ("callback_data", "url") if k in button]
                if len(kinds) != 1:
                    raise ApiError(400, "Bad Request: can't parse inline keyboard button")
                if "callback_data" in button:
                    size = len(button["callback_data"].encode())
                    if not 1 <= size <= 64:
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                elif not re.match(r"(https?|tg)://", button["url"]):
                    raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")

    def _rate(self, chat_id: int) -> None:
        if not self.enforce_rate_limits:
            return
        now = self.clock()
        for window, limit in (
            (self._recent, self.global_per_second),
            (self._recent_by_chat[chat_id], self.per_chat_per_second),
        ):
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._recent.append(now)
        self._recent_by_chat[chat_id].append(now)

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Test"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "ECSM"},
            **content,
        }


def opaque(number: int) -> str:
    """The opaque tail of a file_id (stable, so that runs compare)."""
    return f"{(number * 2654435761) % 2**32:08x}"


def _error(code: int, description: str, retry_after: int | None = None) -> httpx.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return httpx.Response(code, json=body)


def _decode(value: str) -> Any:
    # PTB sends objects (reply markup, command lists) as JSON strings in form fields.
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _params(request: httpx.Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    body = request.read()
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        params: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            if part.get_filename():
                params[str(name)] = payload
                params["_filename"] = part.get_filename()
            else:
                params[str(name)] = _decode(payload.decode())
        return params
    if content_type.startswith("application/json"):
        return dict(json.loads(body or b"{}"))
    return {k: _decode(v) for k, v in parse_qsl(body.decode(), keep_blank_values=True)}


def asgi_app(api: FakeBotAPI) -> Any:
    """The fake as an HTTP server (for bot processes of their own), with Starlette."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def endpoint(request: Request) -> Response:
        forwarded = httpx.Request(
            request.method,
            str(request.url),
            headers=dict(request.headers),
            content=await request.body(),
        )
        answer = await api.handle(forwarded)
        return Response(
            answer.content,
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type"),
        )

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])

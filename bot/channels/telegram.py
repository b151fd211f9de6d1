"""The Telegram edge: turns updates into the core's Incoming and renders its replies."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable, Sequence
from http.cookiejar import CookieJar
from typing import Any, Protocol, cast

import httpx
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
    WebAppInfo,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, RequestData

from bot.content.catalog import Catalog
from bot.core.messages import Button, Incoming, Reply, finish
from bot.dialogue.router import Dialogue
from bot.http import httpx_kwargs
from bot.metrics import Metrics
from bot.storage.receipt import NotStored, until_stored
from bot.text.markup import split_message

log = logging.getLogger(__name__)

# Commands shown in Telegram's menu, in this order; descriptions are the catalog's command.<name>.
MENU_COMMANDS = (
    "start",
    "help",
    "menu",
    "tip",
    "subscribe",
    "settings",
    "unsubscribe",
    "checklist",
    "quiz",
    "checklink",
    "alerts",
    "privacy",
    "mydata",
    "forget",
    "language",
)


TYPING_AFTER = 0.3  # seconds: quicker answers need no "typing...", and it costs a request
# Telegram's getFile serves files up to 20 MB; OCR_MAX_BYTES may set a lower limit.
GET_FILE_LIMIT = 20 * 1024 * 1024


# The messages of private chats each handler takes (TelegramChannel.install), in this order.
COMMANDS = filters.ChatType.PRIVATE & filters.COMMAND
IMAGES = filters.ChatType.PRIVATE & (filters.PHOTO | filters.Document.IMAGE)
TEXTS = filters.ChatType.PRIVATE & (filters.TEXT | filters.CAPTION)


class Cancellable(Protocol):
    def cancel(self) -> None: ...


# When "typing..." is due: (delay, callback) -> a handle to cancel it. The event loop's timer;
# tests give one they fire themselves, so what they check does not depend on the machine's speed.
TypingSchedule = Callable[[float, Callable[[], None]], Cancellable]


def _loop_timer(delay: float, callback: Callable[[], None]) -> Cancellable:
    return asyncio.get_running_loop().call_later(delay, callback)


class _Typing:
    """Shows "typing..." if the answer is slow in coming (the NLU is busy, say). Most answers
    take a few milliseconds, and then it is never sent: a timer, not a task, waits for it."""

    def __init__(self, bot: Bot, chat_id: int, schedule: TypingSchedule = _loop_timer) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._task: asyncio.Task[object] | None = None
        self._timer = schedule(TYPING_AFTER, self._send)

    def _send(self) -> None:
        self._task = asyncio.create_task(self._typing())

    async def _typing(self) -> None:
        await until_stored()  # nothing reaches Telegram before the update is stored
        await self._bot.send_chat_action(self._chat_id, ChatAction.TYPING)

    async def answered(self) -> None:
        self._timer.cancel()
        if self._task is None:
            return
        # One on its way must arrive before the answer, or it would show after it; a failed
        # one is not worth an error: the answer matters.
        await asyncio.wait([self._task])
        error = self._task.exception()
        if error is not None and not isinstance(error, TelegramError):
            raise error


class TelegramChannel:
    def __init__(
        self,
        dialogue: Dialogue,
        catalog: Catalog,
        metrics: Metrics | None = None,
        max_image_bytes: int = GET_FILE_LIMIT,
        typing_schedule: TypingSchedule = _loop_timer,
    ) -> None:
        self.dialogue = dialogue
        self.typing_schedule = typing_schedule
        self.catalog = catalog
        self.metrics = metrics
        self.max_image_bytes = min(max_image_bytes, GET_FILE_LIMIT)

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        private = filters.ChatType.PRIVATE
        application.add_handler(MessageHandler(COMMANDS, self.on_command))
        # A screenshot, as a photo or as an image file, with its caption if it has one (before
        # the text handler, which would take a captioned one).
        application.add_handler(MessageHandler(IMAGES, self.on_image))
        # A forwarded photo or document with links in its caption is read like a text.
        application.add_handler(MessageHandler(TEXTS, self.on_text))
        application.add_handler(CallbackQueryHandler(self.on_callback))
        # Photos, stickers, voice...: a plain "text only" reply, never an error.
        application.add_handler(
            MessageHandler(
                private & ~filters.TEXT & ~filters.CAPTION & ~filters.StatusUpdate.ALL,
                self.on_other,
            )
        )
        application.add_error_handler(self.on_error)

    def free_text_sender(self, update: Update) -> tuple[int, str] | None:
        """Who sent `update` and the language a new user gets, when `on_text` hands it to the
        dialogue as free text (the handlers of `install`, in their order, and `on_text`'s own
        checks) and the dialogue reads free text with first reads (PostgreSQL); else None. The
        webhook then makes those reads in the statement that stores the update."""
        if self.dialogue.first_reads is None:
            return None
        if (
            COMMANDS.check_update(update)
            or IMAGES.check_update(update)
            or not TEXTS.check_update(update)
        ):
            return None
        message, user = update.effective_message, update.effective_user
        text = message.text or message.caption if message is not None else None
        if message is None or user is None or text is None:
            return None
        return user.id, self.dialogue.platform_language(user.language_code)

    async def set_commands(self, application: Application) -> None:  # type: ignore[type-arg]
        bot = application.bot
        for language, meta in self.catalog.languages.items():
            commands = self._commands(language)
            for code in meta.telegram_codes:
                await bot.set_my_commands(commands, language_code=code)
        await bot.set_my_commands(self._commands(self.catalog.default_language))

    def _commands(self, language: str) -> list[BotCommand]:
        return [
            BotCommand(name, self.catalog.text(language, f"command.{name}"))
            for name in MENU_COMMANDS
        ]

    # --- handlers -------------------------------------------------------------------------

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not message.text:
            return
        name, *args = message.text.split()
        command = name[1:].split("@", 1)[0]
        incoming = Incoming(
            user.id, command=command, args=tuple(args), platform_language=user.language_code
        )
        await self._respond(update, context, incoming)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        text = message.text or message.caption if message is not None else None
        if message is None or user is None or text is None:
            return
        incoming = Incoming(
            user.id,
            text=text,
            platform_language=user.language_code,
            links=hidden_links(message),
            html=formatted_html(message),
            forwarded=message.forward_origin is not None,
        )
        await self._respond(
            update, context, incoming, _Typing(context.bot, message.chat_id, self.typing_schedule)
        )

    async def on_image(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        found = image_file(message, self.max_image_bytes)
        if found is None:  # refused before downloading: Telegram told the size
            await self._refuse(context, message.chat_id, user.language_code, "ocr.too_large")
            return
        typing = _Typing(context.bot, message.chat_id, self.typing_schedule)
        try:
            file = await context.bot.get_file(found)
            image = bytes(await file.download_as_bytearray())
        except BadRequest as exc:
            await typing.answered()
            # Telegram refuses files over its own limit ("file is too big") whatever they said.
            if "too big" in exc.message.lower():
                await self._refuse(context, message.chat_id, user.language_code, "ocr.too_large")
                return
            raise
        if len(image) > self.max_image_bytes:
            await typing.answered()
            await self._refuse(context, message.chat_id, user.language_code, "ocr.too_large")
            return
        incoming = Incoming(
            user.id,
            text=message.caption or None,
            platform_language=user.language_code,
            links=hidden_links(message),
            html=formatted_html(message),
            image=image,
            forwarded=message.forward_origin is not None,
        )
        await self._respond(update, context, incoming, typing)

    async def _refuse(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, code: str | None, key: str
    ) -> None:
        """A reply the channel gives itself (nothing reached the dialogue), in the language
        Telegram gives for the user, as the dialogue's flood notice does."""
        language = self.catalog.language_for_platform_code(code) or self.catalog.default_language
        megabytes = f"{self.max_image_bytes / (1024 * 1024):.0f}"
        text = self.catalog.text(language, key, megabytes=megabytes)
        await send_replies(context.bot, chat_id, [Reply(text)])

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        # Answer at once so the client stops its spinner, whatever happens next.
        await query.answer()
        if update.effective_chat is None:
            return
        incoming = Incoming(
            user.id, callback=query.data or "", platform_language=user.language_code
        )
        await self._respond(update, context, incoming)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is None or update.effective_message is None:
            return
        await self._respond(
            update, context, Incoming(user.id, platform_language=user.language_code)
        )

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Operator errors: logged once, with where it happened, never with the message text.
        if isinstance(context.error, NotStored):
            return  # the webhook logged the failed store, once per outage
        where = ""
        if isinstance(update, Update):
            chat = update.effective_chat
            where = f" (update {update.update_id}, chat type {chat.type if chat else 'none'})"
        log.error("error while handling an update%s", where, exc_info=context.error)

    async def _respond(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        incoming: Incoming,
        typing: _Typing | None = None,
    ) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        try:
            outcome = await self.dialogue.respond(incoming)
        finally:
            if typing is not None:
                await typing.answered()
        # A webhook update whose commit is still being flushed (bot/storage/receipt.py): no
        # reply, and none of the writes left for after it, before it is stored for good.
        await until_stored()
        if self.metrics is not None:
            kind = (
                "command"
                if incoming.command
                else "callback"
                if incoming.callback
                else "image"
                if incoming.image is not None
                else "text"
                if incoming.text is not None
                else "other"
            )
            self.metrics.updates.labels(kind).inc()
            self.metrics.reply(outcome)
            self.metrics.message(incoming, outcome)
        try:
            await send_replies(context.bot, chat.id, outcome.replies)
        finally:
            # Before the update counts as handled: a failed write fails the update (it is
            # handled again, as when sending fails), and what is kept is kept even when the
            # reply could not be sent.
            await finish(outcome)


FORMATTING = (
    MessageEntity.BOLD,
    MessageEntity.ITALIC,
    MessageEntity.UNDERLINE,
    MessageEntity.STRIKETHROUGH,
    MessageEntity.CODE,
    MessageEntity.TEXT_LINK,
)


def image_file(message: Message, max_bytes: int) -> str | None:
    """The file id of the picture to read: of a photo, the largest size Telegram made of it
    within `max_bytes` (text is read best at full size); of an image document, the file. None
    when Telegram says it is larger than that."""
    if message.photo:
        fitting = [size for size in message.photo if (size.file_size or 0) <= max_bytes]
        if not fitting:
            return None
        return max(fitting, key=lambda size: size.width * size.height).file_id
    document = message.document
    if document is None or (document.file_size or 0) > max_bytes:
        return None
    return document.file_id


def file_url(base_url: str) -> str:
    """Where files are downloaded for a Bot API base URL: https://api.telegram.org/bot ->
    https://api.telegram.org/file/bot, and the same for a local Bot API server's address
    (PTB adds the token and the file's path)."""
    root, bot, rest = base_url.rstrip("/").rpartition("/bot")
    if not bot or rest:
        raise ValueError("TELEGRAM_API_BASE_URL must end with /bot")
    return f"{root}/file/bot"


def formatted_html(message: Message) -> str | None:
    """The text as HTML when the sender formatted it in their client; None for plain text (which
    may itself be typed HTML)."""
    entities = message.entities if message.text else message.caption_entities
    if not any(entity.type in FORMATTING for entity in entities):
        return None
    return message.text_html if message.text else message.caption_html


def hidden_links(message: Message) -> tuple[tuple[str, str | None], ...]:
    """Addresses behind text links (the visible text can be anything, even another address)."""
    links: list[tuple[str, str | None]] = []
    kinds: list[str | None] = [MessageEntity.TEXT_LINK]
    entities = (
        message.parse_entities(kinds) if message.text else message.parse_caption_entities(kinds)
    )
    for entity, shown in entities.items():
        if entity.url:
            links.append((entity.url, shown))
    return tuple(links)


async def send_replies(bot: Bot, chat_id: int, replies: Sequence[Reply]) -> None:
    for reply in replies:
        chunks = split_message(reply.text) if reply.text else []
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await bot.send_message(
                chat_id,
                chunk,
                parse_mode=ParseMode.HTML,
                api_kwargs=sent_markup(reply.buttons if last else ()),
            )
        if reply.document is not None:
            doc = reply.document
            # Images are shown in the chat; anything else arrives as a file to open.
            send = bot.send_photo if doc.mime_type.startswith("image/") else bot.send_document
            await send(
                chat_id,
                InputFile(doc.content, filename=doc.filename),
                caption=doc.caption or None,
                parse_mode=ParseMode.HTML,
            )


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """A reply's keyboard as python-telegram-bot's objects (what `sent_markup` sends)."""
    return _keyboard(reply.buttons) if reply.buttons else None


# A reply's keyboard and "no link preview" as python-telegram-bot would send them, as dicts:
# it turns the objects into these dicts on every call (0.2 M instructions for a keyboard of
# two buttons), and takes the dicts as they are in `api_kwargs` (the same JSON is sent).
# Each row is made once (`_row_sent`): an answer's keyboard differs from the last one only in
# its "that didn't help" row (the review item's id). Never changed once made.
_NO_PREVIEW_SENT = {"link_preview_options": LinkPreviewOptions(is_disabled=True).to_dict()}


def sent_markup(buttons: tuple[tuple[Button, ...], ...]) -> dict[str, Any]:
    """The `api_kwargs` of a message with these buttons (none: no keyboard) and no link
    preview: every message the bot sends, replies and outbox items alike."""
    if not buttons:
        return dict(_NO_PREVIEW_SENT)
    markup = {"inline_keyboard": [_row_sent(row) for row in buttons]}
    return {"reply_markup": markup, **_NO_PREVIEW_SENT}


@functools.lru_cache(maxsize=1024)
def _row_sent(row: tuple[Button, ...]) -> list[dict[str, Any]]:
    return [_button(button).to_dict() for button in row]


def _keyboard(buttons: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(button) for button in row] for row in buttons])


def _button(button: Button) -> InlineKeyboardButton:
    if button.web_app:
        return InlineKeyboardButton(button.label, web_app=WebAppInfo(button.web_app))
    if button.url:
        return InlineKeyboardButton(button.label, url=button.url)
    return InlineKeyboardButton(button.label, callback_data=button.data)


# Python-telegram-bot's mark for "not given" (a timeout left to the request's default).
_NOT_GIVEN = type(BaseRequest.DEFAULT_NONE)


def _given(value: object, default: float | None) -> float | None:
    return default if isinstance(value, _NOT_GIVEN) else cast(float | None, value)


class _NoCookies(CookieJar):
    """The Bot API sets no cookies: nothing to look for in every answer (httpx would)."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


class BotApiRequest(BaseRequest):
    """python-telegram-bot's `HTTPXRequest`, except that a call without files is sent as a JSON
    body (which the Bot API takes for every method) instead of a form. The form's encoding quotes
    every byte of the text one at a time in Python (`urllib.parse.quote_from_bytes`): 0.69 M
    instructions for a reply of 500 Cyrillic characters, a quarter of a whole sendMessage, on the
    reply's path; `json.dumps` is C. Files still go as multipart/form-data, as before. Timeouts,
    the client's settings and the errors (`TimedOut`, `NetworkError`) are HTTPXRequest's."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        httpx_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self._media_write_timeout = media_write_timeout
        self._client_kwargs: dict[str, Any] = {
            "timeout": httpx.Timeout(
                connect=connect_timeout, read=read_timeout, write=write_timeout, pool=pool_timeout
            ),
            "limits": httpx.Limits(max_connections=connection_pool_size),
            "cookies": _NoCookies(),
            **(httpx_kwargs or {}),
        }
        self._client = httpx.AsyncClient(**self._client_kwargs)
        # Each URL parsed once (httpx parses a string on every request): the Bot API's methods
        # are a few dozen; a file's download URL is used once, so the cache is bounded.
        self._urls: Callable[[str], httpx.URL] = functools.lru_cache(maxsize=128)(httpx.URL)

    @property
    def read_timeout(self) -> float | None:
        return self._client.timeout.read

    async def initialize(self) -> None:
        # Python-telegram-bot initialises an application again after a shutdown.
        if self._client.is_closed:
            self._client = httpx.AsyncClient(**self._client_kwargs)

    async def shutdown(self) -> None:
        if not self._client.is_closed:
            await self._client.aclose()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._client.is_closed:
            raise RuntimeError("This BotApiRequest is not initialized!")
        files = request_data.contains_files if request_data is not None else False
        default = self._client.timeout
        timeout = httpx.Timeout(
            connect=_given(connect_timeout, default.connect),
            read=_given(read_timeout, default.read),
            write=_given(write_timeout, self._media_write_timeout if files else default.write),
            pool=_given(pool_timeout, default.pool),
        )
        headers = {"User-Agent": self.USER_AGENT}
        body: dict[str, Any] = {}
        if request_data is not None and files:
            body = {"files": request_data.multipart_data, "data": request_data.json_parameters}
        elif request_data is not None:
            headers["Content-Type"] = "application/json"
            body = {"content": json.dumps(request_data.parameters).encode()}
        try:
            response = await self._client.request(
                method=method, url=self._urls(url), headers=headers, timeout=timeout, **body
            )
        except httpx.TimeoutException as err:
            if isinstance(err, httpx.PoolTimeout):
                raise TimedOut(
                    message=(
                        "Pool timeout: All connections in the connection pool are occupied. "
                        "Request was *not* sent to Telegram. Consider adjusting the connection "
                        "pool size or the pool timeout."
                    )
                ) from err
            raise TimedOut from err
        except httpx.HTTPError as err:
            raise NetworkError(f"httpx.{err.__class__.__name__}: {err}") from err
        return response.status_code, response.content


def bot_api_request(connection_pool_size: int = 256, **kwargs: Any) -> BotApiRequest:
    """The bot's request class (JSON bodies, `BotApiRequest`) through `bot.http.Transport`:
    aiohttp's pool, which gives an idle connection to one send only (httpcore's re-queues the
    rest, bot/http.py)."""
    return BotApiRequest(
        connection_pool_size=connection_pool_size,
        httpx_kwargs=httpx_kwargs(connection_pool_size),
        **kwargs,
    )


def build_application(
    token: str,
    base_url: str,
    channel: TelegramChannel,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> Application:  # type: ignore[type-arg]
    builder = ApplicationBuilder().token(token).base_url(base_url)
    builder = builder.base_file_url(file_url(base_url))
    builder = builder.request(request if request is not None else bot_api_request())
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    # Different users' updates are independent; the core holds no per-process conversation state.
    builder = builder.concurrent_updates(True)
    application = builder.build()
    channel.install(application)
    return application

"""Sends outbox items with python-telegram-bot and classifies every way it can go wrong."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import httpx
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram import sent_markup
from bot.core.payloads import reply_of
from bot.delivery.ports import Outcome, SendResult

# Failures where the request certainly never reached Telegram: safe to send again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class TelegramSender:
    def __init__(self, bot: Bot, paid_broadcast: bool = False) -> None:
        self.bot = bot
        self.paid_broadcast = paid_broadcast

    async def send(self, chat_id: int, payload: dict[str, Any]) -> SendResult:
        try:
            message = await self.bot.send_message(
                chat_id,
                payload["text"],
                parse_mode=ParseMode.HTML,
                api_kwargs=sent_markup(reply_of(payload).buttons),
                allow_paid_broadcast=self.paid_broadcast or None,
            )
        except RetryAfter as exc:
            with warnings.catch_warnings():
                # PTB 22 announces a switch to timedelta; both forms are handled below.
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            return SendResult(Outcome.RETRY_AFTER, retry_after=seconds, error=str(exc))
        except ChatMigrated as exc:
            return SendResult(Outcome.MIGRATED, new_chat_id=exc.new_chat_id, error=str(exc))
        except Forbidden as exc:
            return SendResult(Outcome.BLOCKED, error=str(exc))
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                return SendResult(Outcome.CHAT_NOT_FOUND, error=str(exc))
            return SendResult(Outcome.PERMANENT, error=str(exc))
        except TimedOut as exc:
            if isinstance(exc.__cause__, _NOT_SENT):
                return SendResult(Outcome.TRANSIENT, error="connect timeout")
            return SendResult(Outcome.AMBIGUOUS, error="timed out waiting for Telegram")
        except NetworkError as exc:
            # PTB raises NetworkError for 5xx answers (no cause) and for transport errors.
            if exc.__cause__ is None or isinstance(exc.__cause__, _NOT_SENT):
                return SendResult(Outcome.TRANSIENT, error=str(exc)[:200])
            return SendResult(Outcome.AMBIGUOUS, error=type(exc.__cause__).__name__)
        except TelegramError as exc:
            return SendResult(Outcome.PERMANENT, error=str(exc)[:200])
        return SendResult(Outcome.SENT, message_id=message.message_id)

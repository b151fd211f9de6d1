"""The one place that builds the application from settings (the composition root): the catalog,
the database, the NLU, the dialogue with its features, the services and the delivery engine.
`bootstrap(settings, **overrides)` returns it all as one `Services`; a test passes fakes in
(`nlu=FakeNLU()`, `clock=...`). What runs it (the tick loop, the heap settling, the channels)
is in bot/app.py. Nothing here runs at import time."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.content.catalog import Catalog, load_catalog
from bot.core.alerts import AlertOptIns, AlertStore
from bot.core.campaign import CampaignThemes
from bot.core.flood import FloodControl, FloodGate, FloodLimit
from bot.core.nlu_review import AnswerQueue
from bot.core.ports import (
    NLU,
    CheckedMessages,
    ChecklistRuns,
    Clock,
    Conversations,
    EventPorts,
    FirstReads,
    ImageReader,
    PersonalData,
    ReportRenderer,
    Subscriptions,
    SystemClock,
    Unanswered,
    Users,
)
from bot.core.scam.learned import ScorerStore
from bot.core.schedule import Window
from bot.core.tips import TipsPolicy
from bot.core.understanding import Thresholds
from bot.core.unit_of_work import UnitsOfWork
from bot.delivery.ports import Sender
from bot.features.alerts import AlertNotices, AlertsFeature
from bot.services.alerts import AlertService
from bot.services.events import EventService
from bot.services.messagebus import MessageBus
from bot.services.nlu_review import NluReviewService
from bot.settings import Settings
from bot.storage.access import Database, database_for
from bot.storage.alerts import AlertPlanner, SqlAlertOptIns, SqlAlerts
from bot.storage.broadcasts import BroadcastPlanner, SqlBroadcasts
from bot.storage.campaign import SqlCampaignThemes
from bot.storage.checked import SqlCheckedMessages
from bot.storage.checklists import SqlChecklistRuns
from bot.storage.db import Store, make_engine, make_sessions, migrate, tick_leadership
from bot.storage.events import SqlEvents, SqlReminders
from bot.storage.first_reads import PgFirstReads
from bot.storage.flood import SqlFloodGate
from bot.storage.nlu_review import SqlReviewQueue
from bot.storage.organisers import SqlAudit, SqlRoles
from bot.storage.outbox import SqlDeliveries, SqlOutbox
from bot.storage.personal import SqlPersonalData
from bot.storage.rollups import SqlActivity, SqlRollups
from bot.storage.stats import SqlStats
from bot.storage.subscriptions import SqlConversations, SqlSubscriptions
from bot.storage.unanswered import SqlUnanswered
from bot.storage.unit_of_work import SqlUnitOfWork
from bot.storage.users import SqlUsers

if TYPE_CHECKING:  # built only by the commands that use them (bot/cli.py starts fast)
    from bot.core.latin_typing import ReadingNLU
    from bot.core.nlu_models import ModelLab
    from bot.delivery.engine import DeliveryEngine
    from bot.delivery.tips import TipPlanner
    from bot.dialogue.router import Dialogue
    from bot.dialogue.understanding import Understanding
    from bot.features.roster import Features
    from bot.logs import RedactingFormatter
    from bot.metrics import Metrics
    from bot.nlu.client import RasaNLU
    from bot.services.figures import FiguresService
    from bot.services.nlu_models import NluModelService
    from bot.services.organisers import OrganiserService
    from bot.services.shipped_events import ShippedEvents
    from bot.services.sign_in import SignInService
    from bot.text.latin import LatinReader
    from bot.web.app import DashboardServices


@dataclass
class Services:
    settings: Settings
    catalog: Catalog
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    nlu: NLU
    dialogue: Dialogue
    outbox: SqlOutbox
    planner: TipPlanner
    unanswered: SqlUnanswered
    broadcasts: BroadcastPlanner
    metrics: Metrics
    stats: SqlStats
    flood_windows: SqlFloodGate | None
    # The dashboard's daily figures: filled by the tick, read through `figures`.
    rollups: SqlRollups
    activity: SqlActivity
    # The NLU server's health check, for the webhook's /healthz; None when a test passed its NLU.
    nlu_healthy: Callable[[], Awaitable[bool]] | None = None
    # Queues a published scam alert for everyone who opted in (bot/storage/alerts.py).
    alert_planner: AlertPlanner | None = None
    # Drops what the NLU's review queue keeps no longer (issue 18).
    review_purge: Callable[[dt.datetime], Awaitable[int]] | None = None
    # The Rasa server the bot asks (None when a test passed its NLU): the dashboard's model
    # promotion loads new models into it (issue 18).
    rasa: RasaNLU | None = None
    # Drops the checked messages kept longer than CHECKED_RETENTION_DAYS (issue 16).
    checked_purge: Callable[[dt.datetime], Awaitable[int]] | None = None

    @property
    def alert_service(self) -> AlertService | None:
        """The scam alerts of this process: the chat's, whose published alerts the message
        check matches against. The dashboard in the same process shares it, so what it
        publishes, edits or retires is matched at once (another process within REFRESH)."""
        feature = self.dialogue.features.alerts
        return feature.service if feature is not None else None

    async def database_ok(self) -> bool:
        # A pooled connection cut while in recent use fails its first statement and invalidates
        # the pool (bot/storage/db.py, IDLE_BEFORE_PING): that says nothing of the database, so
        # the check asks once more, on a new connection.
        for last in (False, True):
            try:
                async with self.engine.connect() as conn:
                    await conn.execute(text("select 1"))
                return True
            except DBAPIError as error:
                if last or not error.connection_invalidated:
                    raise
        return False

    def delivery(self, sender: Sender) -> DeliveryEngine:
        from bot.delivery.engine import DeliveryEngine
        from bot.delivery.ratelimit import RateLimiter
        from bot.storage.send_rate import SharedSlots

        rate = self.settings.delivery_rate
        # On PostgreSQL every process sends, on one grid of slots kept in the database, so
        # that together they stay under the cap; SQLite serves one process.
        slots = SharedSlots(self.engine, rate) if self.shared_sending else None
        return DeliveryEngine(
            self.outbox,
            sender,
            RateLimiter(rate, slots=slots),
            self.clock,
            # About two seconds of sending per claim: little is held up if this process dies.
            batch=max(20, min(1000, int(rate * 2))),
            # Enough requests out to keep the rate while Telegram takes its ~100 ms to answer.
            concurrency=max(32, min(256, int(rate // 4))),
            lease=dt.timedelta(seconds=self.settings.delivery_lease_seconds),
            observe=self.metrics.delivered,
        )

    async def tick(self, delivery: DeliveryEngine) -> bool:
        """One scheduler tick: enqueue what became due, then deliver what is due. With several
        processes on PostgreSQL one plans at a time (False when another one did) and all of
        them deliver, sharing the outbox (row claims) and the sending rate (SharedSlots).

        A long delivery (an announcement to everyone takes most of an hour at 30/s) stops every
        PLAN_EVERY to plan again, so that tips falling due meanwhile are queued, and they go
        before the rest of the announcement (outbox priority)."""
        await self.stats.flush()  # every process writes its own counts
        await self.activity.flush()
        while True:
            async with tick_leadership(self.engine) as leader:
                if leader:
                    await self.planner.enqueue_due(self.clock.now())
                    await self.broadcasts.fan_out(self.clock.now())
                    if self.alert_planner is not None:
                        await self.alert_planner.fan_out(self.clock.now())
                    await self.unanswered.purge(self.clock.now())
                    if self.review_purge is not None:
                        await self.review_purge(self.clock.now())
                    if self.checked_purge is not None:
                        await self.checked_purge(self.clock.now())
                    await self.rollups.refresh(self.clock.now())
                    if self.flood_windows is not None:
                        await self.flood_windows.purge(self.clock.now())
            if not (leader or self.shared_sending):
                return leader
            report = await delivery.run_once(max_duration=PLAN_EVERY)
            self.metrics.outbox_depth.set(await self.outbox.depth())
            if not report.cut_short:
                return leader

    @property
    def figures(self) -> FiguresService:
        from bot.services.figures import FiguresService

        return FiguresService(self.rollups)

    @property
    def shipped_events(self) -> ShippedEvents:
        """Loading data/events/, which the entrypoint runs as it starts (bot/app.py)."""
        from bot.events.shipped import ShippedEventFiles
        from bot.services.shipped_events import ShippedEvents

        files = ShippedEventFiles(self.settings.data_dir / "events", self.catalog)
        return ShippedEvents(files, self.dialogue.features.event_service)

    @property
    def shared_sending(self) -> bool:
        return self.engine.dialect.name == "postgresql"


# How long delivery goes on before the tick plans again (see Services.tick).
PLAN_EVERY = dt.timedelta(seconds=30)


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        settings.nlu_confidence_threshold,
        settings.nlu_ambiguity_margin,
        settings.nlu_refusal_margin,
    )


def tips_policy(settings: Settings) -> TipsPolicy:
    window = None
    if settings.campaign_start and settings.campaign_end:
        window = Window(settings.campaign_start, settings.campaign_end)
    return TipsPolicy(window=window, off_season=settings.tips_off_season)


@contextlib.asynccontextmanager
async def nlu_connection(
    settings: Settings, formatter: RedactingFormatter | None = None
) -> AsyncIterator[RasaNLU]:
    """An NLU client for RASA_URL, with an embedded Rasa server started when none answers."""
    from bot import http
    from bot.nlu.client import RasaNLU
    from bot.nlu.lab import active_model
    from bot.nlu.model import ModelPaths
    from bot.nlu.server import rasa_server

    token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    async with rasa_server(
        str(settings.rasa_url),
        token,
        settings.rasa_venv,
        # The model promoted last (issue 18), else the shipped one.
        active_model(settings.nlu_work_dir, ModelPaths(settings.nlu_dir, settings.data_dir).model),
        settings.rasa_startup_timeout,
        Path("var/rasa.log"),
    ) as token:
        if formatter is not None:
            formatter.add_secret(token)
        # The same pool as the Bot API's (bot/http.py): answers that start together at load
        # are not re-queued by httpcore's pool.
        async with http.client(str(settings.rasa_url)) as client:
            yield RasaNLU(client, token, settings.rasa_timeout)


def reading_nlu(settings: Settings, catalog: Catalog, nlu: NLU) -> ReadingNLU:
    """The NLU asked with Latin-typed words read into their language's script, as the model
    was trained (bot/nlu/prepare.py)."""
    from bot.content.typing import load_readers
    from bot.core.latin_typing import ReadingNLU

    return ReadingNLU(nlu, load_readers(settings.data_dir, catalog.languages), catalog.languages)


def message_bus(settings: Settings, catalog: Catalog, database: Store, clock: Clock) -> MessageBus:
    """The handler table on the database, off the chat (the command line); the chat's own is
    built by build_features."""
    from bot.documents.calendar import IcsCalendar
    from bot.features.event_list import EventsFeature
    from bot.services.handlers import handlers

    database = database_for(database)
    notices = EventsFeature(
        catalog,
        SqlEvents(database),
        SqlReminders(database),
        SqlDeliveries(database),
        SqlSubscriptions(database),
        IcsCalendar(),
        clock,
        settings.event_reminder_minutes,
        default_zone=ZoneInfo(settings.default_timezone),
    )
    return MessageBus(handlers(notices))


def event_service(
    settings: Settings, catalog: Catalog, database: Store, clock: Clock
) -> EventService:
    """Saving events off the chat (the command line)."""
    database = database_for(database)
    bus = message_bus(settings, catalog, database, clock)
    return EventService(functools.partial(SqlUnitOfWork, database), bus)


@dataclass(frozen=True)
class DialoguePorts:
    """The stores and renderers the dialogue's features reach the outside with."""

    users: Users
    subscriptions: Subscriptions
    conversations: Conversations
    unanswered: Unanswered
    checklist_runs: ChecklistRuns
    personal_data: PersonalData
    reports: ReportRenderer
    campaign_themes: CampaignThemes
    events: EventPorts
    # The use cases' transactions (bot/core/unit_of_work.py): SqlUnitOfWork on the database,
    # tests/fakes/unit_of_work.FakeUnitOfWork on a test's fakes.
    units: UnitsOfWork
    # The message check (issue 16): where checked messages are kept with the user's consent
    # (None: they are not kept; each is kept through `units`, whose checked_messages must be
    # this store), and the screenshot reader (None where Tesseract is missing).
    checked_messages: CheckedMessages | None = None
    image_reader: ImageReader | None = None
    # Scam alerts (issue 16) and who opted in to them; without them there is no /alerts.
    alerts: AlertStore | None = None
    alert_opt_ins: AlertOptIns | None = None
    # The NLU's review queue outside a unit of work, for the row each answer writes (one
    # statement on the path of every message); None: that row goes through `units`.
    review_queue: AnswerQueue | None = None
    # The message check's learned scorers, kept between processes (None: trained each start).
    scorers: ScorerStore | None = None


def build_features(
    settings: Settings,
    catalog: Catalog,
    ports: DialoguePorts,
    clock: Clock,
    rng: random.Random | None = None,
    readers: Mapping[str, LatinReader] | None = None,
) -> Features:
    """Every feature of the chat, on `ports` (the database's, or a test's fakes)."""
    from bot.content.domains import split_domain
    from bot.core.links import LinkChecker
    from bot.features.checklists import ChecklistFeature
    from bot.features.conversation import ConversationFeature
    from bot.features.event_list import EventsFeature
    from bot.features.linkcheck import LinkFeature
    from bot.features.organising import OrganiserFeature
    from bot.features.privacy import PrivacyFeature
    from bot.features.quiz import QuizFeature
    from bot.features.roster import Features
    from bot.features.scamcheck import ScamCheckFeature
    from bot.features.subscribe import TipsFeature
    from bot.services.announcements import AnnouncementService
    from bot.services.handlers import handlers
    from bot.services.organisers import OrganiserService
    from bot.services.privacy import PrivacyService
    from bot.services.scamcheck import ScamCheckService
    from bot.services.unanswered import UnansweredService

    # DEFAULT_TIMEZONE: the clock of users who chose no zone of their own.
    default_zone = ZoneInfo(settings.default_timezone)
    event_ports = ports.events
    tips = TipsFeature(
        catalog,
        ports.subscriptions,
        ports.conversations,
        clock,
        tips_policy(settings),
        default_zone,
    )
    events = EventsFeature(
        catalog,
        event_ports.events,
        event_ports.reminders,
        event_ports.deliveries,
        ports.subscriptions,
        event_ports.calendar,
        clock,
        settings.event_reminder_minutes,
        default_zone=default_zone,
    )
    # What follows from a use case (a changed event's notices, the audit log): one table.
    bus = MessageBus(handlers(events))
    event_service = EventService(ports.units, bus)
    # One alert service for the message check and the organisers' commands, so a message is
    # matched against an alert the moment it is published here.
    known = known_alerts(catalog, ports, clock, bus, readers)
    return Features(
        conversation=ConversationFeature(
            catalog,
            ports.users,
            ports.conversations,
            clock,
            tips,
            UnansweredService(ports.units),
            ports.campaign_themes,
            review=review_service(settings, catalog, ports.units, ports.review_queue),
        ),
        links=LinkFeature(
            catalog, LinkChecker(catalog.links, split_domain), ports.conversations, clock
        ),
        tips=tips,
        checklists=ChecklistFeature(catalog, ports.checklist_runs, clock, ports.reports),
        quiz=QuizFeature(catalog, rng),
        privacy=PrivacyFeature(
            catalog,
            PrivacyService(ports.units),
            clock,
            settings.unanswered_retention_days,
            checked_days=settings.checked_retention_days,
        ),
        events=events,
        organising=OrganiserFeature(
            catalog,
            frozenset(settings.organiser_ids),
            event_ports.roles,
            event_ports.audit,
            event_ports.events,
            events,
            event_ports.broadcasts,
            ports.conversations,
            event_ports.stats,
            event_ports.charts,
            clock,
            event_service,
            AnnouncementService(ports.units, bus),
            OrganiserService(ports.units, bus, frozenset(settings.organiser_ids)),
            dashboard_url=str(settings.dashboard_url) if settings.dashboard_url else None,
        ),
        event_service=event_service,
        scam_check=ScamCheckFeature(
            catalog,
            ScamCheckService(
                catalog,
                split_domain,
                alerts=known,
                units=ports.units if ports.checked_messages is not None else None,
                readers=readers,
                scorer_store=ports.scorers,
            ),
            ports.conversations,
            clock,
            ports.image_reader,
        ),
        alerts=alerts_feature(settings, catalog, ports, clock, known),
    )


def known_alerts(
    catalog: Catalog,
    ports: DialoguePorts,
    clock: Clock,
    bus: MessageBus,
    readers: Mapping[str, LatinReader] | None = None,
) -> AlertService | None:
    """The published alerts a checked message is matched against, when there are stores."""
    if ports.alerts is None or ports.alert_opt_ins is None:
        return None
    return alert_service(
        catalog, ports.units, bus, ports.alerts, ports.alert_opt_ins, clock, readers
    )


def alert_service(
    catalog: Catalog,
    units: UnitsOfWork,
    bus: MessageBus,
    store: AlertStore,
    opt_ins: AlertOptIns,
    clock: Clock,
    readers: Mapping[str, LatinReader] | None = None,
) -> AlertService:
    """Scam alerts, one service for the chat, the command line and the message check. With
    `readers`, a Latin-typed message is matched as the bot reads it (read_message)."""
    from bot.core.latin_typing import read_message

    notices = AlertNotices(catalog)
    read = (
        functools.partial(read_message, languages=catalog.languages, readers=readers)
        if readers
        else None
    )
    return AlertService(
        units, bus, store, opt_ins, notices, tuple(catalog.languages), clock, read=read
    )


def stored_alerts(
    settings: Settings,
    catalog: Catalog,
    database: Store,
    clock: Clock,
    readers: Mapping[str, LatinReader] | None = None,
) -> AlertService:
    """Scam alerts off the chat (the command line), on the database."""
    database = database_for(database)
    bus = message_bus(settings, catalog, database, clock)
    units = functools.partial(SqlUnitOfWork, database)
    return alert_service(
        catalog, units, bus, SqlAlerts(database), SqlAlertOptIns(database), clock, readers
    )


def alerts_feature(
    settings: Settings,
    catalog: Catalog,
    ports: DialoguePorts,
    clock: Clock,
    service: AlertService | None,
) -> AlertsFeature | None:
    if service is None:
        return None
    return AlertsFeature(
        catalog,
        service,
        AlertNotices(catalog),
        ports.conversations,
        ports.events.roles,
        clock,
        frozenset(settings.organiser_ids),
    )


def build_dialogue(
    settings: Settings,
    catalog: Catalog,
    ports: DialoguePorts,
    understanding: Understanding,
    clock: Clock,
    *,
    flood: FloodControl,
    rng: random.Random | None = None,
    first_reads: FirstReads | None = None,
) -> Dialogue:
    """The dialogue and its features; a collision between the features fails here."""
    from bot.dialogue.router import Dialogue

    return Dialogue(
        catalog,
        build_features(settings, catalog, ports, clock, rng, understanding.readers),
        understanding,
        users=ports.users,
        conversations=ports.conversations,
        topics=ports.events.stats,
        flood=flood,
        clock=clock,
        first_reads=first_reads,
    )


@dataclass(frozen=True)
class Storage:
    """The catalog and the migrated database: what the command-line tools need."""

    catalog: Catalog
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # How every repository reaches the database (bot/storage/access.py), one per engine.
    database: Database
    # Where the message check's learned scorers are kept between processes.
    scorers: ScorerStore | None = None


@contextlib.asynccontextmanager
async def open_storage(
    settings: Settings, catalog: Catalog | None = None
) -> AsyncIterator[Storage]:
    """The content (validated, unless `catalog` was loaded already) and the database, migrated
    first; the engine closes on exit."""
    from bot.storage.scorer_cache import FileScorerStore

    catalog = catalog or load_catalog(settings.data_dir, settings.default_language)
    await asyncio.to_thread(migrate, settings.database_url)
    engine = make_engine(settings.database_url)
    database = database_for(make_sessions(engine))
    try:
        # The message check's learned scorers are loaded from here, or trained and kept here
        # for the next process.
        scorers = FileScorerStore(settings.scorer_cache_dir)
        yield Storage(catalog, engine, database.sessions, database, scorers)
    finally:
        # PostgreSQL's per-message connections (bot/storage/pg_direct.py), then the engine's.
        await database.close()
        await engine.dispose()


@contextlib.asynccontextmanager
async def bootstrap(
    settings: Settings,
    *,
    nlu: NLU | None = None,
    clock: Clock | None = None,
    formatter: RedactingFormatter | None = None,
) -> AsyncIterator[Services]:
    """Everything the bot runs on, built from `settings`. Without `nlu` it connects to Rasa
    (starting an embedded server when none answers, its token added to `formatter`'s
    secrets); without `clock` it uses the system's. Closes what it opened on exit."""
    async with contextlib.AsyncExitStack() as stack:
        nlu_healthy: Callable[[], Awaitable[bool]] | None = None
        rasa: RasaNLU | None = None
        if nlu is None:
            connection = await stack.enter_async_context(nlu_connection(settings, formatter))
            nlu, nlu_healthy, rasa = connection, connection.healthy, connection
        storage = await stack.enter_async_context(open_storage(settings))
        services = await stack.enter_async_context(
            _services(settings, storage, nlu, clock or SystemClock())
        )
        services.nlu_healthy = nlu_healthy
        services.rasa = rasa
        yield services


@contextlib.asynccontextmanager
async def _services(
    settings: Settings, storage: Storage, nlu: NLU, clock: Clock
) -> AsyncIterator[Services]:
    # What the chat needs only: the command line's tools start without it.
    from bot.delivery.tips import TipPlanner
    from bot.dialogue.understanding import Understanding
    from bot.documents.calendar import IcsCalendar
    from bot.documents.workers import PooledCharts, PooledReports, RenderPool
    from bot.metrics import MeasuredNLU, Metrics
    from bot.ocr.tesseract import image_reader

    catalog, engine, database = storage.catalog, storage.engine, storage.database
    # Worker processes that draw PDFs and charts, started by the first one asked for.
    rendering = RenderPool()
    # Screenshots are read in a thread pool of their own; None where Tesseract is missing.
    reader = image_reader(settings)
    try:
        policy = tips_policy(settings)
        unanswered = SqlUnanswered(database, dt.timedelta(days=settings.unanswered_retention_days))
        activity = SqlActivity(storage.sessions, clock)
        metrics = Metrics(activity)
        reading = reading_nlu(settings, catalog, nlu)
        nlu = MeasuredNLU(reading, metrics)
        stats = SqlStats(database)
        events = SqlEvents(database)
        flood_limit = FloodLimit(
            settings.flood_messages, dt.timedelta(seconds=settings.flood_window_seconds)
        )
        # Several processes serve one bot only on PostgreSQL: there they share one count.
        flood_windows = (
            SqlFloodGate(database, flood_limit) if engine.dialect.name == "postgresql" else None
        )
        checked = SqlCheckedMessages(
            storage.sessions, dt.timedelta(days=settings.checked_retention_days)
        )
        ports = DialoguePorts(
            users=SqlUsers(database),
            subscriptions=SqlSubscriptions(database),
            conversations=SqlConversations(database),
            unanswered=unanswered,
            checklist_runs=SqlChecklistRuns(database),
            personal_data=SqlPersonalData(database),
            reports=PooledReports(settings.data_dir / "fonts", rendering),
            campaign_themes=SqlCampaignThemes(database),
            events=EventPorts(
                events=events,
                reminders=SqlReminders(database),
                deliveries=SqlDeliveries(database),
                calendar=IcsCalendar(),
                roles=SqlRoles(database),
                audit=SqlAudit(database),
                broadcasts=SqlBroadcasts(database),
                stats=stats,
                charts=PooledCharts(settings.data_dir / "fonts", rendering),
            ),
            alerts=SqlAlerts(storage.sessions),
            alert_opt_ins=SqlAlertOptIns(storage.sessions),
            units=functools.partial(SqlUnitOfWork, database),
            checked_messages=checked,
            image_reader=reader,
            review_queue=SqlReviewQueue(database),
            scorers=storage.scorers,
        )
        dialogue = build_dialogue(
            settings,
            catalog,
            ports,
            Understanding(nlu, thresholds(settings), reading.readers),
            clock,
            flood=flood_windows or FloodGate(flood_limit),
            # PostgreSQL: the three reads of free text as one statement.
            first_reads=PgFirstReads(database, flood_limit) if flood_windows else None,
        )
        yield Services(
            settings,
            catalog,
            engine,
            storage.sessions,
            clock,
            nlu,
            dialogue,
            SqlOutbox(database),
            TipPlanner(storage.sessions, catalog, policy),
            unanswered,
            BroadcastPlanner(database),
            metrics,
            stats,
            flood_windows,
            SqlRollups(storage.sessions),
            activity,
            alert_planner=AlertPlanner(storage.sessions, catalog.default_language),
            review_purge=review_service(settings, catalog, ports.units).purge,
            checked_purge=checked.purge,
        )
        await stats.flush()
    finally:
        await asyncio.to_thread(rendering.shutdown)
        if reader is not None:
            await asyncio.to_thread(reader.shutdown)


def review_service(
    settings: Settings, catalog: Catalog, units: UnitsOfWork, answers: AnswerQueue | None = None
) -> NluReviewService:
    """The NLU's review queue (issue 18), for the chat, the dashboard and the command line."""
    return NluReviewService(
        units,
        catalog.taxonomy.topics,
        settings.nlu_review_confidence,
        dt.timedelta(days=settings.unanswered_retention_days),
        review_tap_secret(settings),
        answers,
    )


def review_tap_secret(settings: Settings) -> bytes | None:
    """The key of the "that didn't help" taps, the same in every process of one bot: derived
    from the bot's token (or DASHBOARD_SECRET); None (one per process) in the console."""
    for secret in (settings.telegram_bot_token, settings.dashboard_secret):
        if secret is not None:
            key = secret.get_secret_value().encode()
            return hmac.new(key, b"ecsm-review-tap", hashlib.sha256).digest()
    return None


def model_service(
    settings: Settings, catalog: Catalog, database: Store, clock: Clock, rasa: RasaNLU
) -> NluModelService:
    """Retrain, evaluate, promote and restore the NLU model (issue 18) on the running Rasa
    server `rasa`, for the dashboard and the command line."""
    from bot.nlu.lab import RasaLab, RasaModelServer, RasaServerLab
    from bot.nlu.model import ModelPaths
    from bot.services.nlu_models import NluModelService
    from bot.storage.nlu_models import SqlModelVersions

    database = database_for(database)
    paths = ModelPaths(settings.nlu_dir, settings.data_dir)
    review = review_service(settings, catalog, functools.partial(SqlUnitOfWork, database))
    running = reading_nlu(settings, catalog, rasa)

    def reading(nlu: NLU) -> NLU:
        return reading_nlu(settings, catalog, nlu)

    lab: ModelLab
    if settings.rasa_trainer_url is not None and settings.rasa_token is not None:
        # Docker compose: the Rasa trainer's HTTP API trains and scores the candidates.
        token = settings.rasa_token.get_secret_value()
        trainer = str(settings.rasa_trainer_url)
        languages = list(catalog.languages)
        lab = RasaServerLab(
            paths, settings.nlu_work_dir, languages, running, reading, trainer, token
        )
    else:
        lab = RasaLab(
            paths,
            settings.nlu_work_dir,
            settings.rasa_venv,
            list(catalog.languages),
            running,
            reading,
            settings.rasa_startup_timeout,
        )
    return NluModelService(
        lab,
        RasaModelServer([rasa], paths.model, settings.nlu_work_dir),
        SqlModelVersions(database),
        SqlAudit(database),
        clock,
        review.examples,
        thresholds(settings),
        settings.nlu_promotion_tolerance,
    )


def organiser_service(
    settings: Settings, catalog: Catalog, database: Store, clock: Clock
) -> OrganiserService:
    """Who organises, with which role and regions, off the chat (`ecsm-bot organisers`): the
    dashboard's own service, without the rest of the dashboard."""
    from bot.services.organisers import OrganiserService

    database = database_for(database)
    units = functools.partial(SqlUnitOfWork, database)
    return OrganiserService(
        units, message_bus(settings, catalog, database, clock), frozenset(settings.organiser_ids)
    )


def sign_in_service(
    settings: Settings, organisers: OrganiserService, database: Store
) -> SignInService:
    """The dashboard's one-time sign-in links, for the dashboard and `ecsm-bot dashboard link`
    (which needs nothing else of the dashboard)."""
    from bot.services.sign_in import SignInService
    from bot.storage.sign_in import SqlSignInLinks

    database = database_for(database)
    return SignInService(
        organisers,
        SqlSignInLinks(database),
        SqlAudit(database),
        dt.timedelta(minutes=settings.dashboard_link_minutes),
    )


def dashboard_services(
    settings: Settings,
    catalog: Catalog,
    database: Store,
    clock: Clock,
    rasa: RasaNLU | None = None,
    alerts: AlertService | None = None,
) -> DashboardServices:
    """What the organisers' dashboard (bot/web) runs on; the command line's
    `ecsm-bot dashboard link` issues its links through the same sign-in service. `rasa`: the
    running Rasa server, for the models page (retrain, promote, restore); None leaves it out.
    `alerts`: the process's AlertService (Services.alert_service), shared with the chat; None
    builds one of its own."""
    from bot.content.web import load_web_texts
    from bot.services.announcements import AnnouncementService
    from bot.services.audience_sizes import AudienceSizeService
    from bot.services.figures import FiguresService
    from bot.services.organisers import OrganiserService
    from bot.services.unanswered_groups import UnansweredGroups
    from bot.storage.unanswered_queue import SqlRecentUnanswered
    from bot.web.app import DashboardServices
    from bot.web.tools import AnnouncementTools, EventTools

    database = database_for(database)
    units = functools.partial(SqlUnitOfWork, database)
    bus = message_bus(settings, catalog, database, clock)
    organisers = OrganiserService(units, bus, frozenset(settings.organiser_ids))
    audit = SqlAudit(database)
    events = SqlEvents(database)
    rollups, broadcasts = SqlRollups(database.sessions), SqlBroadcasts(database)
    return DashboardServices(
        catalog=catalog,
        texts=load_web_texts(settings.data_dir, catalog.languages, catalog.default_language),
        clock=clock,
        organisers=organisers,
        sign_in=sign_in_service(settings, organisers, database),
        audit_log=audit,
        figures=FiguresService(rollups),
        unanswered=UnansweredGroups(SqlRecentUnanswered(database.sessions)),
        unanswered_days=settings.unanswered_retention_days,
        # The pages' use cases are the chat's and the command line's (one bus: a changed
        # event moves its reminders and tells who asked, whoever changed it).
        events=EventTools(EventService(units, bus), events),
        announcements=AnnouncementTools(
            AnnouncementService(units, bus),
            broadcasts,
            SqlDeliveries(database),
            events,
            ZoneInfo(settings.default_timezone),
            estimates=AudienceSizeService(broadcasts, rollups, clock),
        ),
        alerts=alerts or stored_alerts(settings, catalog, database, clock),
        review=review_service(settings, catalog, units),
        models=model_service(settings, catalog, database, clock, rasa) if rasa else None,
    )

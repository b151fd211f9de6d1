"""/stats: the figures as text and a chart, for organisers."""

from __future__ import annotations

from typing import Any

from bot.core.messages import Document, Outcome, Reply, Turn
from bot.core.ports import Audit, ChartRenderer, StatsSource
from bot.features.organising.kit import Kit
from bot.text.markup import escape

STATS_DAYS = 60
# The chart's labels, each the text "stats.chart.<key>": what the chart renderer reads.
CHART_LABELS = (
    "title",
    "new_users",
    "topics",
    "over_time.language",
    "over_time.audience",
    "over_time.region",
)


class StatsView:
    def __init__(self, kit: Kit, stats: StatsSource, charts: ChartRenderer, audit: Audit) -> None:
        self.catalog, self.clock = kit.catalog, kit.clock
        self.stats = stats
        self.charts = charts
        self.audit = audit  # who looked at the figures, and when

    async def command(self, turn: Turn) -> Outcome:
        lang = turn.language
        stats = await self.stats.collect(self.clock.now(), STATS_DAYS)
        text, plural, number = self.catalog.text, self.catalog.plural, self.catalog.number

        def table(counts: dict[str, int], name: Any = str) -> str:
            return (
                ", ".join(
                    f"{name(k)}: {number(lang, v)}"
                    for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
                )
                or "–"
            )

        checklist_names = {c.id: c.title for c in self.catalog.checklists[lang].values()}
        lines = [
            plural(lang, "stats.title", STATS_DAYS),
            text(lang, "stats.languages", values=table(stats.users_by_language)),
            text(lang, "stats.audiences", values=table(stats.subscribers_by_audience)),
            text(
                lang,
                "stats.regions",
                values=table(
                    stats.users_by_region,
                    lambda k: self.catalog.region_name(lang, k) if k != "-" else "–",
                ),
            ),
            text(lang, "stats.sent", values=table(stats.sent_by_kind)),
            text(
                lang,
                "stats.topics",
                values=", ".join(f"{t}: {number(lang, n)}" for t, n in stats.top_topics) or "–",
            ),
            text(lang, "stats.unanswered", number=number(lang, stats.unanswered)),
            text(lang, "stats.checklists"),
        ]
        for row in stats.checklists:
            average = "–" if row.average_score is None else f"{row.average_score:.0f}%"
            lines.append(
                self.catalog.html(
                    lang,
                    "stats.checklist_line",
                    name=escape(checklist_names.get(row.checklist, row.checklist)),
                    finished=plural(lang, "stats.finished", row.finished),
                    average=average,
                    in_progress=plural(lang, "stats.in_progress", row.in_progress),
                )
            )
        labels = {key: text(lang, f"stats.chart.{key}") for key in CHART_LABELS}
        chart = Document(
            "stats.png",
            await self.charts.stats_png(stats, labels),
            "image/png",
            text(lang, "stats.chart.caption"),
        )
        await self.audit.record(turn.incoming.user_id, "stats_viewed", {}, self.clock.now())
        return Outcome(
            (Reply("\n".join(lines)), Reply("", document=chart)), lang, events=("stats",)
        )

"""The /stats chart as a PNG, with matplotlib (no display needed: the Agg backend)."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure

from bot.core.ports import Stats


class StatsCharts:
    def __init__(self, font_dir: Path) -> None:
        # The same embedded font as the PDFs, so that Bulgarian labels render anywhere.
        self.font = font_dir / "DejaVuSans.ttf"
        self._family: str | None = None

    def stats_png(self, stats: Stats, labels: dict[str, str]) -> bytes:
        family = self._family or self._add_font()
        figure = Figure(figsize=(11, 12), dpi=100)
        figure.suptitle(labels["title"], fontfamily=family, fontsize=14)
        days, new = (
            zip(*stats.new_users_by_day, strict=True) if stats.new_users_by_day else ((), ())
        )
        top = figure.add_subplot(3, 2, 1)
        top.bar([d.isoformat()[5:] for d in days], list(new), color="#2b6cb0")
        top.set_title(labels["new_users"], fontfamily=family)
        top.tick_params(axis="x", labelrotation=60, labelsize=7)
        for position, group in ((2, "language"), (3, "audience"), (4, "region")):
            axes = figure.add_subplot(3, 2, position)
            for name, points in sorted(stats.over_time.get(group, {}).items()):
                # Day labels as text: the axis then needs no date converter.
                axes.plot(
                    [d.isoformat()[5:] for d, _ in points],
                    [n for _, n in points],
                    marker=".",
                    label=name,
                )
            axes.set_title(labels[f"over_time.{group}"], fontfamily=family)
            axes.tick_params(axis="x", labelrotation=60, labelsize=7)
            if stats.over_time.get(group):
                axes.legend(fontsize=7)
        bottom = figure.add_subplot(3, 2, 5)
        topics = list(reversed(stats.top_topics))
        bottom.barh([t for t, _ in topics], [n for _, n in topics], color="#c05621")
        bottom.set_title(labels["topics"], fontfamily=family)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()

    def _add_font(self) -> str:
        # Once per process: every call adds the font to matplotlib's list again and empties its
        # font lookup cache, and a worker draws for as long as the bot runs.
        font_manager.fontManager.addfont(str(self.font))
        self._family = font_manager.FontProperties(fname=str(self.font)).get_name()
        return self._family

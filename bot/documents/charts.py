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

    def stats_png(self, stats: Stats, labels: dict[str, str]) -> bytes:
        font_manager.fontManager.addfont(str(self.font))
        family = font_manager.FontProperties(fname=str(self.font)).get_name()
        figure = Figure(figsize=(9, 9), dpi=100)
        figure.suptitle(labels["title"], fontfamily=family, fontsize=14)
        days, new = (
            zip(*stats.new_users_by_day, strict=True) if stats.new_users_by_day else ((), ())
        )
        top = figure.add_subplot(3, 1, 1)
        top.bar([d.isoformat()[5:] for d in days], list(new), color="#2b6cb0")
        top.set_title(labels["new_users"], fontfamily=family)
        top.tick_params(axis="x", labelrotation=60, labelsize=7)
        middle = figure.add_subplot(3, 1, 2)
        audiences = sorted(stats.subscribers_by_audience.items())
        middle.barh([k for k, _ in audiences], [v for _, v in audiences], color="#2f855a")
        middle.set_title(labels["subscribers"], fontfamily=family)
        bottom = figure.add_subplot(3, 1, 3)
        topics = list(reversed(stats.top_topics))
        bottom.barh([t for t, _ in topics], [n for _, n in topics], color="#c05621")
        bottom.set_title(labels["topics"], fontfamily=family)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()

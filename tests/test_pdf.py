"""The PDF report: a real fpdf2 document whose text (Cyrillic included) can be read back."""

from __future__ import annotations

import io

import pypdf

from bot.documents.pdf import PdfReports
from tests.auxil.environment import ROOT
from tests.auxil.reports import report


def test_cyrillic_report_renders_with_an_embedded_font() -> None:
    content = PdfReports(ROOT / "data" / "fonts").checklist_pdf(
        report("Основни мерки за сигурност", "Двуфакторна автентикация")
    )
    assert content.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in ("Основни мерки за сигурност", "Двуфакторна автентикация", "Точка 29"):
        assert expected in text
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index]
    }
    assert any("DejaVu" in name for name in fonts)
    assert len(reader.pages) >= 2  # thirty items flow onto a second page


def test_stats_chart_is_a_png_with_every_panel() -> None:
    import datetime as dt

    from bot.core.ports import Stats
    from bot.documents.charts import StatsCharts

    day = dt.date(2026, 10, 5)
    stats = Stats(
        users_by_language={"bg": 3, "en": 1},
        subscribers_by_audience={"citizen": 2},
        users_by_region={"plovdiv": 1},
        new_users_by_day=[(day, 3), (day + dt.timedelta(days=1), 1)],
        over_time={
            "language": {"bg": [(day, 3)], "en": [(day, 1)]},
            "audience": {"citizen": [(day, 2)]},
            "region": {"plovdiv": [(day, 1)]},
        },
        sent_by_kind={"tip": 5},
        top_topics=[("phishing", 4)],
        unanswered=0,
        checklists=[],
    )
    labels = {
        "title": "Статистика",
        "new_users": "Нови",
        "topics": "Теми",
        "over_time.language": "По език",
        "over_time.audience": "По аудитория",
        "over_time.region": "По област",
    }
    png = StatsCharts(ROOT / "data" / "fonts").stats_png(stats, labels)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000

"""The PDF report: a real fpdf2 document whose text (Cyrillic included) can be read back."""

from __future__ import annotations

import io

import pypdf

from bot.core.report import ChecklistReport, ReportItem, ReportStep
from bot.documents.pdf import PdfReports
from tests.conftest import ROOT


def report(title: str, step: str) -> ChecklistReport:
    return ChecklistReport(
        title=title,
        subtitle="26 ноември 2026 г.",
        score_line="Резултат: 64%",
        band="Добре. Има още какво да се направи.",
        comparison="Предния път: 45%",
        scope=None,
        steps_title="Следващи стъпки",
        steps=(ReportStep(step, "Включете я за имейла, банката и администраторските профили."),),
        items_title="Всички точки",
        items=tuple(
            ReportItem(status, label, f"Точка {n}")
            for n, (status, label) in enumerate(
                [("done", "Готово"), ("not_yet", "Още не"), ("na", "Не се отнася")] * 10
            )
        ),
        sources_title="Източници",
        sources=(("ENISA – SecureSME", "https://www.enisa.europa.eu/securesme"),),
        footer="Самооценка, а не одит.",
    )


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

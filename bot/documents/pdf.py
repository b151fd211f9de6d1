"""Checklist reports as PDF, with fpdf2. The font is embedded (DejaVu Sans from data/fonts), so
Cyrillic renders on every reader whatever fonts it has."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bot.core.report import ChecklistReport

FONT = "DejaVu"
MARKS = {"done": "✓", "not_yet": "✗", "na": "–", "unanswered": "?"}
COLOURS = {
    "done": (22, 120, 60),
    "not_yet": (180, 40, 40),
    "na": (110, 110, 110),
    "unanswered": (110, 110, 110),
}


class PdfReports:
    def __init__(self, font_dir: Path) -> None:
        self.regular = font_dir / "DejaVuSans.ttf"
        self.bold = font_dir / "DejaVuSans-Bold.ttf"

    def checklist_pdf(self, report: ChecklistReport) -> bytes:
        pdf = FPDF(format="A4")
        pdf.set_title(report.title)
        pdf.set_creator("ecsm-bot")
        pdf.set_auto_page_break(auto=True, margin=18)
        pdf.add_font(FONT, "", str(self.regular))
        pdf.add_font(FONT, "B", str(self.bold))
        pdf.set_margins(18, 18, 18)
        pdf.add_page()

        pdf.set_font(FONT, "B", 18)
        self._para(pdf, report.title, 9)
        pdf.set_font(FONT, "", 10)
        pdf.set_text_color(90, 90, 90)
        self._para(pdf, report.subtitle, 5)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(4)

        pdf.set_font(FONT, "B", 14)
        self._para(pdf, report.score_line, 7)
        pdf.set_font(FONT, "", 11)
        self._para(pdf, report.band, 6)
        for extra in (report.comparison, report.scope):
            if extra:
                pdf.ln(2)
                self._para(pdf, extra, 6)

        if report.steps:
            self._heading(pdf, report.steps_title)
            for number, step in enumerate(report.steps, start=1):
                pdf.set_font(FONT, "B", 11)
                self._para(pdf, f"{number}. {step.title}", 6)
                pdf.set_font(FONT, "", 10)
                self._para(pdf, step.how, 5)
                pdf.ln(2)

        self._heading(pdf, report.items_title)
        for item in report.items:
            pdf.set_font(FONT, "B", 10)
            pdf.set_text_color(*COLOURS[item.status])
            pdf.cell(8, 5.5, MARKS[item.status])
            pdf.cell(30, 5.5, item.status_label)
            pdf.set_text_color(0, 0, 0)
            pdf.set_font(FONT, "", 10)
            pdf.multi_cell(0, 5.5, item.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)

        self._heading(pdf, report.sources_title)
        pdf.set_font(FONT, "", 9)
        for title, url in report.sources:
            pdf.multi_cell(0, 4.5, f"{title}: {url}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
        pdf.set_text_color(90, 90, 90)
        self._para(pdf, report.footer, 4.5)
        return bytes(pdf.output())

    def _heading(self, pdf: FPDF, text: str) -> None:
        pdf.ln(5)
        pdf.set_font(FONT, "B", 13)
        self._para(pdf, text, 7)
        pdf.ln(1)

    def _para(self, pdf: FPDF, text: str, height: float) -> None:
        pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

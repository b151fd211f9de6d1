"""A checklist report as the PDF renderer receives it, in Bulgarian (Cyrillic)."""

from __future__ import annotations

from bot.core.report import ChecklistReport, ReportItem, ReportStep


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

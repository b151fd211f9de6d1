"""Whether a message the user sent is one they received (to be checked) or their own question
(to be answered), told from what the check found: a forwarded message is always one received;
a message with the marks of a likely scam is one, whatever words surround it ("is this real?
<the pasted SMS>"); a suspicious one may be either, so the user is asked with one tap. It is
the rules' verdict alone that tells: the learned scorer was taught scams against genuine
notices, not against questions about scams ("my card has been blocked, what do I do?"), which
share a scam's words."""

from __future__ import annotations

from typing import Literal

from bot.core.scam.rules import Assessment

Reading = Literal["received", "unsure", "question"]


def received_or_question(assessment: Assessment, forwarded: bool) -> Reading:
    verdict = assessment.rules_verdict or assessment.verdict
    if forwarded or verdict == "likely_scam":
        return "received"
    if verdict == "suspicious":
        return "unsure"
    return "question"

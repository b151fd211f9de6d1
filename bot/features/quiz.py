"""The quiz: a round of questions, one at a time, with the explanation after each answer.

A round is a seed: the seed orders the questions, so every button carries the whole state
(seed, position, score) and no table is needed; any process can continue any round. A new round
never opens with the question the last one ended on.
"""

from __future__ import annotations

import random

from bot.content.catalog import Catalog
from bot.content.models import QuizQuestion
from bot.core import callbacks
from bot.core.messages import Button, Outcome, Reply, Turn
from bot.core.registry import Registration, ignoring_reading
from bot.text.markup import escape

ROUND = 10
MAX_SEED = 1_000_000
LETTERS = "ABCD"


def round_order(seed: int, count: int) -> list[int]:
    # The order of quiz questions is no secret: a seeded, repeatable shuffle is what is wanted.
    return random.Random(seed).sample(range(count), count)  # noqa: S311


class QuizFeature:
    def __init__(self, catalog: Catalog, rng: random.Random | None = None) -> None:
        self.catalog = catalog
        self.rng = rng or random.Random()  # noqa: S311

    def _questions(self, lang: str) -> tuple[QuizQuestion, ...]:
        return self.catalog.quiz[lang]

    def _round(self, lang: str) -> int:
        return min(ROUND, len(self._questions(lang)))

    async def start(self, turn: Turn, last: int | None = None) -> Outcome:
        lang = turn.language
        count = len(self._questions(lang))
        seed = self.rng.randrange(MAX_SEED)
        # Never the same question twice in a row: redraw while the round opens with the last one.
        while last is not None and count > 1 and round_order(seed, count)[0] == last:
            seed = self.rng.randrange(MAX_SEED)
        intro = self.catalog.plural(lang, "quiz.intro", self._round(lang))
        return self._out(
            turn, Reply(intro), self._question(lang, seed, 0, 0), events=("quiz_started",)
        )

    def registration(self) -> Registration:
        return Registration(
            "quiz",
            commands={"quiz": self.start},
            intents={"quiz": ignoring_reading(self.start)},
            actions=frozenset({"qs", "qa", "qn", "qe"}),
            callback=self.callback,
        )

    async def callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        lang = turn.language
        match data.action, data.args:
            case "qs", ():
                return await self.start(turn)
            case "qs", (last,) if last.isdigit() and int(last) < len(self._questions(lang)):
                return await self.start(turn, int(last))
            case "qa", (seed, pos, choice, score) if self._valid(lang, seed, pos, score):
                question = self._at(lang, int(seed), int(pos))
                if choice.isdigit() and int(choice) < len(question.options):
                    return self._answered(turn, int(seed), int(pos), int(choice), int(score))
            case "qn", (seed, pos, score) if self._valid(lang, seed, pos, score):
                return self._out(turn, self._question(lang, int(seed), int(pos), int(score)))
            case "qe", (seed, score) if self._valid(lang, seed, "0", score, end=True):
                return self._result(turn, int(seed), int(score))
        return None

    def _valid(self, lang: str, seed: str, pos: str, score: str, end: bool = False) -> bool:
        if not (seed.isdigit() and pos.isdigit() and score.isdigit()):
            return False
        limit = self._round(lang)
        if int(seed) >= MAX_SEED or int(pos) >= limit:
            return False
        return int(score) <= (limit if end else int(pos))

    def _at(self, lang: str, seed: int, pos: int) -> QuizQuestion:
        questions = self._questions(lang)
        return questions[round_order(seed, len(questions))[pos]]

    def _question(self, lang: str, seed: int, pos: int, score: int) -> Reply:
        question = self._at(lang, seed, pos)
        header = self.catalog.text(lang, "quiz.question", n=pos + 1, total=self._round(lang))
        options = "\n".join(
            f"<b>{LETTERS[i]}</b>. {escape(option)}" for i, option in enumerate(question.options)
        )
        buttons = tuple(
            Button(LETTERS[i], data=callbacks.encode("qa", seed, pos, i, score))
            for i in range(len(question.options))
        )
        return Reply(f"<b>{header}</b>\n\n{question.question}\n\n{options}", buttons=(buttons,))

    def _answered(self, turn: Turn, seed: int, pos: int, choice: int, score: int) -> Outcome:
        lang = turn.language
        question = self._at(lang, seed, pos)
        right = choice == question.answer
        score += int(right)
        if right:
            verdict = self.catalog.text(lang, "quiz.right")
        else:
            verdict = self.catalog.text(
                lang,
                "quiz.wrong",
                answer=f"{LETTERS[question.answer]}. {question.options[question.answer]}",
            )
        text = f"{verdict}\n\n{question.explanation}"
        if pos + 1 < self._round(lang):
            next_button = Button(
                self.catalog.text(lang, "quiz.next"),
                data=callbacks.encode("qn", seed, pos + 1, score),
            )
        else:
            next_button = Button(
                self.catalog.text(lang, "quiz.finish"), data=callbacks.encode("qe", seed, score)
            )
        rows: list[tuple[Button, ...]] = [(next_button,)]
        answer = self.catalog.answer(lang, question.topic)
        if answer is not None:
            more = self.catalog.text(lang, "quiz.learn_more", topic=answer.title)
            rows.append((Button(more, data=callbacks.encode("t", question.topic)),))
        reply = Reply(text, buttons=tuple(rows))
        return Outcome((reply,), lang, topic="quiz", events=("quiz_answer",))

    def _result(self, turn: Turn, seed: int, score: int) -> Outcome:
        lang = turn.language
        total = self._round(lang)
        share = score / total
        key = (
            "quiz.result.high"
            if share >= 0.8
            else "quiz.result.mid"
            if share >= 0.5
            else "quiz.result.low"
        )
        text = self.catalog.plural(
            lang, "quiz.score", total, score=self.catalog.number(lang, score)
        )
        text += "\n\n" + self.catalog.text(lang, key)
        last = round_order(seed, len(self._questions(lang)))[total - 1]
        buttons = (
            (Button(self.catalog.text(lang, "quiz.again"), data=callbacks.encode("qs", last)),),
            (Button(self.catalog.text(lang, "button.menu"), data="m"),),
        )
        reply = Reply(text, buttons=buttons)
        return Outcome((reply,), lang, topic="quiz", events=("quiz_finished",))

    def _out(self, turn: Turn, *replies: Reply, events: tuple[str, ...] = ()) -> Outcome:
        return Outcome(replies, turn.language, topic="quiz", events=events)

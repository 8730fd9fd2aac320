"""How well parents' questions are understood, measured on a question set (benchmarks/faq.py prints it,
tests/services/test_faq_heldout.py asserts it).

A case is a question and what should answer it: a catalog id (content/faq.toml) or an intent of
bot.services.parent_intents ("@schedule", "@thanks", ...). For each, as a linked parent would see it:
- first: the first answer is on topic: the intent the router picks, or, for a general question, the catalog's
  direct answer;
- one tap: on topic at first, or the expected entry is one button away: a "did you mean" button under the
  answer, a choice offered instead of an answer, or the general-information button under an answer about the
  child.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.services.faq import Confidence, FaqCatalog, load_catalog
from bot.services.parent_answers import related_entry
from bot.services.parent_intents import Intent, route

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT = ROOT / "tests" / "data" / "faq_heldout.toml"
PARAPHRASES = ROOT / "tests" / "data" / "faq_paraphrases.toml"


@dataclass(frozen=True)
class Case:
    text: str
    expect: str  # a catalog id, or "@" + an Intent value

    @property
    def intent(self) -> Intent | None:
        return Intent(self.expect[1:]) if self.expect.startswith("@") else None


@dataclass(frozen=True)
class Outcome:
    case: Case
    first: bool
    one_tap: bool
    got: str  # what the parent saw first: "@intent", a catalog id, "?choice" or "-" (no answer)


@dataclass
class Score:
    outcomes: list[Outcome] = field(default_factory=list)

    def part(self, general: bool | None) -> list[Outcome]:
        """All outcomes (None), the general questions (True) or the own-child and small-talk ones (False)."""
        return [o for o in self.outcomes if general is None or (o.case.intent is None) == general]

    def rate(self, what: str, general: bool | None = None) -> float:
        chosen = self.part(general)
        return sum(getattr(o, what) for o in chosen) / len(chosen) if chosen else 0.0


def load_cases(path: Path = HELD_OUT) -> list[Case]:
    with path.open("rb") as fh:
        return [Case(str(c["text"]), str(c["expect"])) for c in tomllib.load(fh)["case"]]


def judge(case: Case, catalog: FaqCatalog) -> Outcome:
    routed = route(case.text)
    if routed.intent is not None:
        got = "@" + routed.intent.value
        if case.intent is not None:
            ok = routed.intent is case.intent
            return Outcome(case, ok, ok, got)
        return Outcome(case, False, related_entry(routed.intent) == case.expect, got)
    result = catalog.match(case.text)
    if case.intent is not None:
        return Outcome(case, False, False, result.best.id if result.best else "-")
    if result.confidence is Confidence.ANSWER and result.best is not None:
        first = result.best.id == case.expect
        tap = first or case.expect in {m.entry.id for m in result.alternatives}
        return Outcome(case, first, tap, result.best.id)
    if result.confidence is Confidence.SUGGEST:
        return Outcome(case, False, case.expect in {m.entry.id for m in result.matches}, "?choice")
    return Outcome(case, False, False, "-")


def evaluate(cases: Iterable[Case], catalog: FaqCatalog | None = None) -> Score:
    catalog = catalog or load_catalog()
    return Score([judge(c, catalog) for c in cases])


__all__ = ["HELD_OUT", "PARAPHRASES", "Case", "Outcome", "Score", "evaluate", "judge", "load_cases"]

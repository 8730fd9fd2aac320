"""Parents' questions benchmark: how often the first answer is on topic, and how often the right answer is at
most one "did you mean" tap away, on the held-out set (tests/data/faq_heldout.toml, never used to tune the
matcher) and on the tuning set (tests/data/faq_paraphrases.toml); plus the time per question.

Run: .venv/bin/python benchmarks/faq.py [--misses]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from bot.services.faq import load_catalog
from bot.services.faq_eval import HELD_OUT, PARAPHRASES, Score, evaluate, load_cases
from bot.services.parent_intents import route


def report(name: str, score: Score, misses: bool) -> None:
    total = len(score.outcomes)
    general = len(score.part(True))
    print(f"{name}: {total} questions ({general} general, {total - general} about the child or small talk)")
    print(f"  first answer on topic: {score.rate('first'):.1%}   within one tap: {score.rate('one_tap'):.1%}")
    if general and general < total:
        print(f"  general questions:     {score.rate('first', True):.1%}   within one tap: "
              f"{score.rate('one_tap', True):.1%}")
        print(f"  own child, small talk: {score.rate('first', False):.1%}")
    if misses:
        for o in score.outcomes:
            if not o.first:
                mark = "tap" if o.one_tap else "MISS"
                print(f"    {mark:4} {o.case.text!r}: want {o.case.expect}, first {o.got}")


def main() -> int:
    misses = "--misses" in sys.argv
    started = time.perf_counter()
    catalog = load_catalog()
    print(f"catalog: {len(catalog.entries)} entries, loaded and indexed in {time.perf_counter() - started:.2f} s")
    held_out = load_cases(HELD_OUT)
    report("held-out", evaluate(held_out, catalog), misses)
    report("tuning (paraphrases)", evaluate(load_cases(PARAPHRASES), catalog), misses)
    timings = []
    for case in held_out * 3:
        t = time.perf_counter()
        if route(case.text).intent is None:
            catalog.match(case.text)
        timings.append((time.perf_counter() - t) * 1000)
    print(f"time per question: median {statistics.median(timings):.2f} ms, "
          f"95th percentile {sorted(timings)[int(len(timings) * 0.95)]:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

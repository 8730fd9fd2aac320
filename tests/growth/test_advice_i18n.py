"""Advice keys, rendering through a translator, parent summary, age text, and catalog completeness."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot.growth.advice import (
    ADVICE,
    AdviceKey,
    Audience,
    category_label,
    needs_referral,
    parent_summary,
    render_advice,
)
from bot.growth.age import age_text
from bot.growth.classify import all_categories
from bot.growth.faltering import Weighing, judge_weighing
from bot.growth.models import MeasurementInput
from bot.growth.zscores import compute
from tests.growth.conftest import ROOT


def _msgids() -> set[str]:
    keywords = dict(DEFAULT_KEYWORDS)
    keywords["N_"] = None
    found = extract_from_dir(ROOT / "bot" / "growth", method_map=[("**.py", "python")], keywords=keywords)
    return {m for _, _, m, _, _ in found if isinstance(m, str)}


def _catalog(lang: str) -> dict[str, str]:
    # bot/growth's case and maternal rules carry their labels in the "cases" domain (the cases journey renders them).
    found: dict[str, str] = {}
    for domain in ("growth", "cases"):
        path = Path(ROOT / "locales" / lang / "LC_MESSAGES" / f"{domain}.po")
        with path.open("rb") as fh:
            found.update({m.id: m.string for m in read_po(fh) if m.id and isinstance(m.id, str)})
    return found


def test_every_msgid_has_an_indonesian_translation() -> None:
    catalog = _catalog("id")
    missing = sorted(m for m in _msgids() if not catalog.get(m))
    assert not missing


def test_english_catalog_lists_every_msgid() -> None:
    assert _msgids() <= set(_catalog("en"))


def test_indonesian_category_labels_are_exactly_permenkes(tr_id) -> None:  # type: ignore[no-untyped-def]
    for cat in all_categories():
        assert category_label(cat, tr_id) == cat.label_id


def test_placeholders_survive_translation() -> None:
    catalog = _catalog("id")
    for msgid, msgstr in catalog.items():
        assert set(_fields(msgid)) == set(_fields(msgstr)), msgid


def _fields(s: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(s) if f]


def test_age_text(tr_id, tr_en) -> None:  # type: ignore[no-untyped-def]
    assert age_text(610, tr_id) == "1 th 8 bln"
    assert age_text(610, tr_en) == "1 y 8 m"
    assert age_text(365, tr_id) == "11 bln"  # 365 / 30.4375 = 11.99 completed months
    assert age_text(366, tr_id) == "1 th"
    assert age_text(12, tr_id) == "12 hr"
    assert age_text(250, tr_id) == "8 bln"


def _result(**kw: object):  # type: ignore[no-untyped-def]
    base: dict[str, object] = {"sex": "M", "age_days": 500, "position": "lying"}
    base.update(kw)
    return compute(MeasurementInput(**base))  # type: ignore[arg-type]


def test_healthy_child_growing_well() -> None:
    r = _result(weight_kg=10.3, length_cm=79.0)
    f = judge_weighing(on=_d(3), weight_kg=10.3, age_days=500, earlier=[Weighing(on=_d(2), weight_kg=10.0)])
    keys = advice_keys_of(r, f)
    assert AdviceKey.GROWING_WELL in keys and not needs_referral(keys)
    assert AdviceKey.FEED_6_TO_23_MONTHS in keys


def _d(month: int):  # type: ignore[no-untyped-def]
    from datetime import date

    return date(2024, month, 10)


def advice_keys_of(*args: object) -> list[AdviceKey]:
    from bot.growth.advice import advice_keys

    return advice_keys(*args)  # type: ignore[arg-type]


def test_advice_never_adds_a_refer_key_of_its_own() -> None:
    """Refer keys come only from the status function's reasons (bot.growth.status), so words and lists agree."""
    keys = advice_keys_of(_result(weight_kg=9.0, length_cm=78.0, oedema=True))
    assert not needs_referral(keys) and AdviceKey.GROWING_WELL in keys
    keys = advice_keys_of(_result(weight_kg=9.0, length_cm=78.0, oedema=True), None)
    assert AdviceKey.OEDEMA not in keys


def test_refer_keys_passed_in_are_kept_most_urgent_first() -> None:
    from bot.growth.advice import advice_keys

    keys = advice_keys(_result(weight_kg=9.0, length_cm=78.0), None,
                       refer={AdviceKey.STUNTED, AdviceKey.OEDEMA})
    assert keys[:2] == [AdviceKey.OEDEMA, AdviceKey.STUNTED] and needs_referral(keys)
    assert AdviceKey.GROWING_WELL not in keys


def test_a_value_who_calls_implausible_gets_only_measure_again() -> None:
    from bot.growth.advice import advice_keys

    r = _result(weight_kg=0.9, length_cm=78.0)
    assert advice_keys(r, None, refer={AdviceKey.SEVERELY_WASTED}) == [AdviceKey.RECHECK]


def test_2t_advice_through_the_status_function() -> None:
    from bot.growth.status import ChildFacts, Visit, assess

    r = _result(weight_kg=8.0, length_cm=72.0)
    born = _d(1) - __import__("datetime").timedelta(days=500)
    facts = ChildFacts(sex=r.sex, birth_date=born)
    visits = [Visit(id=i, measured_on=day, weight_kg=8.0, z=r.z) for i, day in enumerate((_d(1), _d(2), _d(3)))]
    keys = assess(facts, visits)[-1].advice
    assert AdviceKey.WEIGHT_NOT_UP_TWICE in keys and AdviceKey.STUNTED in keys
    assert AdviceKey.WEIGHT_NOT_UP not in keys and needs_referral(keys)


def test_standing_baby_asks_to_confirm_position() -> None:
    keys = advice_keys_of(_result(age_days=200, length_cm=66.0, position="standing"))
    assert keys[0] is AdviceKey.CONFIRM_POSITION


def test_render_in_indonesian_and_english(tr_id, tr_en) -> None:  # type: ignore[no-untyped-def]
    keys = [AdviceKey.WEIGHT_NOT_UP_TWICE, AdviceKey.FEED_6_TO_23_MONTHS]
    id_lines = render_advice(keys, tr_id)
    assert id_lines[0].startswith("Berat badan tidak naik dua bulan berturut-turut (2T)")
    en_parent = render_advice(keys, tr_en, Audience.PARENT)
    assert en_parent[0] == ADVICE[AdviceKey.WEIGHT_NOT_UP_TWICE].parent


def test_parent_texts_skip_cadre_only_keys(tr_en) -> None:  # type: ignore[no-untyped-def]
    assert render_advice([AdviceKey.CONFIRM_POSITION], tr_en, Audience.PARENT) == []


def test_parent_summary_plain_words(tr_id, tr_en) -> None:  # type: ignore[no-untyped-def]
    r = _result(weight_kg=8.6, length_cm=74.0)  # HAZ -2.55
    assert "Height is low for age (stunted)" in parent_summary(r, tr_en)
    assert "Tinggi badan kurang untuk umurnya (pendek)" in parent_summary(r, tr_id)


def test_every_advice_key_has_a_text() -> None:
    assert set(ADVICE) == set(AdviceKey)

"""What to do about a result: advice keys, their texts (cadre and parent), and a plain-words summary.

Texts are English msgids (translated through the user's translator; Indonesian in locales/id/.../growth.po).
Each text names its source: Buku KIA 2023 (Kemenkes), Permenkes 2/2020, WHO guidelines.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.growth._i18n import N_, Translator
from bot.growth.faltering import FalteringResult, WeighStatus
from bot.growth.models import Category, GrowthResult, Indicator, Note


class AdviceKey(StrEnum):
    CONFIRM_POSITION = "confirm_position"
    RECHECK = "recheck"
    OVER_FIVE = "over_five"
    OEDEMA = "oedema"
    MUAC_SEVERE = "muac_severe"
    SEVERELY_WASTED = "severely_wasted"
    BELOW_RED_LINE = "below_red_line"
    WEIGHT_NOT_UP_TWICE = "weight_not_up_twice"
    WEIGHT_LOST = "weight_lost"
    WEIGHT_NOT_UP = "weight_not_up"
    WASTED = "wasted"
    MUAC_MODERATE = "muac_moderate"
    STUNTED = "stunted"
    OBESE = "obese"
    OVERWEIGHT = "overweight"
    ABOVE_ORANGE_LINE = "above_orange_line"
    HEAD_CHECK = "head_check"
    UNDERWEIGHT = "underweight"
    POSSIBLE_RISK_OVERWEIGHT = "possible_risk_overweight"
    TALL = "tall"
    MISSED_LAST_MONTH = "missed_last_month"
    FIRST_WEIGHING = "first_weighing"
    TOO_SOON = "too_soon"
    GROWING_WELL = "growing_well"
    FEED_UNDER_6_MONTHS = "feed_under_6_months"
    FEED_6_TO_23_MONTHS = "feed_6_to_23_months"
    FEED_24_TO_59_MONTHS = "feed_24_to_59_months"


class Audience(StrEnum):
    CADRE = "cadre"
    PARENT = "parent"


@dataclass(frozen=True)
class AdviceText:
    cadre: str
    parent: str | None  # None: nothing to tell the parent for this key


# The advice keys that tell the cadre or the parent to refer (every one of them comes from a refer reason of
# bot.growth.status, so a card never says "refer" without the child being on the follow-up list).
REFER_KEYS = frozenset(
    {
        AdviceKey.OEDEMA,
        AdviceKey.MUAC_SEVERE,
        AdviceKey.SEVERELY_WASTED,
        AdviceKey.BELOW_RED_LINE,
        AdviceKey.WEIGHT_NOT_UP_TWICE,
        AdviceKey.WEIGHT_LOST,
        AdviceKey.WEIGHT_NOT_UP,
        AdviceKey.WASTED,
        AdviceKey.MUAC_MODERATE,
        AdviceKey.STUNTED,
        AdviceKey.OBESE,
        AdviceKey.OVERWEIGHT,
        AdviceKey.ABOVE_ORANGE_LINE,
        AdviceKey.HEAD_CHECK,
    }
)
# Refer today, not this week (WHO 2013 guideline on severe acute malnutrition; Kemenkes Pedoman Pencegahan
# dan Tata Laksana Gizi Buruk pada Balita 2019).
URGENT_KEYS = frozenset({AdviceKey.OEDEMA, AdviceKey.MUAC_SEVERE, AdviceKey.SEVERELY_WASTED})

ADVICE: dict[AdviceKey, AdviceText] = {
    # Source: WHO anthro (measurement position check); WHO Training Course on Child Growth Assessment, module B.
    AdviceKey.CONFIRM_POSITION: AdviceText(
        N_(
            "A baby under 9 months is measured lying down. Please check how the length was measured, "
            "and measure again lying down if needed."
        ),
        None,
    ),
    # Source: WHO anthro flags of biologically implausible values; WHO Training Course module B.
    AdviceKey.RECHECK: AdviceText(
        N_("Some values are not plausible for this child. Measure the child again and correct the entry."),
        N_("Some measurements will be checked again by the cadre."),
    ),
    # Source: Permenkes 2/2020 (0-60 months use the WHO Child Growth Standards).
    AdviceKey.OVER_FIVE: AdviceText(
        N_("The child is over 5 years old: the under-five growth standard no longer applies."),
        None,
    ),
    # Source: WHO 2013 guideline on severe acute malnutrition; Kemenkes Pedoman Gizi Buruk 2019.
    AdviceKey.OEDEMA: AdviceText(
        N_(
            "Swelling of both feet (oedema) means severe malnutrition, whatever the weight. "
            "Refer to the puskesmas today."
        ),
        N_(
            "Swelling of both feet can be a sign of severe malnutrition. Please take your child to the puskesmas today."
        ),
    ),
    # Source: WHO 2013 SAM guideline; Kemenkes Pedoman Gizi Buruk 2019 (LiLA < 11.5 cm).
    AdviceKey.MUAC_SEVERE: AdviceText(
        N_("Upper-arm circumference is below 11.5 cm (severe acute malnutrition). Refer to the puskesmas today."),
        N_("Your child's upper arm is very thin. Please take your child to the puskesmas today."),
    ),
    # Source: Permenkes 2/2020 (BB/PB-BB/TB < -3 SD: gizi buruk); WHO/UNICEF 2009 joint statement.
    AdviceKey.SEVERELY_WASTED: AdviceText(
        N_("Severely wasted (gizi buruk). Refer to the puskesmas today."),
        N_("Your child is very thin for their height. Please take your child to the puskesmas today."),
    ),
    # Source: Buku KIA 2023, p. 54 (below the red line: refer).
    AdviceKey.BELOW_RED_LINE: AdviceText(
        N_("Weight is below the red line (BGM). Refer to the puskesmas."),
        N_("Your child's weight is very low for their age. Please take your child to the puskesmas this week."),
    ),
    # Source: Buku KIA 2023, p. 54 (T: refer).
    AdviceKey.WEIGHT_NOT_UP_TWICE: AdviceText(
        N_("Weight has not gone up enough two months in a row (2T). Refer to the puskesmas."),
        N_("Your child's weight has not gone up for two months. Please take your child to the puskesmas this week."),
    ),
    # Source: Buku KIA 2023, p. 54 (weight not up, which includes down: refer).
    AdviceKey.WEIGHT_LOST: AdviceText(
        N_("Weight went down since the last weighing. Ask about illness and feeding, and refer to the puskesmas."),
        N_("Your child's weight went down. Please take your child to the puskesmas this week."),
    ),
    # Source: Buku KIA 2023, p. 54 ("Rujuk bila berat badan anak tidak naik (T)").
    AdviceKey.WEIGHT_NOT_UP: AdviceText(
        N_(
            "Weight did not go up enough (T). Ask about illness (diarrhoea, fever, cough) and feeding, counsel, "
            "and refer to the puskesmas."
        ),
        N_(
            "Your child's weight did not go up enough this month. Please visit the puskesmas this week, and feed "
            "more often, with an egg, fish or meat every day."
        ),
    ),
    # Source: Permenkes 2/2020 (gizi kurang); Kemenkes Juknis PMT Lokal 2023 (PMT for gizi kurang from the
    # puskesmas).
    AdviceKey.WASTED: AdviceText(
        N_("Wasted (gizi kurang). Refer to the puskesmas for assessment and supplementary food (PMT)."),
        N_("Your child is thin for their height. Please visit the puskesmas; they can help with extra food."),
    ),
    # Source: Kemenkes Pedoman Gizi Buruk 2019 (LiLA 11.5 to < 12.5 cm).
    AdviceKey.MUAC_MODERATE: AdviceText(
        N_(
            "Upper-arm circumference is 11.5 to under 12.5 cm (moderate malnutrition). Refer to the puskesmas "
            "for assessment and supplementary food (PMT)."
        ),
        N_("Your child's upper arm is thin. Please visit the puskesmas; they can help with extra food."),
    ),
    # Source: Permenkes 2/2020 (pendek / sangat pendek); KMK HK.01.07/MENKES/1928/2022 (PNPK stunting: a doctor
    # confirms stunting); Buku KIA 2023.
    AdviceKey.STUNTED: AdviceText(
        N_(
            "Length/height is low for age (stunted). Refer to the puskesmas so a health worker can confirm and "
            "follow up."
        ),
        N_(
            "Your child is shorter than expected for their age. Please visit the puskesmas. Give an egg, fish "
            "or meat every day."
        ),
    ),
    # Source: Permenkes 2/2020 (obesitas); Buku KIA 2023.
    AdviceKey.OBESE: AdviceText(
        N_("Obese. Refer to the puskesmas for assessment."),
        N_("Your child's weight is far too high for their height. Please visit the puskesmas for advice."),
    ),
    # Source: Permenkes 2/2020 (gizi lebih); Buku KIA 2023.
    AdviceKey.OVERWEIGHT: AdviceText(
        N_(
            "Overweight. Counsel on family meals instead of sweet drinks and packaged snacks, and refer to the "
            "puskesmas for assessment."
        ),
        N_(
            "Your child's weight is too high for their height. Give family meals, fruit and vegetables; avoid "
            "sweet drinks and packaged snacks. Please visit the puskesmas for advice."
        ),
    ),
    # Source: Buku KIA 2023, p. 54 (above the orange line: refer); Permenkes 2/2020 (BB/U > +1: check
    # BB/PB-BB/TB or IMT/U).
    AdviceKey.ABOVE_ORANGE_LINE: AdviceText(
        N_(
            "Weight for age is above the orange line. Refer to the puskesmas to check weight for length/height "
            "and feeding."
        ),
        N_("Your child's weight is above the normal range for their age. Please visit the puskesmas for advice."),
    ),
    # Source: WHO Child Growth Standards, head circumference (beyond +-2 SD: microcephaly / macrocephaly).
    AdviceKey.HEAD_CHECK: AdviceText(
        N_("Head circumference is outside the normal range for age. Refer to the puskesmas to check."),
        N_("Your child's head size should be checked by a health worker at the puskesmas."),
    ),
    # Source: Permenkes 2/2020 (a low BB/U is confirmed with BB/PB-BB/TB or IMT/U); Buku KIA 2023.
    AdviceKey.UNDERWEIGHT: AdviceText(
        N_("Weight is low for age: counsel on feeding and weigh again next month."),
        N_(
            "Your child's weight is low for their age. Give more meals and snacks, with an egg, fish or meat every day."
        ),
    ),
    # Source: Permenkes 2/2020 (berisiko gizi lebih); Buku KIA 2023.
    AdviceKey.POSSIBLE_RISK_OVERWEIGHT: AdviceText(
        N_(
            "Possible risk of overweight. Counsel on family meals, fruit and vegetables, fewer sweet drinks "
            "and snacks, and active play."
        ),
        N_(
            "Give family meals with fruit and vegetables. Limit sweet drinks and packaged snacks, and let your "
            "child play actively."
        ),
    ),
    # Source: Permenkes 2/2020 (tinggi: usually no problem; a doctor if an endocrine disorder is suspected).
    AdviceKey.TALL: AdviceText(
        N_("Very tall for age. Usually no problem; let a health worker check if in doubt."),
        N_("Your child is tall for their age. This is usually not a problem."),
    ),
    # Source: Buku KIA 2023 (weigh every month).
    AdviceKey.MISSED_LAST_MONTH: AdviceText(
        N_("No weighing about a month ago (O). Remind the parent to come every month."),
        N_("Come to the posyandu every month so we can see whether your child is growing well."),
    ),
    # Source: Buku KIA 2023 (weigh every month).
    AdviceKey.FIRST_WEIGHING: AdviceText(
        N_("First weighing (B): there is nothing to compare with yet. Ask the parent to come every month."),
        N_("Come to the posyandu every month so we can see whether your child is growing well."),
    ),
    # Source: docs/clinical-rules.md (N/T is judged over 21-45 days; Buku KIA 2023 compares month with month).
    AdviceKey.TOO_SOON: AdviceText(
        N_("Weighed less than 3 weeks after the last weighing: too soon to judge the gain. Judge it at the next "
           "monthly weighing."),
        None,
    ),
    # Source: Buku KIA 2023.
    AdviceKey.GROWING_WELL: AdviceText(
        N_("Growing well. Praise the parent and weigh again next month."),
        N_("Your child is growing well. Keep it up and come to the posyandu next month."),
    ),
    # Source: Buku KIA 2023; WHO infant and young child feeding (exclusive breastfeeding to 6 months).
    AdviceKey.FEED_UNDER_6_MONTHS: AdviceText(
        N_("Check that the baby gets only breast milk."),
        N_("Give only breast milk until 6 months, day and night, as often as the baby wants."),
    ),
    # Source: Buku KIA 2023; WHO infant and young child feeding (complementary feeding 6-23 months).
    AdviceKey.FEED_6_TO_23_MONTHS: AdviceText(
        N_("Check breastfeeding and complementary food (MP-ASI) with animal-source food every day."),
        N_("Keep breastfeeding. Give thick complementary food (MP-ASI) with an egg, fish, chicken or meat every day."),
    ),
    # Source: Buku KIA 2023 (family food for children 2-5 years).
    AdviceKey.FEED_24_TO_59_MONTHS: AdviceText(
        N_("Check that the child eats family food 3 times a day plus 2 snacks."),
        N_("Give family food 3 times a day and 2 healthy snacks, with an egg, fish or meat, vegetables and fruit."),
    ),
}
_ORDER = list(AdviceKey)


def advice_keys(result: GrowthResult, faltering: FalteringResult | None = None, *,
                refer: set[AdviceKey] | frozenset[AdviceKey] = frozenset()) -> list[AdviceKey]:
    """Advice for a visit, most urgent first, without duplicates.

    `refer`: the advice of the visit's refer reasons (bot.growth.status decides them; this function never adds
    a refer key of its own). A visit with an implausible value gets only "measure again".
    """
    if Note.OVER_FIVE in result.notes:
        return [AdviceKey.OVER_FIVE]
    keys: set[AdviceKey] = set()
    if Note.STANDING_UNDER_9_MONTHS in result.notes:
        keys.add(AdviceKey.CONFIRM_POSITION)
    if result.any_flagged:
        keys.add(AdviceKey.RECHECK)
        return sorted(keys, key=_ORDER.index)
    keys |= set(refer) & REFER_KEYS
    waz, whz, haz = (result.z.get(i) for i in (Indicator.WFA, Indicator.WFLH, Indicator.LHFA))
    if waz is not None and -3 <= waz < -2:
        keys.add(AdviceKey.UNDERWEIGHT)
    nutrition = whz if whz is not None else result.z.get(Indicator.BMIFA)
    if nutrition is not None and 1 < nutrition <= 2 and not result.oedema:
        keys.add(AdviceKey.POSSIBLE_RISK_OVERWEIGHT)
    if haz is not None and haz > 3:
        keys.add(AdviceKey.TALL)
    if faltering is not None:
        if faltering.status is WeighStatus.O:
            keys.add(AdviceKey.MISSED_LAST_MONTH)
        elif faltering.status is WeighStatus.B:
            keys.add(AdviceKey.FIRST_WEIGHING)
        elif faltering.status is WeighStatus.TOO_SOON:
            keys.add(AdviceKey.TOO_SOON)
    problems = keys - {AdviceKey.MISSED_LAST_MONTH, AdviceKey.FIRST_WEIGHING, AdviceKey.TOO_SOON}
    if not problems and (faltering is None or faltering.status is WeighStatus.N):
        keys.add(AdviceKey.GROWING_WELL)
    months = result.age_months
    if months < 6:
        keys.add(AdviceKey.FEED_UNDER_6_MONTHS)
    elif months < 24:
        keys.add(AdviceKey.FEED_6_TO_23_MONTHS)
    else:
        keys.add(AdviceKey.FEED_24_TO_59_MONTHS)
    return sorted(keys, key=_ORDER.index)


def needs_referral(keys: list[AdviceKey] | tuple[AdviceKey, ...]) -> bool:
    """Any advice that says "refer" (the same set bot.growth.status derives from its refer reasons)."""
    return any(k in REFER_KEYS for k in keys)


def render_advice(keys: list[AdviceKey], tr: Translator, audience: Audience = Audience.CADRE) -> list[str]:
    """The advice texts for `keys` in the translator's language (parent texts skip keys with none)."""
    out: list[str] = []
    for key in keys:
        text = ADVICE[key]
        msgid = text.cadre if audience is Audience.CADRE else text.parent
        if msgid is not None and (line := tr.gettext(msgid)) not in out:
            out.append(line)
    return out


def category_label(category: Category, tr: Translator) -> str:
    """Category label in the user's language (Indonesian = the exact Permenkes label)."""
    return tr.gettext(category.label_en)


# Plain words for parents, per category code.
SUMMARY: dict[str, str] = {
    "severely_underweight": N_("Weight is very low for age (severely underweight)"),
    "underweight": N_("Weight is low for age (underweight)"),
    "normal_weight": N_("Weight is normal for age"),
    "risk_overweight": N_("Weight is above normal for age"),
    "severely_stunted": N_("Height is very low for age (severely stunted)"),
    "stunted": N_("Height is low for age (stunted)"),
    "normal_height": N_("Height is normal for age"),
    "tall": N_("Height is well above normal for age (tall)"),
    "severely_wasted": N_("Very thin for height (severely wasted)"),
    "wasted": N_("Thin for height (wasted)"),
    "normal_nutrition": N_("Weight is right for height"),
    "possible_risk_overweight": N_("Weight is a little high for height (possible risk of overweight)"),
    "overweight": N_("Weight is high for height (overweight)"),
    "obese": N_("Weight is very high for height (obese)"),
    "muac_severe": N_("Upper arm is very thin (severe malnutrition)"),
    "muac_moderate": N_("Upper arm is thin (moderate malnutrition)"),
    "muac_normal": N_("Upper arm size is normal"),
}
SUMMARY_OEDEMA = N_("Swelling of both feet (oedema): a sign of severe malnutrition")
SUMMARY_RECHECK = N_("Some measurements look wrong and will be checked again")
SUMMARY_OVER_FIVE = N_("Over 5 years old: the under-five growth standard no longer applies")


def parent_summary(result: GrowthResult, tr: Translator) -> list[str]:
    """One plain sentence per indicator for the parent, e.g. "Height is low for age (stunted)"."""
    if Note.OVER_FIVE in result.notes:
        return [tr.gettext(SUMMARY_OVER_FIVE)]
    lines: list[str] = []
    if result.oedema:
        lines.append(tr.gettext(SUMMARY_OEDEMA))
    order = [Indicator.WFA, Indicator.LHFA, Indicator.WFLH]
    if result.categories.get(Indicator.WFLH) is None:
        order.append(Indicator.BMIFA)  # BMI-for-age only when weight-for-length/height is not available
    for ind in order:
        cat = result.categories.get(ind)
        if cat is not None:
            code = cat.code
            if ind is Indicator.BMIFA and code == "severely_wasted":
                code = "wasted"  # severe wasting is defined on weight-for-length/height (WHO/UNICEF 2009)
            lines.append(tr.gettext(SUMMARY[code]))
    if result.muac_category is not None:
        lines.append(tr.gettext(SUMMARY[result.muac_category.code]))
    if result.any_flagged:
        lines.append(tr.gettext(SUMMARY_RECHECK))
    return lines

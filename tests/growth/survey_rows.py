"""Survey rows for the bulk z-score tests: WHO's reference files as survey rows, and random rows with bad values."""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pygrowup

from bot.growth import _who
from bot.growth.models import Sex

DATASETS = Path(pygrowup.__file__).parent / "test_datasets"
COLUMNS = [
    "id",
    "sex",
    "birth_date",
    "visit_date",
    "age_days",
    "weight_kg",
    "lenhei_cm",
    "measure",
    "oedema",
    "headc_cm",
    "muac_cm",
    "village",
]


def who_reference_rows() -> list[dict[str, str]]:
    """MySurvey (igrowup R) and SPOON (igrowup Stata), the files of tests/growth/test_reference.py, as survey rows
    (MySurvey's float32 values such as 84.8000030517578 kept as written)."""
    rows = []
    with (DATASETS / "MySurvey_z_st.csv").open(newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append(
                {
                    "id": f"mysurvey-{r['id']}",
                    "sex": r["GENDER"],
                    "birth_date": "",
                    "visit_date": "",
                    "age_days": r["age.days"],
                    "weight_kg": r["WEIGHT"],
                    "lenhei_cm": r["HEIGHT"],
                    "measure": r["measure"],
                    "oedema": r["oedema"],
                    "headc_cm": r["HEAD"],
                    "muac_cm": r["MUAC"],
                    "village": r["region"],
                }
            )
    with (DATASETS / "test_dataset.csv").open(newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append(
                {
                    "id": f"spoon-{r['id']}",
                    "sex": {"Male": "L", "Female": "P"}[r["sex"]],
                    "birth_date": _iso(r["dob"]),
                    "visit_date": _iso(r["screen_date"]),
                    "age_days": "",
                    "weight_kg": r["weight"],
                    "lenhei_cm": r["height"],
                    "measure": "",
                    "oedema": "",
                    "headc_cm": r["head"],
                    "muac_cm": "",
                    "village": "SPOON",
                }
            )
    return rows


def _iso(us_date: str) -> str:
    return datetime.strptime(us_date, "%m/%d/%Y").date().isoformat()


BAD_NUMBERS = ["0", "-1", "abc", "1e300", "1e-300", "nan", "inf", "1.000,5", " 9.5 ", "1_0", "٣", "-0", "1e-7", "2e6"]
SPECIAL_LENGTHS = ["45", "44.3", "45.7", "110", "110.7", "109.3", "65", "64.3", "65.7", "120", "120.7", "119.3"]
SPECIAL_LENGTHS += ["87", "86.9", "87.0", "86.99", "86.3", "87.7", "80", "96", "104"]


def _value(rnd: random.Random, table: str, sex: Sex, age: int, mean: float = 0.0) -> str:
    """A measurement around the WHO median for the age, written with 0-2 decimals, in full, or as the median."""
    row = _who.lms(table, sex, min(max(age, 91 if table == "acfa" else 0), 1856))
    z = rnd.gauss(mean, 1.3) if rnd.random() > 0.02 else rnd.choice([0.0, 3.0, -3.0, 6.5, -7.0])
    v = _who.value_at_z(row, z)
    pick = rnd.random()
    if pick < 0.6:
        return f"{v:.1f}"
    if pick < 0.8:
        return f"{v:.2f}"
    if pick < 0.85:
        return repr(v)
    if pick < 0.88:
        return str(row["m"])  # the median: z exactly 0 (Decimal keeps the sign: -0.00 where L < 0)
    return f"{v:.0f}"


def _maybe_bad(rnd: random.Random, text: str, p: float = 0.06) -> str:
    if rnd.random() < p:
        text = rnd.choice(["", "", *BAD_NUMBERS])
    if rnd.random() < 0.1:
        text = text.replace(".", ",")
    return text


def random_rows(n: int, seed: int = 0) -> list[dict[str, str]]:
    """Rows around WHO medians written as cadres and spreadsheets do (1-2 decimals, decimal commas, medians
    exactly, range bounds), with bad values, missing ages, dates, oedema, over-five ages and bad codes mixed in."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        sex = rnd.choice([Sex.M, Sex.F])
        age = rnd.choice([rnd.randint(0, 1826)] * 8 + [0, 90, 91, 182, 183, 273, 274, 730, 731, 1826, 1827, 2500])
        lenhei = _value(rnd, "lfa", sex, age, -1.0)
        if rnd.random() < 0.05:
            lenhei = rnd.choice(SPECIAL_LENGTHS)
        row = {
            "id": str(i),
            "sex": rnd.choice(["M", "F", "1", "2", "L", "P", "m", "f", " l "]) if rnd.random() > 0.02 else "X",
            "birth_date": "",
            "visit_date": "",
            "age_days": "",
            "weight_kg": _maybe_bad(rnd, _value(rnd, "wfa", sex, age, -0.5)),
            "lenhei_cm": _maybe_bad(rnd, lenhei),
            "measure": rnd.choice(["l", "h", "", "L", "H"]) if rnd.random() > 0.02 else "x",
            "oedema": rnd.choice(["n", "n", "n", "", "y", "N", "Y", "1", "2"]) if rnd.random() > 0.01 else "maybe",
            "headc_cm": _maybe_bad(rnd, _value(rnd, "hcfa", sex, age), 0.2) if rnd.random() < 0.7 else "",
            "muac_cm": _maybe_bad(rnd, _value(rnd, "acfa", sex, age), 0.2) if rnd.random() < 0.7 else "",
            "village": rnd.choice(["Kemuning", "Sukamaju", "Desa Ä"]),
        }
        pick = rnd.random()
        if pick < 0.6:
            row["age_days"] = str(age)
        elif pick < 0.72:
            row["age_days"] = f"{age + rnd.choice([0.49, 0.5, -0.5, 0.25])}"
        elif pick < 0.9:
            born = date(2020, 1, 1) + timedelta(days=rnd.randint(0, 1500))
            row["birth_date"], row["visit_date"] = born.isoformat(), (born + timedelta(days=age)).isoformat()
            if rnd.random() < 0.05:
                row["birth_date"], row["visit_date"] = row["visit_date"], row["birth_date"]
            if rnd.random() < 0.05:
                row["visit_date"] = rnd.choice(["2024-13-01", "2024-02-30", "01/02/2024", "", "20240301"])
            if rnd.random() < 0.05:
                row["age_days"] = rnd.choice(["12", "abc", "-5"])
        elif pick < 0.97:
            pass  # no age at all: weight-for-length/height only
        else:
            row["age_days"] = rnd.choice(["-1", "abc", "1e300", "inf", "1e9", "3.5"])
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",", newline: str = "\n") -> None:
    """Rows as a spreadsheet exports them: quoted only where a value holds the delimiter (a decimal comma)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, delimiter=delimiter, lineterminator=newline)
        writer.writeheader()
        writer.writerows(rows)

"""Bulk z-scores for survey files (bot.growth.survey) and the `zscore` CLI command."""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import pytest

from bot.cli import zscore as cli
from bot.growth.survey import missing_columns, output_fieldnames, process_row, process_rows

HEADER = "id,sex,birth_date,visit_date,age_days,weight_kg,lenhei_cm,measure,oedema,headc_cm,muac_cm,village\n"


def _rows(text: str) -> list[dict[str, str]]:
    return list(process_rows(csv.DictReader(io.StringIO(HEADER + text))))


def test_good_row_gets_z_scores_flags_and_categories() -> None:
    (row,) = _rows("1,2,,,683,10.4,84.8,l,n,,14.9,Kemuning\n")
    assert (row["zwei"], row["zlen"], row["zwfl"], row["zbmi"], row["zac"]) == (
        "-0.57",
        "-0.07",
        "-0.81",
        "-0.79",
        "0.11",
    )
    assert row["zhc"] == "" and row["fhc"] == ""
    assert row["fwei"] == "0" and row["cat_wei"] == "Berat badan normal" and row["cat_wfl"] == "Gizi baik"
    assert row["cat_muac"] == "LiLA normal" and row["village"] == "Kemuning" and row["error"] == ""


def test_dates_instead_of_age_and_indonesian_sex_codes() -> None:
    (row,) = _rows("1,P,2023-01-15,2024-03-01,,9.5,78,,,,,\n")
    assert row["zwei"] != "" and row["error"] == ""


def test_bad_rows_get_an_error_and_the_run_goes_on() -> None:
    rows = _rows(
        "1,X,,,400,9,75,l,n,,,\n"
        "2,M,2024-13-01,2024-03-01,,9,75,l,n,,,\n"
        "3,M,,,,9,75,l,n,,,\n"
        "4,M,,,400,abc,75,l,n,,,\n"
        "5,M,,,400,9,75,x,n,,,\n"
        "6,M,,,400,-9,75,l,n,,,\n"
        "7,M,2024-03-02,2024-03-01,,9,75,l,n,,,\n"
        "8,M,,,400,9,75,l,n,,,\n"
    )
    errors = [r["error"] for r in rows]
    assert "sex" in errors[0]
    assert "birth_date" in errors[1]
    assert "no age" in errors[2]
    assert "weight_kg" in errors[3]
    assert "measure" in errors[4]
    assert "greater than 0" in errors[5]
    assert "after" in errors[6]
    assert errors[7] == "" and rows[7]["zwei"] != ""
    # Bad sex, age or weight: no weight-for-age. A bad measure only blanks the length-based indicators.
    assert all(r["zwei"] == "" for i, r in enumerate(rows[:7]) if i != 4)
    assert rows[4]["zwei"] != "" and rows[4]["zlen"] == ""


def test_over_five_row_has_no_z_and_says_why() -> None:
    (row,) = _rows("1,M,,,1900,18,108,h,n,,,\n")
    assert row["zwei"] == "" and "1826" in row["error"]


def test_oedema_row() -> None:
    (row,) = _rows("1,M,,,400,9,75,l,y,,,\n")
    assert row["zwei"] == "" and row["zwfl"] == "" and row["zlen"] != ""


def test_standing_baby_is_flagged_in_c9mo_flag() -> None:
    (row,) = _rows("1,M,,,200,7,66,h,n,,,\n")
    assert row["c9mo_flag"] == "1" and row["clenhei"] == "66"


def test_decimal_comma_is_accepted() -> None:
    assert process_row({"sex": "L", "age_days": "400", "weight_kg": "9,5"})["zwei"] != ""


def test_output_fieldnames_keep_input_order_then_added() -> None:
    names = output_fieldnames(["id", "sex", "age_days"])
    assert names[:3] == ["id", "sex", "age_days"] and "zwei" in names and names[-1] == "error"


def test_missing_columns() -> None:
    assert missing_columns(["sex", "age_days"]) == []
    assert missing_columns(["weight_kg"]) == ["sex", "birth_date+visit_date or age_days"]


def test_cli_writes_output_and_reports_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text(HEADER + "1,M,,,400,9,75,l,n,,,A\n2,X,,,400,9,75,l,n,,,B\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["zscore", str(src), "-o", str(out)])
    assert args.func(args) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 2 and rows[0]["zwei"] != "" and rows[1]["error"]
    assert "2 rows, 1 with an error" in capsys.readouterr().err


def test_cli_semicolon_file(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("sex;age_days;weight_kg\nL;400;9,5\n", encoding="utf-8-sig")
    out = tmp_path / "out.csv"
    ns = argparse.Namespace(input=str(src), output=str(out))
    assert cli.run(ns) == 0
    assert next(csv.DictReader(out.open(encoding="utf-8")))["zwei"] != ""


def test_cli_missing_columns_exit_code(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("foo,bar\n1,2\n", encoding="utf-8")
    assert cli.run(argparse.Namespace(input=str(src), output=str(tmp_path / "o.csv"))) == 2


def test_cli_missing_file(tmp_path: Path) -> None:
    assert cli.run(argparse.Namespace(input=str(tmp_path / "nope.csv"), output=None)) == 2

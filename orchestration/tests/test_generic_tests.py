"""The project's own generic tests fail when their property is broken, not only pass on good data.
unique_combination_of_columns and unique (which overrides dbt's) group by a hash before grouping
by the columns; a repeated key must still be reported, once per key, and a key differing in one
column must not."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from orchestration.tests.dbt_helpers import run_dbt
from orchestration.tests.tiny_build import TinyBuild

MODEL = "fct_lifecycle_stages"  # grain: one_id, period_end


def grain_test(tiny: TinyBuild, work: Path) -> tuple[int, str]:
    result = run_dbt(["test", "-s", f"{MODEL},test_name:unique_combination_of_columns"], tiny.raw, work)
    return result.returncode, result.stdout


def test_the_grain_test_reports_each_repeated_key(tiny: TinyBuild, tmp_path: Path) -> None:
    shutil.copy(tiny.database, tmp_path / "warehouse.duckdb")
    assert grain_test(tiny, tmp_path)[0] == 0

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        # Two keys repeated (one of them three times), and a row differing from an existing one
        # only in period_end: two failures, not three.
        con.execute(
            f"insert into marts.{MODEL} select * from marts.{MODEL}"
            f" where (one_id, period_end) in (select (one_id, period_end) from marts.{MODEL}"
            f" order by one_id, period_end limit 2)"
        )
        con.execute(
            f"insert into marts.{MODEL} select * from marts.{MODEL}"
            f" where (one_id, period_end) = (select (one_id, period_end) from marts.{MODEL}"
            f" order by one_id, period_end limit 1) limit 1"
        )
        con.execute(
            f"insert into marts.{MODEL} select * replace (period_end + 7000 as period_end)"
            f" from marts.{MODEL} order by one_id desc, period_end limit 1"
        )
    returncode, stdout = grain_test(tiny, tmp_path)
    assert returncode == 1, stdout[-3000:]
    assert "Got 2 results" in stdout, stdout[-3000:]


def test_the_unique_test_reports_each_repeated_value(tiny: TinyBuild, tmp_path: Path) -> None:
    shutil.copy(tiny.database, tmp_path / "warehouse.duckdb")
    select = ["test", "-s", "dim_persons,test_name:unique"]
    assert run_dbt(select, tiny.raw, tmp_path).returncode == 0

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        # Two persons repeated, one of them twice more: two failures.
        for limit in (2, 1, 1):
            con.execute(
                f"insert into marts.dim_persons select * from marts.dim_persons"
                f" where one_id in (select one_id from marts.dim_persons order by one_id limit {limit})"
                f" qualify row_number() over (partition by one_id) = 1"
            )
    result = run_dbt(select, tiny.raw, tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "Got 2 results" in result.stdout, result.stdout[-3000:]

"""assert_raw_lines_reconcile (nothing lost between the raw files and staging) re-reads, in a
daily run, only the raw partitions that run rewrote (and the look-back days before them), and
still fails when the event lines model loses a line of one of them or skips a partition a late
line landed in; run on its own, it re-reads every raw file."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from orchestration.settings import PROJECT_DIR
from orchestration.tests.dbt_helpers import compiled_sql, run_compiled, run_dbt
from orchestration.tests.tiny_build import TinyBuild

TEST = "assert_raw_lines_reconcile"
LINES = "base_tracking__event_lines"
# The tiny tier's newest partition is 2026-03-31; a daily run rebuilds from 3 days before, and the
# test reads from 3 days before the first partition the run wrote.
CUTOFF = "2026-03-28"
READ_FROM = "2026-03-25"


def project_with(tmp_path: Path, lines_filter: str) -> Path:
    """A copy of the dbt project whose event lines model keeps only the lines `lines_filter` holds
    for (a model that loses lines)."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, project / name)
    for folder in ("models", "macros", "seeds", "snapshots", "tests", "analyses"):
        if (PROJECT_DIR / folder).exists():
            shutil.copytree(PROJECT_DIR / folder, project / folder)
    model = project / "models/staging/tracking/base" / f"{LINES}.sql"
    sql = model.read_text()
    assert sql.rstrip().endswith("select * from final")
    model.write_text(f"{sql.rstrip()}\nwhere {lines_filter}\n")
    return project


def reconciled_event_lines(work: Path) -> tuple[int, int]:
    """(raw lines, lines rows) of the events in the partitions the last run of the test read."""
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        rows = run_compiled(
            con,
            compiled_sql(work / "target", TEST),
            "select raw_line_count, line_count_from_partition from ({compiled}) where source_name = 'events'",
        )
    assert len(rows) == 1, rows
    return rows[0]


def test_a_daily_run_reconciles_the_partitions_it_rewrote(tiny: TinyBuild, tmp_path: Path) -> None:
    shutil.copy(tiny.database, tmp_path / "warehouse.duckdb")

    daily = run_dbt(["build", "-s", LINES, TEST], tiny.raw, tmp_path)
    assert daily.returncode == 0, daily.stdout[-3000:]
    compiled = compiled_sql(tmp_path / "target", TEST)
    # The events from the cutoff on; the orders, whose lines this run did not write, whole.
    assert compiled.count(f"where dt >= cast('{READ_FROM}' as date)") == 1, compiled

    # A model that drops the first line of the newest partition's files.
    broken = project_with(
        tmp_path, "not (line_number = 1 and partition_date = (select max(partition_date) from final))"
    )
    losing = run_dbt(["build", "-s", LINES, TEST], tiny.raw, tmp_path, DBT_PROJECT_DIR=str(broken))
    assert losing.returncode == 1, losing.stdout[-3000:]
    assert f"Failure in test {TEST}" in losing.stdout, losing.stdout[-3000:]
    raw_lines, lines = reconciled_event_lines(tmp_path)
    assert raw_lines == lines + 1


def test_a_late_line_in_the_cutoff_partition_that_a_run_skips_is_found(tiny: TinyBuild, tmp_path: Path) -> None:
    # A line lands late in the cutoff partition, and the model skips that partition altogether.
    # The run drops every partition from its cutoff before it writes (they are rewritten whole),
    # so that partition is left empty, and the first partition the run wrote is the next one.
    raw = tmp_path / "raw"
    shutil.copytree(tiny.raw, raw)
    (late_file,) = (raw / "events" / f"dt={CUTOFF}").iterdir()
    with late_file.open("a", encoding="utf-8") as lines:
        lines.write(late_file.read_text(encoding="utf-8").splitlines()[0] + "\n")
    late_partition_lines = len(late_file.read_text(encoding="utf-8").splitlines())
    shutil.copy(tiny.database, tmp_path / "warehouse.duckdb")

    broken = project_with(tmp_path, "partition_date != (select min(partition_date) from final)")
    losing = run_dbt(["build", "-s", LINES, TEST], raw, tmp_path, DBT_PROJECT_DIR=str(broken))
    assert losing.returncode == 1, losing.stdout[-3000:]
    assert f"Failure in test {TEST}" in losing.stdout, losing.stdout[-3000:]
    raw_lines, lines = reconciled_event_lines(tmp_path)
    # Every line of the skipped partition is missing, the late one with them.
    assert raw_lines == lines + late_partition_lines


def test_run_alone_it_reads_every_raw_file(tiny: TinyBuild, tmp_path: Path) -> None:
    shutil.copy(tiny.database, tmp_path / "warehouse.duckdb")
    alone = run_dbt(["test", "-s", TEST], tiny.raw, tmp_path)
    assert alone.returncode == 0, alone.stdout[-3000:]
    assert "where dt >= " not in compiled_sql(tmp_path / "target", TEST)

    # A line lost from the oldest partition, which no daily run rewrites, is found.
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(
            f"delete from staging.{LINES} where (file_name, line_number) ="
            f" (select (file_name, line_number) from staging.{LINES}"
            f" where line_status = 'rejected' order by partition_date, file_name, line_number limit 1)"
        )
    result = run_dbt(["test", "-s", TEST], tiny.raw, tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    assert f"Failure in test {TEST}" in result.stdout, result.stdout[-3000:]

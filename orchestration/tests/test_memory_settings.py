"""USER_ASSETS_DUCKDB_MEMORY_LIMIT is the most memory the build may use (docs/memory.md): DuckDB is
given a share of it, with the settings that keep its memory outside the buffer pool small, and
every dbt connection of the `dev` target ends up with exactly those settings.

Memory itself is measured by `make bench`, not here: these tests check the derivation and that it
reaches DuckDB."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration import settings
from orchestration.tests.dbt_helpers import dbt_show

VARIABLE = "USER_ASSETS_DUCKDB_MEMORY_LIMIT"
BUDGETS = {"16GB": 16 * 10**9, "900MB": 900 * 10**6, "2GiB": 2 * 2**30, "1.5GB": 1.5e9, "24 GiB": 24 * 2**30}


def duckdb_bytes(text: str) -> int:
    """What DuckDB itself makes of a size: set it as a memory limit and read it back in bytes."""
    with duckdb.connect() as con:
        con.execute(f"set memory_limit = '{text}'")
        return _bytes_of(con.execute("select current_setting('memory_limit')").fetchone()[0])


def _bytes_of(shown: str) -> int:
    number, unit = shown.split()
    return round(float(number) * {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}[unit])


@pytest.mark.parametrize("text, expected", BUDGETS.items())
def test_the_budget_reads_as_duckdb_reads_sizes(text: str, expected: float) -> None:
    assert settings.memory_budget_bytes(text) == round(expected)


@pytest.mark.parametrize("text", BUDGETS)
def test_duckdb_gets_a_share_of_the_budget_and_the_rest_is_kept_for_memory_outside_its_pool(text: str) -> None:
    budget = settings.memory_budget_bytes(text)
    derived = settings.duckdb_memory_settings(text)
    limit = duckdb_bytes(derived["memory_limit"])  # DuckDB reads it, and as less than the budget
    assert 0 < limit < budget
    # What is not DuckDB's is at least the fixed reserve of the dbt process (Python, dbt, the
    # manifest) and grows with the pool (memory DuckDB allocates outside it grows with the work).
    assert budget - limit >= settings.MEMORY_RESERVE_FIXED_BYTES
    assert budget - limit >= settings.MEMORY_RESERVE_SHARE * limit * 0.99
    # Each setting is one DuckDB accepts.
    with duckdb.connect() as con:
        for name, value in derived.items():
            con.execute(f"set {name} = '{value}'")


def test_a_larger_budget_gives_duckdb_more() -> None:
    budgets = ("900MB", "1GB", "2GiB", "16GB")
    limits = [duckdb_bytes(settings.duckdb_memory_settings(t)["memory_limit"]) for t in budgets]
    assert limits == sorted(limits) and len(set(limits)) == len(limits)


@pytest.mark.parametrize("text", ["16 gigs", "lots", "", "-1GB", "0MB", "1e9", "16 GB RAM", "12XB"])
def test_a_value_that_is_no_size_is_refused_naming_the_variable(text: str) -> None:
    with pytest.raises(ValueError, match=VARIABLE) as refused:
        settings.duckdb_memory_settings(text)
    assert "16GB" in str(refused.value)  # says what to write instead


def test_a_budget_too_small_for_the_reserve_is_refused_naming_the_minimum() -> None:
    with pytest.raises(ValueError, match=VARIABLE) as refused:
        settings.duckdb_memory_settings("600MB")
    assert "at least" in str(refused.value)


def test_the_budget_comes_from_the_environment_with_the_documented_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE, "3GB")
    assert settings.duckdb_memory_settings() == settings.duckdb_memory_settings("3GB")
    monkeypatch.delenv(VARIABLE)
    assert settings.duckdb_memory_settings() == settings.duckdb_memory_settings("8GB")
    monkeypatch.setenv(VARIABLE, "plenty")
    with pytest.raises(ValueError, match=VARIABLE):
        settings.duckdb_memory_settings()


def test_a_dbt_connection_has_the_derived_settings(tmp_path: Path) -> None:
    """The derived settings reach DuckDB through the profile (`dbt show` runs on a dbt cursor, after
    dbt-duckdb has SET the profile's per-cursor `settings`)."""
    derived = settings.duckdb_memory_settings("2GB")
    names = ", ".join(f"'{name}'" for name in derived)
    raw = tmp_path / "raw"
    raw.mkdir()
    shown = dbt_show(
        f"select name, value from duckdb_settings() where name in ({names})",
        raw,
        tmp_path,
        USER_ASSETS_DUCKDB_MEMORY_LIMIT="2GB",
    )
    # The same settings on a plain DuckDB connection read back the same way.
    with duckdb.connect(config=derived) as con:
        expected = dict(con.execute(f"select name, value from duckdb_settings() where name in ({names})").fetchall())
    assert {row["name"]: row["value"] for row in shown} == expected
    assert _bytes_of(expected["memory_limit"]) < 2 * 10**9


def test_the_bench_refuses_to_start_without_the_disk_its_spill_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before any work: not an hour into the large build, when the spill fills the disk."""
    from orchestration import bench

    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda path: real(path)._replace(free=2 * 10**9))

    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("the bench started work (simulating the sample) without the disk for it")

    monkeypatch.setattr(bench.subprocess, "run", no_work)
    assert bench.main(["--tier", "large", "--workdir", str(tmp_path / "work"), "--results-dir", str(tmp_path)]) == 1
    refused = capsys.readouterr().err
    assert str(tmp_path / "work" / "large") in refused and "2.0 GB free" in refused, refused
    assert not (tmp_path / "work" / "large" / "raw").exists()  # nothing simulated
    monkeypatch.setattr(shutil, "disk_usage", lambda path: real(path)._replace(free=10**13))
    assert bench.disk_shortfall(tmp_path, "large") is None


def test_the_disk_check_counts_the_warehouses_the_bench_replaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An earlier run's warehouses (half/, full/, with their spill) are deleted before the builds
    that need the disk: they count as free. Anything else in the folder does not."""
    from orchestration import bench

    work = tmp_path / "large"
    earlier = work / "full" / "warehouse.duckdb"
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"\0" * 5_000)
    (work / "half" / "warehouse.duckdb.tmp").mkdir(parents=True)
    (work / "half" / "warehouse.duckdb.tmp" / "spill.block").write_bytes(b"\0" * 3_000)
    (work / "raw").mkdir()
    (work / "raw" / "events.jsonl").write_bytes(b"\0" * 100_000)  # the sample is kept: not free
    needed = bench.simulate_config.TIERS["large"].persons * bench.DISK_BYTES_PER_PERSON
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda path: real(path)._replace(free=needed - 8_000))
    assert bench.disk_shortfall(work, "large") is None
    monkeypatch.setattr(shutil, "disk_usage", lambda path: real(path)._replace(free=needed - 8_001))
    assert bench.disk_shortfall(work, "large") is not None


@pytest.mark.parametrize(
    "text",
    ["16G", "16g", "16 gigabytes", "900M", "900 megabytes", "2048MiB", "1T", "16gb", "1.5 G", "3000000000 bytes"],
)
def test_every_spelling_duckdb_reads_is_read_as_duckdb_reads_it(text: str) -> None:
    """The budget is the size DuckDB makes of the text: DuckDB shows the text and our bytes alike."""

    def shown(size: str) -> str:
        with duckdb.connect() as con:
            con.execute(f"set memory_limit = '{size}'")
            return con.execute("select current_setting('memory_limit')").fetchone()[0]

    assert shown(f"{settings.memory_budget_bytes(text)} bytes") == shown(text)

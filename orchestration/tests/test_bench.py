"""`make bench` end to end on the tiny tier (issues 26 and 27): the figures it writes, the memory
limit it enforces, and the simulator's sample it must leave exactly as it found it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration import bench as bench_module
from orchestration import safe_paths, settings
from orchestration.settings import PROJECT_DIR
from orchestration.tests.dbt_helpers import dbt_show

# The bench flow on the tiny tier: `make test-bench`, not `make test`.
pytestmark = pytest.mark.bench

SEED = 7
FIGURES = (
    "floor_cold_s",
    "floor_s",
    "full_build_s",
    "incremental_day_s",
    "incremental_share",
    "day_growth",
    "identity_ratio",
    "clv_ratio",
    "peak_rss_mb",
    "memory_limit_mb",
)


def files_and_mtimes(*folders: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for folder in folders for p in sorted(folder.rglob("*"))}


def run_bench(work: Path, results: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.bench",
            "--tier",
            "tiny",
            "--seed",
            str(SEED),
            "--workdir",
            str(work),
            "--results-dir",
            str(results),
            "--quick",
            *args,
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def results_of(folder: Path) -> dict:
    (path,) = folder.glob("tiny-*.json")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The sample generated first (as `make bench` leaves it), then one whole bench run on it."""
    work = tmp_path_factory.mktemp("bench")
    safe_paths.mark(work / "tiny", "orchestration/tests/test_bench.py")
    sample = work / "tiny" / "raw"
    subprocess.run(
        [sys.executable, "-m", "orchestration.simulate", "--tier", "tiny", "--seed", str(SEED), "--out", str(sample)],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    before = files_and_mtimes(sample, sample.parent / "truth")
    done = run_bench(work, work / "results")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return {"work": work, "sample": sample, "before": before, "done": done, "json": results_of(work / "results")}


def test_every_figure_is_written_with_sane_values(bench: dict) -> None:
    figures = bench["json"]
    missing = [name for name in FIGURES if figures.get(name) is None]
    assert not missing, f"missing from the JSON: {missing}"
    for name in ("floor_cold_s", "floor_s", "full_build_s", "incremental_day_s", "day_at_1x_s"):
        assert figures[name] > 0, name
    # On tiny a daily run does nearly a full build's work (every test runs, the models are small),
    # so the share is near 1 and the shared machine's noise can lift it past; the 10 % target is
    # large's. Above 2 something would be wrong (a day built twice, a full build cut short).
    assert 0 < figures["incremental_share"] <= 2
    assert figures["incremental_share"] == pytest.approx(figures["incremental_day_s"] / figures["full_build_s"])
    assert figures["day_growth"] > 0
    assert figures["day_growth"] == pytest.approx(figures["incremental_day_s"] / figures["day_at_1x_s"])
    assert figures["identity_ratio"] > 0 and figures["clv_ratio"] > 0
    assert figures["peak_rss_mb"] > 0 and figures["memory_limit_mb"] > 0
    assert figures["memory_ok"] is True
    # The day's slowest tests, for profiling, and every step's node timings kept beside the build.
    assert len(figures["incremental_slowest_tests"]) == 10
    assert all(uid.startswith("test.") and seconds >= 0 for uid, seconds in figures["incremental_slowest_tests"])
    kept = {path.name for path in Path(figures["warehouse"]).parent.glob("logs/run_results-*.json")}
    assert {"run_results-full-build.json", "run_results-day-at-2x.json"} <= kept


def test_history_doubles_between_the_two_days(bench: dict) -> None:
    """The day at 2x lands on twice the days of history the day at 1x lands on."""
    days = bench["json"]["partitions"]
    assert days["history_at_2x"] == 2 * days["history_at_1x"] == 118  # of the tiny tier's 120 days
    start = dt.date.fromisoformat(days["first"])
    assert dt.date.fromisoformat(days["day_at_1x"]) == start + dt.timedelta(days=59)
    assert dt.date.fromisoformat(days["day_at_2x"]) == start + dt.timedelta(days=118)


def test_both_floors_are_printed_and_the_targets_summarised(bench: dict) -> None:
    out = bench["done"].stdout
    figures = bench["json"]
    assert f"{figures['floor_cold_s']:.2f}" in out and f"{figures['floor_s']:.2f}" in out
    for target in ("10x floor", "10 % of full", "day_growth", "peak RSS"):
        assert target in out, target
    assert "PASS" in out or "FAIL" in out


def test_the_simulators_sample_is_untouched(bench: dict) -> None:
    assert files_and_mtimes(bench["sample"], bench["sample"].parent / "truth") == bench["before"]


def test_the_landing_folder_ends_up_with_every_used_partition_of_the_sample(bench: dict) -> None:
    """Each partition up to the day at 2x landed, as it is in the sample; none after it."""
    sample, landing = bench["sample"], bench["work"] / "tiny" / "landing" / "raw"
    last = f"dt={bench['json']['partitions']['day_at_2x']}"
    files = sorted(p.relative_to(sample) for p in sample.rglob("*") if p.is_file() and p.parent.name.startswith("dt="))
    used = [f for f in files if f.parent.name <= last]
    assert len(used) < len(files)  # the tiny tier's last day is not used
    landed = sorted(p.relative_to(landing) for p in landing.rglob("*") if p.is_file())
    assert landed == sorted([*used, bench_module.ERASURE_FILE])
    assert all((sample / f).read_bytes() == (landing / f).read_bytes() for f in used)


def test_the_erasure_file_as_of_a_day_is_the_one_the_simulator_writes_on_that_day(tmp_path: Path) -> None:
    """The simulation is prefix-stable: a sample ending on an earlier day is the longer one's prefix."""
    longer, shorter = tmp_path / "longer" / "raw", tmp_path / "shorter" / "raw"
    simulate = [sys.executable, "-m", "orchestration.simulate", "--tier", "tiny", "--seed", str(SEED)]
    subprocess.run([*simulate, "--out", str(longer)], cwd=PROJECT_DIR, check=True, capture_output=True)
    start = min(bench_module.partition_dates(longer))
    for days in (30, 59, 90):
        through = start + dt.timedelta(days=days - 1)
        subprocess.run(
            [*simulate, "--out", str(shorter), "--days", str(days), "--end-date", through.isoformat()],
            cwd=PROJECT_DIR,
            check=True,
            capture_output=True,
        )
        expected = (shorter / bench_module.ERASURE_FILE).read_text()
        assert bench_module.erasure_snapshot((longer / bench_module.ERASURE_FILE).read_text(), through) == expected


def test_peak_rss_above_the_memory_limit_fails_the_command(bench: dict) -> None:
    """A budget DuckDB builds tiny in (its share, spilling where it must) and an allowance of
    -1300 MB: the dbt process alone needs more than budget - 1300 MB, so the peak is above the
    rule's ceiling and the command fails."""
    results = bench["work"] / "results-low"
    low = {"USER_ASSETS_DUCKDB_MEMORY_LIMIT": "1.5GB"}
    done = run_bench(bench["work"], results, "--skip-next-day", "--rss-allowance-mb", "-1300", **low)
    assert done.returncode != 0
    assert list(results.glob("tiny-*.json")), done.stderr[-3000:]
    figures = results_of(results)  # written before failing
    assert figures["memory_ok"] is False
    assert figures["peak_rss_mb"] > figures["memory_limit_mb"] + figures["rss_allowance_mb"]
    message = done.stderr
    assert "USER_ASSETS_DUCKDB_MEMORY_LIMIT=1.5GB" in message, message[-2000:]
    assert f"{figures['peak_rss_mb']:,.0f} MB" in message, message[-2000:]


def test_the_profile_spills_to_the_temp_folder_of_the_settings(tmp_path: Path) -> None:
    """dbt's DuckDB connection has the memory limit and the temp_directory the settings name
    (USER_ASSETS_DUCKDB_TEMP_DIR here; by default the folder beside the DuckDB file)."""
    raw, spill = tmp_path / "raw", tmp_path / "elsewhere" / "spill"
    raw.mkdir()
    (shown,) = dbt_show(
        "select current_setting('temp_directory') as temp_directory, current_setting('memory_limit') as memory_limit",
        raw,
        tmp_path,
        USER_ASSETS_DUCKDB_MEMORY_LIMIT="3GB",
        USER_ASSETS_DUCKDB_TEMP_DIR=str(spill),
    )
    assert Path(shown["temp_directory"]).resolve() == spill.resolve()
    with duckdb.connect(config=settings.duckdb_memory_settings("3GB")) as con:  # DuckDB's share of 3GB
        assert shown["memory_limit"] == con.execute("select current_setting('memory_limit')").fetchone()[0]


def test_the_bench_spills_beside_its_warehouse_into_a_marked_folder(bench: dict) -> None:
    spill = Path(bench["json"]["temp_directory"])
    assert spill.parent == Path(bench["json"]["warehouse"]).parent
    assert spill.name == Path(bench["json"]["warehouse"]).name + ".tmp"
    assert (spill / safe_paths.MARKER).is_file()

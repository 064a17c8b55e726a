"""Nothing the project did not create is ever deleted or overwritten (SPEC section 2; docs/safety.md):
`make data`, `make clean`, `make clean-data`, the simulator, the bench and the Dagster raw landing
all go through orchestration/safe_paths.py, which deletes only what carries the project's marker
(or a DuckDB warehouse file) and otherwise refuses, naming the path."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.settings import PROJECT_DIR

MARKER = ".user-asset-warehouse-generated"
CHECKER = PROJECT_DIR / "tools" / "check_raw_contract.py"
# A landing file of the shape real CRM exports have (made-up values).
CRM_HEADER = "member_id,phone,email,level,updated_at\n"
CRM_FILE = CRM_HEADER + "M-000001,13900000000,someone@example.com,gold,2026-03-01 10:00:00\n"


def landing_with_real_files(root: Path) -> Path:
    """A landing folder with one CRM file and an empty events/ (no truth manifest beside it)."""
    crm = root / "crm_members" / "dt=2026-03-01" / "members.csv"
    crm.parent.mkdir(parents=True)
    crm.write_text(CRM_FILE)
    (root / "events").mkdir()
    return crm


def make(*args: str, cwd: Path = PROJECT_DIR, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(PROJECT_DIR / "Makefile"), "-C", str(cwd), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def simulate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.simulate", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- 1. make data -------------------------------------------------------------------------------


def test_make_data_keeps_a_landing_folder_of_real_files(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    crm = landing_with_real_files(landing)
    before = files_under(landing)
    done = make("data", "TIER=tiny", USER_ASSETS_RAW_DIR=str(landing))
    assert done.returncode != 0, "make data must refuse a folder of files it did not create"
    assert files_under(landing) == before and crm.read_text() == CRM_FILE
    assert not (tmp_path / "truth").exists(), "nothing is written next to it either"
    assert str(landing) in done.stdout + done.stderr, "the message names the folder"


def test_make_data_generates_marks_reuses_and_clean_data_removes(tmp_path: Path) -> None:
    raw, keep = tmp_path / "data" / "raw", tmp_path / "data" / "mine.txt"
    keep.parent.mkdir()
    keep.write_text("not the project's")
    env = {"USER_ASSETS_RAW_DIR": str(raw)}
    first = make("data", "TIER=tiny", "SEED=3", **env)
    assert first.returncode == 0, first.stderr
    # The truth folder carries the marker for both; the raw folder stays exactly the landing contract.
    assert (tmp_path / "data" / "truth" / MARKER).is_file()
    strict = subprocess.run([sys.executable, str(CHECKER), str(raw), "--strict"], capture_output=True, text=True)
    assert strict.returncode == 0, strict.stdout
    generated = files_under(raw)
    again = make("data", "TIER=tiny", "SEED=3", **env)
    assert again.returncode == 0 and "already" in again.stdout
    assert files_under(raw) == generated
    cleaned = make("clean-data", **env)
    assert cleaned.returncode == 0, cleaned.stderr
    assert not raw.exists() and not (tmp_path / "data" / "truth").exists()
    assert keep.read_text() == "not the project's"


def test_a_sample_of_the_previous_simulator_counts_as_generated(tmp_path: Path) -> None:
    """Upgrading: a sample written before the marker existed (the simulator's truth manifest beside
    it, the files it lists) is still the project's; a landing folder next to that truth is not."""
    from orchestration import safe_paths

    raw = tmp_path / "raw"
    assert simulate("--tier", "tiny", "--days", "5", "--seed", "1", "--out", str(raw)).returncode == 0
    (tmp_path / "truth" / MARKER).unlink()
    other = tmp_path / "landing"
    landing_with_real_files(other)
    with pytest.raises(safe_paths.NotOurs, match=re.escape(str(other))):
        safe_paths.remove(other)
    safe_paths.remove(raw, tmp_path / "truth")
    assert not raw.exists() and not (tmp_path / "truth").exists() and (other / "crm_members").is_dir()


# --- 2. Dagster raw landing ---------------------------------------------------------------------


def materialize_raw_landing(raw: Path, monkeypatch: pytest.MonkeyPatch, mode: str | None) -> dg.ExecuteInProcessResult:
    from orchestration.definitions import raw_landing

    monkeypatch.setenv("USER_ASSETS_RAW_DIR", str(raw))
    if mode is None:
        monkeypatch.delenv("USER_ASSETS_RAW_MODE", raising=False)
    else:
        monkeypatch.setenv("USER_ASSETS_RAW_MODE", mode)
    return dg.materialize([raw_landing], instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    failures = result.get_step_failure_events()
    assert failures, "the run must fail"
    error = failures[0].step_failure_data.user_failure_data
    return (error.description if error else "") + str(failures[0].step_failure_data.error)


def test_raw_landing_is_production_by_default_and_deletes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tmp_path / "raw"
    crm = landing_with_real_files(raw)
    before = files_under(raw)
    result = materialize_raw_landing(raw, monkeypatch, mode=None)
    assert files_under(raw) == before and crm.read_text() == CRM_FILE
    assert not result.success
    message = failure_message(result)
    assert str(raw / "events") in message and "USER_ASSETS_RAW_MODE" in message


def test_raw_landing_in_demo_mode_never_deletes_unmarked_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "raw"
    crm = landing_with_real_files(raw)
    before = files_under(raw)
    result = materialize_raw_landing(raw, monkeypatch, mode="demo")
    assert files_under(raw) == before and crm.read_text() == CRM_FILE
    assert not result.success and str(raw) in failure_message(result)


def test_raw_landing_rejects_an_unknown_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "raw"
    landing_with_real_files(raw)
    result = materialize_raw_landing(raw, monkeypatch, mode="prod")
    assert not result.success and "USER_ASSETS_RAW_MODE" in failure_message(result)


# --- 3. make clean, the simulator, the bench ----------------------------------------------------


def test_make_clean_with_a_space_in_the_warehouse_path_deletes_no_decoy(tmp_path: Path) -> None:
    # `rm -rf $(USER_ASSETS_DUCKDB_PATH)` unquoted: ".../my dir/warehouse.duckdb" also deleted ".../my".
    project = tmp_path / "project"  # make runs here, so that the real target/ and logs/ are untouched
    project.mkdir()
    decoy = tmp_path / "my"
    (decoy / "keep").mkdir(parents=True)
    (decoy / "keep" / "notes.txt").write_text("mine")
    database = tmp_path / "my dir" / "warehouse.duckdb"
    database.parent.mkdir()
    with duckdb.connect(str(database)) as con:
        con.execute("create table t as select 1 as x")
    done = make(
        "clean", cwd=project, USER_ASSETS_DUCKDB_PATH=str(database), PYTHON=sys.executable, PYTHONPATH=str(PROJECT_DIR)
    )
    assert (decoy / "keep" / "notes.txt").read_text() == "mine"
    assert done.returncode == 0, done.stdout + done.stderr
    assert not database.exists() and database.parent.is_dir()


def test_make_clean_refuses_a_warehouse_path_that_is_not_a_warehouse(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    done = make(
        "clean", cwd=project, USER_ASSETS_DUCKDB_PATH=str(notes), PYTHON=sys.executable, PYTHONPATH=str(PROJECT_DIR)
    )
    assert notes.read_text() == "mine"
    assert done.returncode != 0 and str(notes) in done.stdout + done.stderr


def test_make_clean_data_refuses_a_landing_folder_of_real_files(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing_with_real_files(landing)
    before = files_under(landing)
    done = make("clean-data", USER_ASSETS_RAW_DIR=str(landing))
    assert files_under(landing) == before
    assert done.returncode != 0 and str(landing) in done.stdout + done.stderr


def test_simulator_refuses_a_non_empty_folder_it_did_not_create(tmp_path: Path) -> None:
    out = tmp_path / "landing"
    landing_with_real_files(out)
    before = files_under(out)
    done = simulate("--tier", "tiny", "--days", "3", "--out", str(out))
    assert done.returncode != 0 and files_under(out) == before
    assert str(out) in done.stderr and MARKER in done.stderr
    # Nor a --truth folder of someone else's files.
    truth = tmp_path / "mine"
    truth.mkdir()
    (truth / "manifest.json").write_text(json.dumps({"mine": True}))
    done = simulate("--tier", "tiny", "--days", "3", "--out", str(tmp_path / "new"), "--truth", str(truth))
    assert done.returncode != 0 and str(truth) in done.stderr
    assert json.loads((truth / "manifest.json").read_text()) == {"mine": True}
    # An empty folder is fine, and is marked as the project's (through its truth folder).
    empty = tmp_path / "empty" / "raw"
    empty.mkdir(parents=True)
    assert simulate("--tier", "tiny", "--days", "3", "--out", str(empty)).returncode == 0
    assert (tmp_path / "empty" / "truth" / MARKER).is_file()


def test_bench_refuses_a_workdir_of_files_it_did_not_create(tmp_path: Path) -> None:
    work = tmp_path / "tiny"
    work.mkdir()
    (work / "warehouse.duckdb").write_text("mine")
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.bench", "--tier", "tiny", "--workdir", str(tmp_path)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and str(work) in done.stderr
    assert files_under(work) == {"warehouse.duckdb": b"mine"}


def test_every_deletion_goes_through_safe_paths() -> None:
    """No raw `rm -rf`, shutil.rmtree or unlink of a path outside orchestration/safe_paths.py."""
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert not re.search(r"\brm\s+-", makefile), "the Makefile deletes through orchestration.safe_paths"
    offenders = [
        str(path.relative_to(PROJECT_DIR))
        for path in (PROJECT_DIR / "orchestration").rglob("*.py")
        if "tests" not in path.parts
        and path.name != "safe_paths.py"
        and re.search(r"rmtree\(|\.unlink\(|os\.remove\(|os\.rmdir\(", path.read_text())
    ]
    assert offenders == [], offenders


def test_a_file_a_user_adds_to_a_generated_landing_folder_is_never_deleted(tmp_path: Path) -> None:
    """The landing folder cannot carry a marker (the contract allows only source folders), so what
    it holds is checked against the sample's manifest: bring-your-own-data into data/raw after
    `make data` makes the folder no longer only ours, and make clean-data refuses it."""
    raw = tmp_path / "data" / "raw"
    env = {"USER_ASSETS_RAW_DIR": str(raw)}
    assert make("data", "TIER=tiny", "SEED=3", **env).returncode == 0
    export = raw / "crm_members" / "dt=2026-03-02" / "real_export.csv"
    export.parent.mkdir(parents=True, exist_ok=True)
    export.write_text("member_id,updated_at\nM-REAL-1,2026-03-02 10:00:00\n")
    cleaned = make("clean-data", **env)
    assert cleaned.returncode != 0
    assert str(raw) in cleaned.stderr
    assert export.read_text().startswith("member_id")
    again = make("data", "TIER=small", "SEED=3", **env)  # another tier regenerates: refused too
    assert again.returncode != 0 and export.is_file()


def test_a_link_out_of_a_generated_folder_is_not_followed(tmp_path: Path) -> None:
    """bench/work/<tier>/raw linked to a shared landing folder: deleting under the link would
    delete somebody else's files."""
    from orchestration import safe_paths

    work, shared = tmp_path / "work", tmp_path / "shared_landing"
    safe_paths.mark(work, creator="test")
    (shared / "events").mkdir(parents=True)
    (shared / "events" / "part-0.jsonl").write_text("{}\n")
    (work / "raw").symlink_to(shared)
    with pytest.raises(safe_paths.NotOurs):
        safe_paths.remove(work / "raw" / "events")
    assert (shared / "events" / "part-0.jsonl").is_file()

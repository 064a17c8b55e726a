"""One bad line or file never stops the build (issue 29, item 13): a copy of the tiny sample with
one new file per kind of damage builds with rc 0, each damage becomes the reject row documented
in docs/raw_read_problems.md (naming the file; one row with line_number 0 for a file that cannot
be read at all), every other line is kept, and no raw content reaches dbt's output or logs.

The expected fates below are written from the contract (docs/raw_read_problems.md), not taken
from the code under test; line counts are recounted here in Python, the way the contract
checker counts lines (universal newlines, blank lines not counted).
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.tests.dbt_helpers import LINES_MODELS, line_fates, run_dbt
from orchestration.tests.tiny_build import TinyBuild

# A marker in every damaged line: it must never show up in dbt's output or logs.
MARK = "SECRET-RAW-CONTENT"


def good_event(template: str, event_id: str) -> bytes:
    doc = json.loads(template)
    doc["event_id"] = event_id
    return json.dumps(doc, ensure_ascii=False).encode()


def add_damage(raw: Path) -> dict[tuple[str, int], str]:
    """Writes the damaged files; returns the expected fate of every line of them."""
    # From the earliest partition: landed again in a later day's folder it stays plausible (a
    # time after the end of its dt= day is implausible_time).
    template = sorted((raw / "events").glob("dt=*/*.jsonl"))[0].read_text().splitlines()[0]

    def put(rel: str, content: bytes) -> None:
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        (raw / rel).write_bytes(content)

    put(
        "events/dt=2026-03-10/latin1.jsonl",
        b'{"event_id":"' + MARK.encode() + b'","event":"caf\xe9"}\n' + good_event(template, "hl-ok-1") + b"\n",
    )
    header = (raw / "crm_members").glob("dt=*/*.csv").__next__().read_text().splitlines()[0]
    crm = (
        f"{header}\n"
        f"M{MARK},1,,,,male,,北京,normal,2026-03-10T10:00:00+08:00,2026-03-10T10:00:00+08:00,true\n"
        "MHL0000001,2,,,,female,,,normal,2026-03-10T10:00:00+08:00,2026-03-10T10:00:00+08:00,true\n"
    )
    put("crm_members/dt=2026-03-10/x.csv", crm.encode("gbk"))
    big = json.dumps({"event_id": "hl-big", "event": "page_view", "pad": MARK + "x" * (10 * 1024 * 1024)})
    put("events/dt=2026-03-11/big.jsonl", big.encode() + b"\n" + good_event(template, "hl-ok-2") + b"\n")
    put(
        "events/dt=2026-03-12/ctrl.jsonl",
        b'{"event_id":"' + MARK.encode() + b'\x01","event":"login"}\n' + good_event(template, "hl-ok-3") + b"\n",
    )
    put(
        "events/dt=2026-03-13/cr.jsonl",
        b'{"event_id":"' + MARK.encode() + b'\r","event":"login"}\n' + good_event(template, "hl-ok-4") + b"\n",
    )
    whole = gzip.compress((good_event(template, "hl-gz") + b"\n") * 2000)
    put("events/dt=2026-03-14/part-9.jsonl.gz", whole[: len(whole) // 2])
    put("events/dt=2026-03-15/part-9.jsonl.gz", good_event(template, "hl-plain") + b"\n")
    return {
        ("events/dt=2026-03-10/latin1.jsonl", 1): "bad_encoding",
        ("events/dt=2026-03-10/latin1.jsonl", 2): "accepted",
        ("crm_members/dt=2026-03-10/x.csv", 2): "bad_encoding",
        ("crm_members/dt=2026-03-10/x.csv", 3): "accepted",
        ("events/dt=2026-03-11/big.jsonl", 1): "line_too_long",
        ("events/dt=2026-03-11/big.jsonl", 2): "accepted",
        # A raw control character is not allowed in a JSON string.
        ("events/dt=2026-03-12/ctrl.jsonl", 1): "malformed_json",
        ("events/dt=2026-03-12/ctrl.jsonl", 2): "accepted",
        # A bare carriage return ends a line, as for the contract checker (universal newlines).
        ("events/dt=2026-03-13/cr.jsonl", 1): "malformed_json",
        ("events/dt=2026-03-13/cr.jsonl", 2): "malformed_json",
        ("events/dt=2026-03-13/cr.jsonl", 3): "accepted",
        ("events/dt=2026-03-14/part-9.jsonl.gz", 0): "truncated_gzip",
        ("events/dt=2026-03-15/part-9.jsonl.gz", 0): "not_gzip",
    }


def python_line_counts(raw: Path) -> dict[str, int]:
    """Non-blank lines per file as the contract checker reads them (header lines included);
    a file that cannot be decompressed counts as one line, its reject row."""
    counts = {}
    for path in raw.rglob("*"):
        if not path.is_file():
            continue
        rel = str(path.relative_to(raw))
        try:
            data = gzip.decompress(path.read_bytes()) if rel.endswith(".gz") else path.read_bytes()
        except (OSError, EOFError):
            counts[rel] = 1
            continue
        lines = io.StringIO(data.decode("utf-8", errors="replace"), newline=None)
        counts[rel] = sum(1 for line in lines if line.strip())
    return counts


@pytest.fixture(scope="module")
def damaged(tiny: TinyBuild, tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("bad_lines")
    raw = work / "raw"
    shutil.copytree(tiny.raw, raw)
    expected = add_damage(raw)
    result = run_dbt(["build"], raw, work / "build")
    return raw, work / "build", expected, result


def test_the_build_succeeds_and_builds_every_person_mart(damaged) -> None:
    _, build, _, result = damaged
    assert result.returncode == 0, result.stdout[-6000:]
    run_results = json.loads((build / "target" / "run_results.json").read_text())
    not_clean = {
        r["unique_id"]: r["status"] for r in run_results["results"] if r["status"] not in ("success", "pass", "no-op")
    }
    # Only alerts: the unreadable files are wholly rejected, which no_file_wholly_rejected warns about.
    assert not_clean and set(not_clean.values()) == {"warn"}, not_clean
    assert all(".no_file_wholly_rejected_" in unique_id for unique_id in not_clean), not_clean
    con = duckdb.connect(str(build / "warehouse.duckdb"), read_only=True)
    (persons,) = con.execute("select count(*) from marts.dim_persons").fetchone()
    assert persons > 0


def test_each_damage_is_the_documented_reject_naming_the_file(damaged) -> None:
    _, build, expected, result = damaged
    assert result.returncode == 0, result.stdout[-6000:]
    con = duckdb.connect(str(build / "warehouse.duckdb"), read_only=True)
    damaged_files = "file_name similar to '.*(latin1|big|ctrl|cr|x)\\.(jsonl|csv)|.*part-9\\.jsonl\\.gz'"
    assert line_fates(con, damaged_files) == expected
    # The staged rejects carry them too.
    (rejects,) = con.execute(
        "select count(*) from staging.stg_tracking__event_rejects"
        " where reject_reason in ('bad_encoding', 'line_too_long', 'truncated_gzip', 'not_gzip')"
    ).fetchone()
    assert rejects == 4


def test_nothing_else_is_lost(damaged) -> None:
    raw, build, _, result = damaged
    assert result.returncode == 0, result.stdout[-6000:]
    con = duckdb.connect(str(build / "warehouse.duckdb"), read_only=True)
    counted = {}
    for model in LINES_MODELS.values():
        for file_name, lines in con.execute(
            f"select file_name, count(*) from staging.{model} group by file_name"
        ).fetchall():
            counted[file_name] = lines
    expected = python_line_counts(raw)
    # CSV headers are not lines of the lines models.
    expected = {f: n - 1 if f.endswith(".csv") else n for f, n in expected.items()}
    assert counted == expected


def test_no_raw_content_in_dbt_output_or_logs(damaged) -> None:
    _, build, _, result = damaged
    assert MARK not in result.stdout and MARK not in result.stderr
    for log in (build / "logs").rglob("*"):
        if log.is_file():
            assert MARK not in log.read_text(errors="replace"), log


def test_a_missing_events_folder_points_at_the_landing_folder(tmp_path: Path) -> None:
    (tmp_path / "raw" / "orders").mkdir(parents=True)
    result = run_dbt(["run", "-s", "base_tracking__event_lines"], tmp_path / "raw", tmp_path / "work")
    assert result.returncode != 0
    message = " ".join(line for line in result.stdout.splitlines() if "No raw files match" in line)
    assert "USER_ASSETS_RAW_DIR" in message
    # `make data` writes sample data into data/raw: offered only as a demo, never as the fix.
    assert "make data" not in message or ("demo" in message and "data/raw" in message)

"""Issue 29, items 12 and 16: CSV files are read by their header's column names, a file that is
wholly rejected is alerted on, a quoted field may span lines, and the contract checker reports
unreadable files instead of crashing.

The raw folder is the simulator's tiny sample plus hand-written CRM files in its last partition;
the expected values below are written from the contract (SPEC section 2), not taken from the code.
"""

from __future__ import annotations

import csv
import gzip
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from orchestration.quality.core import validate
from orchestration.quality.suites import SUBJECTS
from orchestration.tests.dbt_helpers import run_dbt
from orchestration.tests.tiny_build import TINY_SEED, simulate

CHECKER = Path(__file__).parents[2] / "tools" / "check_raw_contract.py"
CONTRACT = [
    "member_id", "account_id", "phone", "email", "unionid", "gender", "birth_date", "city", "member_level",
    "registered_at", "updated_at", "marketing_consent",
]  # fmt: skip
DAY = "dt=2026-03-31"


def member(member_id: str, **override: str) -> dict[str, str]:
    row = {
        "member_id": member_id,
        "account_id": f"acc-{member_id}",
        "phone": "",
        "email": "",
        "unionid": f"u-{member_id}",
        "gender": "female",
        "birth_date": "1990-05-01",
        "city": "杭州",
        "member_level": "gold",
        "registered_at": "2025-01-01T10:00:00+08:00",
        "updated_at": "2026-03-31T10:00:00+08:00",
        "marketing_consent": "true",
    }
    row.update(override)
    return row


def csv_text(header: list[str], rows: list[dict[str, str]], names: list[str] | None = None) -> str:
    """A CSV file with `header` as written (names) and each row's values in the header's order."""
    lines = [",".join(names or header)]
    lines += [",".join(row.get(column, "extra") for column in header) for row in rows]
    return "\n".join(lines) + "\n"


EXTRA = [*CONTRACT[:8], "loyalty_points", *CONTRACT[8:], "note"]
REORDERED = list(reversed(CONTRACT))
OPTIONAL_MISSING = [c for c in CONTRACT if c not in ("unionid", "birth_date", "marketing_consent")]
REQUIRED_MISSING = [c for c in CONTRACT if c != "updated_at"]
FILES = {
    "extra.csv": csv_text(EXTRA, [member("H-EXTRA")]),
    "reordered.csv": csv_text(REORDERED, [member("H-REORDERED", city="成都")]),
    "upper.csv": csv_text(
        CONTRACT, [member("H-UPPER", member_level="silver")], names=[f" {c.upper()} " for c in CONTRACT]
    ),
    "optional.csv": csv_text(OPTIONAL_MISSING, [member("H-OPTIONAL")]),
    "required.csv": csv_text(REQUIRED_MISSING, [member("H-REQUIRED-1"), member("H-REQUIRED-2")]),
    # RFC 4180: a quoted field may hold a line break; the record is one row (line 2), and the
    # next record keeps its physical line number (4).
    "multiline.csv": ",".join(CONTRACT)
    + "\n"
    + ",".join(member("H-MULTILINE", city='"浦东新区\n上海市"').values())
    + "\n"
    + ",".join(member("H-AFTER").values())
    + "\n",
    # Two stray quotes 23 lines apart: more than csv_max_record_lines (20), so they do not make
    # one record of everything between them.
    "stray.csv": csv_text(
        CONTRACT,
        [
            member("H-STRAY-1", account_id='"acc-open'),
            *(member(f"H-CLEAN-{i}") for i in range(22)),
            member("H-STRAY-2", city='Hangzhou"'),
        ],
    ),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    work = tmp_path_factory.mktemp("hardening_csv")
    raw = work / "raw"
    simulate("tiny", TINY_SEED, raw)
    for name, text in FILES.items():
        (raw / "crm_members" / DAY / name).write_text(text, encoding="utf-8")
    reorder_erasure_columns(raw / "erasure_requests" / "requests.csv")
    result = run_dbt(["build"], raw, work)
    return work, result


PERMUTATION = [3, 1, 0, 2]  # requested_at, identifier_type, request_id, identifier_value


def reorder_erasure_columns(path: Path) -> None:
    """The same erasure requests with the columns in another order (extra trailing fields kept)."""
    original = path.with_name("original.txt")
    path.rename(original)
    with open(original, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        for row in rows:
            writer.writerow([row[i] for i in PERMUTATION if i < len(row)] + row[4:] if len(row) >= 4 else row)
    original.rename(path.parent.parent / "erasure_original.txt")  # outside the source's folder


def lines(work: Path, where: str) -> list[dict]:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(f"select * from staging.base_crm__member_lines where {where} order by line_number")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def file_rows(work: Path, name: str) -> list[dict]:
    return lines(work, f"file_name = 'crm_members/{DAY}/{name}'")


def test_the_build_succeeds_and_warns_about_the_wholly_rejected_file(built) -> None:
    work, result = built
    assert result.returncode == 0, result.stdout[-6000:]
    summary = re.search(r"WARN=(\d+) ERROR=(\d+)", result.stdout)
    assert summary and int(summary.group(1)) >= 1 and summary.group(2) == "0", result.stdout[-3000:]
    warned = [line for line in result.stdout.splitlines() if "WARN" in line and "wholly_rejected" in line]
    assert any("base_crm__member_lines" in line for line in warned), result.stdout[-6000:]
    # The test's result names the file, and only that file.
    (compiled,) = [
        path
        for path in (work / "target" / "compiled").rglob("*.sql")
        if "wholly_rejected" in path.name and "base_crm__member_lines" in path.name
    ]
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(compiled.read_text())
        names = [d[0] for d in cursor.description]
        named = [dict(zip(names, row, strict=True))["file_name"] for row in cursor.fetchall()]
    assert named == [f"crm_members/{DAY}/required.csv"]


@pytest.mark.parametrize(
    ("name", "member_id", "city", "level"),
    [
        ("extra.csv", "H-EXTRA", "杭州", "gold"),
        ("reordered.csv", "H-REORDERED", "成都", "gold"),
        ("upper.csv", "H-UPPER", "杭州", "silver"),
        ("optional.csv", "H-OPTIONAL", "杭州", "gold"),
    ],
)
def test_columns_are_read_by_name(built, name: str, member_id: str, city: str, level: str) -> None:
    (row,) = file_rows(built[0], name)
    assert (row["line_number"], row["line_status"], row["reject_reason"]) == (2, "accepted", None)
    assert row["member_id_text"] == member_id
    assert row["account_id_text"] == f"acc-{member_id}"
    assert (row["city_text"], row["member_level_text"], row["gender_text"]) == (city, level, "female")
    assert row["registered_at_text"] == "2025-01-01T10:00:00+08:00"
    assert str(row["updated_at"])[:16] == "2026-03-31 02:00"  # +08:00 to UTC
    # Columns outside the contract are ignored and named; absent optional ones are named.
    assert row["ignored_columns"] == ("loyalty_points,note" if name == "extra.csv" else None)
    assert row["absent_columns"] == ("unionid,birth_date,marketing_consent" if name == "optional.csv" else None)
    if name == "optional.csv":  # the missing optional columns are null
        assert (row["unionid_text"], row["birth_date_text"], row["marketing_consent_text"]) == (None, None, None)
    else:
        assert (row["unionid_text"], row["birth_date_text"], row["marketing_consent_text"]) == (
            f"u-{member_id}",
            "1990-05-01",
            "true",
        )


def test_a_missing_required_column_rejects_the_files_rows_with_its_name(built) -> None:
    rows = file_rows(built[0], "required.csv")
    assert [(r["line_number"], r["line_status"], r["reject_reason"]) for r in rows] == [
        (2, "rejected", "missing_column_updated_at"),
        (3, "rejected", "missing_column_updated_at"),
    ]


def test_a_quoted_line_break_is_one_record(built) -> None:
    rows = file_rows(built[0], "multiline.csv")
    assert [(r["line_number"], r["line_status"], r["member_id_text"]) for r in rows] == [
        (2, "accepted", "H-MULTILINE"),
        (4, "accepted", "H-AFTER"),
    ]
    assert rows[0]["city_text"] == "浦东新区\n上海市"


def test_a_stray_quote_does_not_join_the_lines_after_it_beyond_the_bound(built) -> None:
    rows = file_rows(built[0], "stray.csv")
    assert [(r["line_number"], r["reject_reason"]) for r in rows if r["line_status"] != "accepted"] == [
        (2, "malformed_csv"),
        (25, "malformed_csv"),
    ]
    assert [r["line_number"] for r in rows if r["line_status"] == "accepted"] == list(range(3, 25))


def test_the_reconciliation_counts_continuation_lines(built) -> None:
    """raw lines = the physical lines behind the rows; the singular test ran in the build."""
    work, result = built
    assert re.search(r"PASS\b.*assert_raw_lines_reconcile", result.stdout), result.stdout[-3000:]
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        (physical,) = con.execute(
            f"select sum(physical_line_count) from staging.base_crm__member_lines"
            f" where file_name = 'crm_members/{DAY}/multiline.csv'"
        ).fetchone()
    assert physical == 3
    # The contract checker reads CSV records with Python's csv module: it counts as many as the
    # warehouse has rows (stray.csv aside: Python joins lines after a stray quote without bound).
    copy = work / "checked" / "crm_members"
    shutil.copytree(work / "raw" / "crm_members", copy, ignore=shutil.ignore_patterns("stray.csv"))
    report = subprocess.run(
        [sys.executable, str(CHECKER), str(copy.parent)], capture_output=True, text=True, check=True
    ).stdout
    (checked,) = [int(row.split()[2]) for row in report.splitlines() if row.startswith("crm_members ")]
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        (rows,) = con.execute(
            "select count(*) from staging.base_crm__member_lines where file_name not like '%/stray.csv'"
        ).fetchone()
    assert checked == rows


def test_the_gx_suite_flags_the_wholly_rejected_file(built) -> None:
    work, _ = built
    (subject,) = [s for s in SUBJECTS if s.asset == "base_crm__member_lines"]
    (outcome,) = validate([subject], work / "warehouse.duckdb")
    # An alert on the Checks tab, not a stop: one bad file must not hold back the build.
    assert "expect_column_values_to_be_between(wholly_rejected)" in outcome.failed_warning
    assert "expect_column_values_to_be_between(wholly_rejected)" not in outcome.failed_critical
    # Headers that differ from the contract (extra or absent optional columns) are a warning.
    assert "expect_column_values_to_be_between(header_differs)" in outcome.failed_warning


def test_every_source_has_a_reject_share_suite() -> None:
    guarded = {s.asset for s in SUBJECTS}
    assert {
        "base_tracking__event_lines",
        "base_oms__order_lines",
        "base_crm__member_lines",
        "base_marketing__campaign_touch_lines",
        "base_privacy__erasure_request_lines",
    } <= guarded
    assert len([s for s in SUBJECTS if s.name.startswith("reject_shares_")]) == 5


def test_erasure_requests_in_another_column_order_read_the_same(built) -> None:
    """One mechanism for every CSV source: the reordered erasure file has the simulator's bad
    lines with their reasons, and its accepted requests carry the original file's values."""
    work, _ = built
    raw = work / "raw"
    truth = Counter()
    truth_file = work / "truth" / "bad_lines.parquet"
    with duckdb.connect() as con:
        for line_number, reason in con.execute(
            f"select line_number, reason from '{truth_file}' where source = 'erasure_requests'"
        ).fetchall():
            truth[(line_number, reason)] += 1
    with open(raw / "erasure_original.txt", newline="", encoding="utf-8") as f:
        original = list(csv.reader(f))
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select line_number, line_status, reject_reason, request_id, identifier_type, identifier_raw_value"
            " from staging.base_privacy__erasure_request_lines order by line_number"
        ).fetchall()
    assert (
        Counter(
            (n, reason if status == "rejected" else status) for n, status, reason, *_ in rows if status != "accepted"
        )
        == truth
    )
    accepted = [(n, request_id, kind, value) for n, status, _, request_id, kind, value in rows if status == "accepted"]
    assert accepted
    for n, request_id, kind, value in accepted:
        assert [request_id, kind, value] == original[n - 1][:3]


# -- item 16: the contract checker on unreadable files ----------------------------------------------


def test_the_checker_reports_unreadable_files_instead_of_crashing(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    events = raw / "events" / "dt=2026-03-01"
    events.mkdir(parents=True)
    line = b'{"event_id": "e-1", "event": "login", "time": 1772330400000, "channel": "web"}\n'
    whole = gzip.compress(line * 200)
    (events / "truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (events / "plain.jsonl.gz").write_bytes(line * 3)  # named .gz, not gzip
    (events / "good.jsonl").write_bytes(line * 2)
    crm = raw / "crm_members" / "dt=2026-03-01"
    crm.mkdir(parents=True)
    (crm / "gbk.csv").write_bytes(csv_text(CONTRACT, [member("M-GBK", city="上海")]).encode("gbk"))

    for strict in (False, True):
        result = subprocess.run(
            [sys.executable, str(CHECKER), str(raw), *(["--strict"] if strict else [])],
            capture_output=True,
            text=True,
            check=False,
        )
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == (1 if strict else 0), result.stdout + result.stderr
        out = result.stdout
        for name, reason in [
            ("events/dt=2026-03-01/truncated.jsonl.gz", "truncated_gzip"),
            ("events/dt=2026-03-01/plain.jsonl.gz", "not_gzip"),
            ("crm_members/dt=2026-03-01/gbk.csv", "not_utf8_file"),
        ]:
            assert any(name in row and reason in row for row in out.splitlines()), (name, out)
        # The readable file is still counted.
        events_row = next(row for row in out.splitlines() if row.startswith("events "))
        assert int(events_row.split()[3]) >= 2, out

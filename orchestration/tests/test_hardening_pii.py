"""Issue 29, items 5 and 6: phones and e-mails typed or pasted into events, or used as ids, reach
no schema outside the assets declared pii; `dbt build` itself checks that; the audit table never
keeps a raw line, a phone, an e-mail or an identifier someone asked to erase.

The raw folder is the hand-written dirty_raw fixture with a few lines appended. The Python scan
below is written independently of the project's macros: it normalises full-width characters and
URL-encoding first, then looks for CN mobile numbers and e-mail addresses.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pytest

from orchestration.tests.dbt_helpers import build_or_fail, run_dbt
from orchestration.tests.test_dirty_raw import RAW, SALT, declared_pii_tables

CHECK = "assert_no_raw_pii_outside_pii_assets"
PHONE = "13987654321"
ERASED_ACCOUNT = "acc-erase-7"

EVENT_LINES = [
    # A phone as distinct_id, in a coupon id, and typed with full-width digits and dots.
    {
        "event_id": "e-pii-1",
        "event": "search",
        "time": "2026-03-01T12:00:00+08:00",
        "received_at": "2026-03-01T04:00:01Z",
        "channel": "web",
        "app_id": "site",
        "distinct_id": PHONE,
        "identities": {"anonymous_id": "cookie-pii-1"},
        "properties": {
            "search_term": "\uff11\uff13\uff19.1234.5678",  # full-width 139
            "coupon_id": "CPN-13987654321",
            "referrer": "https://x.example/share?u=li.na%40example.com",
        },
    },
    # An e-mail as distinct_id, a +86 phone with spaces, an encoded e-mail in the page.
    {
        "event_id": "e-pii-2",
        "event": "page_view",
        "time": "2026-03-01T12:05:00+08:00",
        "received_at": "2026-03-01T04:05:01Z",
        "channel": "web",
        "app_id": "site",
        "distinct_id": "Li.Na@Example.com",
        "identities": {"anonymous_id": "cookie-pii-2", "account_id": ERASED_ACCOUNT},
        "properties": {
            "search_term": "+86 139 8765 4321",
            "page": "/contact?mail=wang.wei%40example.cn",
            "product_id": "p-1",
        },
    },
]

PHONE_RE = re.compile(r"(?<![0-9A-Fa-f])(?:\+?86[ .\-]?)?1[3-9][0-9](?:[ .\-]?[0-9]){8}(?![0-9A-Fa-f])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


def looks_like_pii(value: str) -> bool:
    text = unquote(unicodedata.normalize("NFKC", value))
    return bool(PHONE_RE.search(text) or EMAIL_RE.search(text))


def pii_columns(con: duckdb.DuckDBPyConnection, exclude: set[str]) -> list[str]:
    """schema.table.column of every VARCHAR column, in every schema, holding a phone or e-mail."""
    columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
        " where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog')"
    ).fetchall()
    found = []
    for schema, table, column in columns:
        if table in exclude:
            continue
        values = con.execute(f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null')
        if any(looks_like_pii(value) for (value,) in values.fetchall()):
            found.append(f"{schema}.{table}.{column}")
    return found


def leaky_raw(root: Path) -> Path:
    raw = root / "raw"
    shutil.copytree(RAW, raw)
    with open(raw / "events" / "dt=2026-03-01" / "part-0.jsonl", "a", encoding="utf-8") as f:
        for line in EVENT_LINES:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    with open(raw / "erasure_requests" / "requests.csv", "a", encoding="utf-8") as f:
        f.write(f"r-pii-1,account_id,{ERASED_ACCOUNT},2026-03-01T00:00:00Z\n")
    return raw


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("leaky")
    raw = leaky_raw(root)
    build_or_fail(raw, root / "build", USER_ASSETS_PII_SALT=SALT)
    return raw, root / "build"


def test_scanner_sees_the_planted_values_in_the_raw_lines(leaky: tuple[Path, Path]) -> None:
    with duckdb.connect(str(leaky[1] / "warehouse.duckdb"), read_only=True) as con:
        assert "staging.base_tracking__event_lines.distinct_id" in pii_columns(con, exclude=set())


def test_no_phone_or_email_outside_the_pii_assets(leaky: tuple[Path, Path]) -> None:
    with duckdb.connect(str(leaky[1] / "warehouse.duckdb"), read_only=True) as con:
        assert pii_columns(con, exclude=declared_pii_tables(con)) == []
        # The masked events are still there (e-pii-2 is erased with its account from the marts).
        staged = {r[0] for r in con.execute("select event_id from staging.stg_tracking__events").fetchall()}
        assert {"e-pii-1", "e-pii-2"} <= staged
        (served,) = con.execute("select count(*) from marts.fct_events where event_id = 'e-pii-1'").fetchone()
        assert served == 1


def test_a_distinct_id_that_is_a_phone_becomes_the_phones_key(leaky: tuple[Path, Path]) -> None:
    phone_key = hashlib.sha256(f"{SALT}:phone:{PHONE}".encode()).hexdigest()
    with duckdb.connect(str(leaky[1] / "warehouse.duckdb"), read_only=True) as con:
        (distinct_id,) = con.execute(
            "select distinct_id from staging.stg_tracking__events where event_id = 'e-pii-1'"
        ).fetchone()
    assert distinct_id == phone_key


def test_the_build_runs_the_pii_check(leaky: tuple[Path, Path]) -> None:
    results = json.loads((leaky[1] / "target" / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"].split(".")[-1]: r["status"] for r in results}
    assert statuses.get(CHECK) == "pass"


def copy_build(build: Path, work: Path) -> Path:
    work.mkdir(parents=True)
    shutil.copy(build / "warehouse.duckdb", work / "warehouse.duckdb")
    return work / "warehouse.duckdb"


def test_the_check_fails_on_a_phone_in_a_mart_naming_the_column_not_the_value(
    leaky: tuple[Path, Path], tmp_path: Path
) -> None:
    raw, build = leaky
    database = copy_build(build, tmp_path / "work")
    planted = "call 139 8765 4321 now"
    with duckdb.connect(str(database)) as con:
        con.execute(
            "update marts.bdg_identifiers_to_persons set identifier_value = ?"
            " where identifier_key = (select min(identifier_key) from marts.bdg_identifiers_to_persons)",
            [planted],
        )
        con.execute("update snapshots.snp_identity_persons set one_id = 'x@example.org' where true")
    result = run_dbt(["test", "-s", CHECK], raw, tmp_path / "work", USER_ASSETS_PII_SALT=SALT)
    assert result.returncode != 0, result.stdout[-3000:]
    with duckdb.connect(str(database), read_only=True) as con:
        (failures_schema,) = con.execute(
            "select table_schema from information_schema.tables where table_name = ?", [CHECK]
        ).fetchone()
        failures = dict(con.execute(f'select column_path, row_count from "{failures_schema}"."{CHECK}"').fetchall())
    planted_column = "marts.bdg_identifiers_to_persons.identifier_value"
    assert set(failures) == {planted_column, "snapshots.snp_identity_persons.one_id"}
    assert failures[planted_column] == 1
    logs = result.stdout + (tmp_path / "work" / "logs" / "dbt.log").read_text()
    assert "139 8765 4321" not in logs and "x@example.org" not in logs


def audit_messages(database: Path) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("select message from audit.dbt_node_results where message is not null").fetchall()
    return [message for (message,) in rows]


def test_audit_rows_with_raw_pii_or_erased_identifiers_are_redacted(leaky: tuple[Path, Path], tmp_path: Path) -> None:
    raw, build = leaky
    database = copy_build(build, tmp_path / "work")
    # Rows as an earlier run (before this redaction) could have left them.
    with duckdb.connect(str(database)) as con:
        con.execute(
            "insert into audit.dbt_node_results (invocation_id, unique_id, status, message) values"
            " ('old', 'model.x.a', 'error', ?), ('old', 'model.x.b', 'error', ?)",
            [
                'CSV Error on Line: 26\n  Original Line: {"distinct_id": "139 8765 4321", "e": "li.na@example.com"}',
                f"Conversion Error: could not convert '{ERASED_ACCOUNT.upper()}' to INT32",
            ],
        )
    result = run_dbt(["test", "-s", CHECK], raw, tmp_path / "work", USER_ASSETS_PII_SALT=SALT)
    assert result.returncode == 0, result.stdout[-3000:]
    messages = audit_messages(database)
    assert not [m for m in messages if looks_like_pii(m)]
    assert not [m for m in messages if ERASED_ACCOUNT in m.lower()]
    # What is left still says where: the line number.
    assert any("Line: 26" in m for m in messages)


def test_a_raw_line_that_breaks_the_reader_reaches_the_audit_masked(tmp_path: Path) -> None:
    raw = leaky_raw(tmp_path)
    with open(raw / "events" / "dt=2026-03-01" / "part-0.jsonl", "ab") as f:
        f.write(b'{"event_id": "e-x", "distinct_id": "13987654321", "bad": "\xff\xfe li.na@example.com"}\n')
    run_dbt(["build"], raw, tmp_path / "work", USER_ASSETS_PII_SALT=SALT)
    messages = audit_messages(tmp_path / "work" / "warehouse.duckdb")
    assert messages
    assert not [m for m in messages if looks_like_pii(m) or "li.na" in m]
    assert all(len(m) <= 500 for m in messages)


def test_the_check_runs_after_every_model_and_snapshot(leaky: tuple[Path, Path]) -> None:
    """dbt cannot run a test after everything: the check depends on the leaf models. A new leaf
    left off its depends_on list would be built after the scan; this names it."""
    manifest = json.loads((leaky[1] / "target" / "manifest.json").read_text())
    nodes = manifest["nodes"]
    (check,) = [node for node in nodes.values() if node["name"] == CHECK]
    upstream, todo = set(), list(check["depends_on"]["nodes"])
    while todo:
        node_id = todo.pop()
        if node_id not in upstream:
            upstream.add(node_id)
            todo.extend(nodes.get(node_id, {}).get("depends_on", {}).get("nodes", []))
    built = {node_id for node_id, node in nodes.items() if node["resource_type"] in ("model", "snapshot")}
    assert sorted(built - upstream) == []

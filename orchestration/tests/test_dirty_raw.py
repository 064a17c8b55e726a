"""A hand-written raw folder with every kind of bad line: each ends as exactly the reject (or
duplicate) its author expected, the build still succeeds, and identifiers are normalised and
hashed by the contract (SPEC sections 2 and 3).

The expectations in fixtures/dirty_raw_expected.csv were written by hand, line by line, from the
contract; they are not output of the code under test. The folder deliberately holds one CRM file
with a wrong header, which the contract checker's --strict mode calls a layout error: the build
must still keep its lines, as rejects.
"""

from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.tests.dbt_helpers import LINES_MODELS, build_or_fail, line_fates

FIXTURES = Path(__file__).parent / "fixtures"
RAW = FIXTURES / "dirty_raw"
CHECKER = Path(__file__).parents[2] / "tools" / "check_raw_contract.py"
SALT = "test-salt-not-secret"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    database = build_or_fail(RAW, tmp_path_factory.mktemp("dirty"), USER_ASSETS_PII_SALT=SALT)
    con = duckdb.connect(str(database), read_only=True)
    yield con
    con.close()


def expected_fates() -> dict[tuple[str, int], str]:
    with open(FIXTURES / "dirty_raw_expected.csv", newline="") as f:
        return {(r["file_name"], int(r["line_number"])): r["expected_fate"] for r in csv.DictReader(f)}


def key(identifier_type: str, normalised: str) -> str:
    return hashlib.sha256(f"{SALT}:{identifier_type}:{normalised}".encode()).hexdigest()


def test_every_bad_line_has_its_expected_reason(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert line_fates(warehouse, "line_status != 'accepted'") == expected_fates()


def test_rejects_models_keep_raw_text_and_reason(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = warehouse.execute(
        "select file_name, line_number, reject_reason, raw_line from staging.stg_tracking__event_rejects"
    ).fetchall()
    by_position = {(f, n): (reason, raw) for f, n, reason, raw in rows}
    reason, raw = by_position[("events/dt=2026-03-01/part-0.jsonl", 5)]
    assert reason == "malformed_json"
    assert raw == '{"event_id": "e-bad-1", "event": "login"'
    # The gzip file is read like the plain one, with its own line numbers.
    assert by_position[("events/dt=2026-03-02/part-0.jsonl.gz", 3)][0] == "malformed_json"


def test_blank_lines_are_not_counted_and_numbering_survives_them(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    (line_number,) = warehouse.execute(
        "select source_line_number from staging.stg_tracking__events where event_id = 'e-22'"
    ).fetchone()
    assert line_number == 22  # the blank line 21 keeps its place in the numbering
    (lines,) = warehouse.execute(
        "select count(*) from staging.base_tracking__event_lines where file_name like '%2026-03-01%'"
    ).fetchone()
    assert lines == 22  # 25 physical lines: one empty, one of U+3000, U+00A0 and a space, one tab


def test_the_contract_checker_and_the_warehouse_count_the_same_lines(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """Both read the same lines as blank: whitespace only, tabs and Unicode spaces included.
    JSON-line sources only: the checker reads CSV files with Python's csv reader, for which a
    stray quote joins the lines after it into one row (the warehouse rejects the one line)."""
    report = subprocess.run(
        [sys.executable, str(CHECKER), str(RAW)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    json_sources = ("events", "orders", "campaign_touches")
    checked = {row.split()[0]: int(row.split()[2]) for row in report[1:] if row.split()[0] in json_sources}
    counted = {
        source: warehouse.execute(f"select count(*) from staging.{LINES_MODELS[source]}").fetchone()[0]
        for source in json_sources
    }
    assert checked == counted


def test_sdk_retry_keeps_the_copy_that_landed_first(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = warehouse.execute(
        "select source_file_name, source_line_number from staging.stg_tracking__events where event_id in ('e-1', 'e-3')"
        " order by event_id"
    ).fetchall()
    assert rows == [("events/dt=2026-03-01/part-0.jsonl", 1), ("events/dt=2026-03-01/part-0.jsonl", 4)]


def test_times_are_utc_in_both_forms(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = dict(
        warehouse.execute(
            "select event_id, strftime(event_at, '%Y-%m-%d %H:%M:%S') from staging.stg_tracking__events"
            " where event_id in ('e-1', 'e-2')"
        ).fetchall()
    )
    assert rows == {"e-1": "2026-03-01 02:00:00", "e-2": "2026-03-01 02:00:00"}  # +08:00 text and epoch ms
    (crm_updated,) = warehouse.execute(
        "select strftime(updated_at, '%Y-%m-%d %H:%M') from staging.stg_crm__members where member_id = 'm-1'"
    ).fetchone()
    assert crm_updated == "2026-03-01 01:00"  # CRM local time (Asia/Shanghai) to UTC


def test_identifiers_are_normalised_then_hashed_with_the_salt(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = {
        (t, s): (k, v)
        for t, s, k, v in warehouse.execute(
            "select identifier_type, identifier_status, identifier_key, identifier_value"
            " from staging.stg_tracking__event_identifiers where event_id = 'e-1'"
        ).fetchall()
    }
    assert rows[("phone", "valid")] == (key("phone", "13800138000"), None)
    assert rows[("email", "valid")] == (key("email", "alice@example.com"), None)
    assert rows[("device_id", "valid")] == (key("device_id", "abcdef-1"), "abcdef-1")
    assert rows[("account_id", "valid")] == (key("account_id", "acc-1"), "acc-1")


def test_the_same_phone_gets_the_same_key_in_every_source(warehouse: duckdb.DuckDBPyConnection) -> None:
    phone_key = key("phone", "13800138000")
    found = warehouse.execute(
        f"""
        select 'crm' from staging.stg_crm__member_identifiers where identifier_key = '{phone_key}'
        union select 'order' from staging.stg_oms__order_identifiers where identifier_key = '{phone_key}'
        union select 'touch' from staging.stg_marketing__campaign_touches where identifier_key = '{phone_key}'
        union select 'erasure' from staging.stg_privacy__erasure_requests where identifier_key = '{phone_key}'
        """
    ).fetchall()
    assert {r[0] for r in found} == {"crm", "order", "touch", "erasure"}


def test_openids_are_scoped_by_app_and_match_across_sources(warehouse: duckdb.DuckDBPyConnection) -> None:
    (event_value,) = warehouse.execute(
        "select identifier_value from staging.stg_tracking__event_identifiers"
        " where event_id = 'e-3' and identifier_type = 'openid'"
    ).fetchone()
    (touch_value,) = warehouse.execute(
        "select identifier_value from staging.stg_marketing__campaign_touches where touch_id = 't-2'"
    ).fetchone()
    assert event_value == touch_value == "wxapp1/oABC"


def test_placeholders_and_invalid_values_are_kept_as_such_without_keys(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    statuses = dict(
        warehouse.execute(
            "select identifier_type, identifier_status from staging.stg_tracking__event_identifiers"
            " where event_id = 'e-2'"
        ).fetchall()
    )
    assert statuses == {
        "device_id": "placeholder",  # the all-zero IDFA
        "anonymous_id": "placeholder",  # "null"
        "account_id": "placeholder",  # "-1"
        "phone": "placeholder",  # "00000000000"
    }
    (email_status,) = warehouse.execute(
        "select identifier_status from staging.stg_tracking__event_identifiers"
        " where event_id = 'e-3' and identifier_type = 'email'"
    ).fetchone()
    assert email_status == "invalid"


def test_no_raw_phone_or_email_outside_base_and_rejects(warehouse: duckdb.DuckDBPyConnection) -> None:
    # e-23 carries a phone and an e-mail in its search term and referrer, and logs in with an
    # account id that is a phone number.
    assert pii_in_string_columns(warehouse, exclude=declared_pii_tables(warehouse)) == []
    (search_term,) = warehouse.execute("select search_term from marts.fct_events where event_id = 'e-23'").fetchone()
    assert search_term == "call me <phone> or <email>"


# A CN mobile number, separators allowed, not inside a longer run of hex digits (hashes), and an
# e-mail address.
PHONE_PATTERN = r"(^|[^0-9a-fA-F])(\+?86[ -]?)?1[3-9][0-9]([ -]?[0-9]){8}($|[^0-9a-fA-F])"
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]"


def declared_pii_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables the project declares as holding raw personal data (meta sensitivity: pii)."""
    rows = con.execute(
        "select asset_name from intermediate.int_data_assets"
        " where sensitivity = 'pii' and resource_type in ('model', 'seed', 'snapshot')"
    ).fetchall()
    return {name for (name,) in rows}


def pii_in_string_columns(con: duckdb.DuckDBPyConnection, exclude: set[str]) -> list[str]:
    """Columns of the database's tables, other than those named in `exclude`, that hold a CN
    mobile number or an e-mail address."""
    columns = con.execute(
        """
        select table_schema, table_name, column_name from information_schema.columns
        where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog')
        """
    ).fetchall()
    offenders = []
    for schema, table, column in columns:
        if table in exclude:
            continue
        (hits,) = con.execute(
            f"""select count(*) from "{schema}"."{table}"
            where regexp_matches("{column}", '{PHONE_PATTERN}') or regexp_matches("{column}", '{EMAIL_PATTERN}')"""
        ).fetchone()
        if hits:
            offenders.append(f"{schema}.{table}.{column} ({hits} rows)")
    return offenders


def test_thin_data_leave_predictions_null_with_a_reason(warehouse: duckdb.DuckDBPyConnection) -> None:
    """A handful of orders cannot carry a BG/NBD fit: the build goes on, the model runs table
    says why, and no person gets a made-up number."""
    runs = warehouse.execute("select model_name, is_converged, message from marts.fct_prediction_model_runs").fetchall()
    assert sorted(name for name, _, _ in runs) == ["bgnbd", "gamma_gamma"]
    assert all(not converged and "too few" in message for _, converged, message in runs)
    (predicted, persons) = warehouse.execute(
        "select count(*) filter (where p_alive is not null or clv_365d is not null), count(*)"
        " from marts.fct_person_predictions"
    ).fetchone()
    assert persons > 0 and predicted == 0

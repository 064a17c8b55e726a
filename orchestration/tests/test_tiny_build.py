"""Properties of a real build on the simulator's tiny tier: nothing lost, every deliberately bad
line rejected for the reason the simulator wrote it with, no raw PII outside the assets declared
pii, identity accuracy, erasure. (Identical marts on a rebuild: test_reliability, after a kill.)"""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration import identity_eval, settings
from orchestration.tests.dbt_helpers import LINES_MODELS, compiled_sql
from orchestration.tests.test_dirty_raw import declared_pii_tables, pii_in_string_columns
from orchestration.tests.tiny_build import TinyBuild

STAGED = {
    "events": ("stg_tracking__events", "stg_tracking__event_rejects"),
    "orders": ("stg_oms__order_updates", "stg_oms__order_rejects"),
    "crm_members": ("stg_crm__member_updates", "stg_crm__member_rejects"),
    "campaign_touches": ("stg_marketing__campaign_touches", "stg_marketing__campaign_touch_rejects"),
    "erasure_requests": ("stg_privacy__erasure_requests", "stg_privacy__erasure_request_rejects"),
}


@pytest.fixture(scope="module")
def con(tiny: TinyBuild) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(tiny.database), read_only=True)
    yield connection
    connection.close()


CSV_SOURCES = ("crm_members", "erasure_requests")


def count_raw_lines(raw: Path) -> Counter[str]:
    """Non-blank data lines per source, read with plain Python (CSV headers excluded)."""
    counts: Counter[str] = Counter()
    for source in LINES_MODELS:
        for path in sorted((raw / source).rglob("*")):
            if not path.is_file():
                continue
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8") as f:
                lines = [line for line in f if line.strip()]
            counts[source] += len(lines) - (1 if path.suffix == ".csv" else 0)
    return counts


def test_every_raw_line_is_accounted_for(tiny: TinyBuild, con: duckdb.DuckDBPyConnection) -> None:
    raw_counts = count_raw_lines(tiny.raw)
    for source, base in LINES_MODELS.items():
        staged, rejects = STAGED[source]
        # A CSV row is a record, which may span physical lines (a quoted line break).
        physical_lines = "coalesce(sum(physical_line_count), 0)" if source in CSV_SOURCES else "count(*)"
        (physical, lines, staged_rows, rejected_rows, duplicates) = con.execute(
            f"""select
                (select {physical_lines} from staging.{base}),
                (select count(*) from staging.{base}),
                (select count(*) from staging.{staged}),
                (select count(*) from staging.{rejects}),
                (select count(*) from staging.{base} where line_status = 'duplicate')"""
        ).fetchone()
        assert physical == raw_counts[source], source
        assert staged_rows + rejected_rows + duplicates == lines, source


def test_bad_lines_are_rejected_with_the_simulators_reason(tiny: TinyBuild, con: duckdb.DuckDBPyConnection) -> None:
    truth = pd.read_parquet(tiny.truth / "bad_lines.parquet")
    expected = {(r.file, int(r.line_number)): r.reason for r in truth.itertuples()}
    actual = {}
    for base in LINES_MODELS.values():
        for file_name, line_number, status, reason in con.execute(
            f"select file_name, line_number, line_status, reject_reason from staging.{base}"
            " where line_status != 'accepted'"
        ).fetchall():
            actual[(file_name, line_number)] = reason if status == "rejected" else "duplicate"
    assert len(expected) > 50  # the tiny tier carries dirt of every kind
    assert actual == expected


def test_every_good_event_reaches_staging(tiny: TinyBuild, con: duckdb.DuckDBPyConnection) -> None:
    truth_events = set(pd.read_parquet(tiny.truth / "events.parquet")["event_id"])
    staged = {r[0] for r in con.execute("select event_id from staging.stg_tracking__events").fetchall()}
    assert truth_events <= staged


def test_no_raw_pii_outside_the_assets_declared_pii(con: duckdb.DuckDBPyConnection) -> None:
    # Every string column of every schema (intermediate and marts included) is scanned.
    assert pii_in_string_columns(con, exclude=declared_pii_tables(con)) == []


def test_identity_accuracy_on_tiny(tiny: TinyBuild) -> None:
    scores = identity_eval.evaluate(tiny.database, tiny.truth, settings.pii_salt())
    assert scores["identifiers"].items > 100
    assert scores["identifiers"].precision >= 0.995, scores
    assert scores["identifiers"].recall >= 0.98, scores
    assert scores["events"].precision >= 0.995, scores
    assert scores["events"].recall >= 0.98, scores


def test_erased_persons_leave_no_trace(tiny: TinyBuild, con: duckdb.DuckDBPyConnection) -> None:
    """Every identifier the evidence links to an erased identifier, and every event carrying one,
    is gone from the marts (what the data never linked to the request cannot be found)."""
    requests = pd.read_parquet(tiny.truth / "erasures.parquet")  # the valid requests only
    assert len(requests) > 0
    salt = settings.pii_salt()
    evidence = identity_eval.evidence_frame(con, tiny.truth, salt)
    requested = {identity_eval.hash_key(salt, r.identifier_type, r.identifier_value) for r in requests.itertuples()}
    erased_groups = set(evidence.loc[evidence["identifier_key"].isin(requested), "evidence_group"])
    erased_keys = set(evidence.loc[evidence["evidence_group"].isin(erased_groups), "identifier_key"])
    assert requested <= erased_keys
    bridge = {r[0] for r in con.execute("select identifier_key from marts.bdg_identifiers_to_persons").fetchall()}
    assert not erased_keys & bridge
    erased_events = {
        r[0]
        for r in con.execute(
            "select record_id from intermediate.int_identity_record_identifiers where record_source = 'event'"
            " and identifier_key in (select unnest(?))",
            [sorted(erased_keys)],
        ).fetchall()
    }
    events = {r[0] for r in con.execute("select event_id from marts.fct_events").fetchall()}
    assert erased_events and not erased_events & events


def table_checksums(database: Path, tables: list[str]) -> dict[str, str]:
    """md5 of every row of each table (`name` in marts, or `schema.name`), order-independent.
    The dbt invocation that wrote a line (the lines models' dbt_invocation_id) is left out."""
    with duckdb.connect(str(database), read_only=True) as c:
        return {
            t: c.execute(
                f"select md5(string_agg(cast(m as varchar), '|' order by cast(m as varchar)))"
                f" from (select columns(lambda c: c != 'dbt_invocation_id')"
                f" from {t if '.' in t else 'marts.' + t}) as m"
            ).fetchone()[0]
            for t in tables
        }


# Marts that keep history by design, so a database built several times holds more than one
# built once: the merge log (from the identity snapshot), the inventory (one row per run) and
# the coverage trend (one set of rows per as-of date).
HISTORY_MARTS = {"fct_identity_merges", "dim_data_assets", "fct_data_asset_scores", "fct_user_asset_coverage"}


def comparable_marts(database: Path) -> list[str]:
    """Every mart of the database except those that keep history."""
    with duckdb.connect(str(database), read_only=True) as c:
        rows = c.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()
    marts = {name for (name,) in rows}
    assert marts >= HISTORY_MARTS and len(marts) > 20
    return sorted(marts - HISTORY_MARTS)


def differing_tables(database: Path, reference: Path, tables: list[str]) -> list[str]:
    ours, theirs = table_checksums(database, tables), table_checksums(reference, tables)
    return [name for name in tables if ours[name] != theirs[name]]


def test_models_read_the_as_of_end_as_a_literal_and_unit_tests_from_their_fixture(tiny: TinyBuild) -> None:
    """value_at_run() (macros/time/as_of.sql): a model built as a table reads the as-of end as the
    literal int_as_of_date holds, which DuckDB can plan (a filter on a scalar subquery made the
    sessions' select six times slower on `large`); a unit test keeps the subquery over its
    fixture, so it never sees the warehouse's date."""
    target = tiny.database.parent / "target"
    with duckdb.connect(str(tiny.database), read_only=True) as con:
        (end,) = con.execute("select cast(as_of_end_at as varchar) from intermediate.int_as_of_date").fetchone()
    for model in ("int_person_events_as_of", "int_orders_resolved_to_persons", "int_campaign_persons"):
        sql = compiled_sql(target, model)
        assert f"cast('{end}' as timestamp)" in sql, model
        assert "as_of_end_at" not in sql, model
    unit_test = next((target / "compiled").rglob("test_attribution_window_arms_and_class_at_send.sql")).read_text()
    assert "as_of.as_of_end_at" in unit_test
    assert f"cast('{end}' as timestamp)" not in unit_test

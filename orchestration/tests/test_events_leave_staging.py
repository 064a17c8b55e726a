"""An event that leaves staging leaves the resolved events too (docs/incremental.md, "Change
tracking"): the daily run's post-hook compares only the partitions stg_tracking__events rewrote
since the resolved events' last run, as the write log says, and every partition when staging was
rebuilt whole. Either way the result equals a full build of the same raw folder."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.tests.dbt_helpers import build_or_fail, compiled_sql, run_dbt
from orchestration.tests.tiny_build import TinyBuild, copy_build, land_next_day

# Lands days and builds several times: `make test-slow`, not `make test`.
pytestmark = pytest.mark.slow

RESOLVED = "select event_id, one_id, resolved_via from intermediate.int_events_resolved_to_persons"


def remove_first_event(folder: Path) -> str:
    """Deletes the first line of the folder's first events file; returns its event id."""
    path = sorted(folder.glob("*.jsonl"))[0]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    removed = lines[0].split('"event_id":"', 1)[1].split('"', 1)[0]
    path.write_text("".join(lines[1:]), encoding="utf-8")
    return removed


def resolved(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return sorted(con.execute(RESOLVED).fetchall(), key=repr)


def held(database: Path, event_id: str) -> bool:
    with duckdb.connect(str(database), read_only=True) as con:
        query = "select count(*) from intermediate.int_events_resolved_to_persons where event_id = ?"
        return con.execute(query, [event_id]).fetchone()[0] > 0


def executed_sql(work: Path) -> str:
    """What dbt's runs in `work` executed (its debug log)."""
    return (work / "logs" / "dbt.log").read_text(encoding="utf-8", errors="replace")


def test_events_leaving_staging_leave_the_resolved_events(tiny: TinyBuild, tmp_path: Path) -> None:
    daily = copy_build(tiny, tmp_path / "daily")
    raw, database = daily / "raw", daily / "warehouse.duckdb"
    folders = sorted((raw / "events").glob("dt=*"))

    # In the newest partition, inside the daily run's look-back window: the run rewrites it.
    recent = remove_first_event(folders[-1])
    assert held(database, recent)
    land_next_day(raw)
    build_or_fail(raw, daily)
    assert not held(database, recent)
    with duckdb.connect(str(database), read_only=True) as con:
        (written_from,) = con.execute(
            "select cast(written_from as varchar) from audit.dbt_partition_writes__stg_tracking__events"
            " order by written_at desc limit 1"
        ).fetchone()
    # Only the rewritten partitions were compared.
    executed = executed_sql(daily)
    assert f"as accepted where accepted.partition_date >= cast('{written_from}' as date))" in executed
    assert "as accepted)" not in executed

    # In the oldest partition, read again by rebuilding the event lines and staged events whole.
    old = remove_first_event(folders[0])
    assert held(database, old)
    rebuilt = run_dbt(
        [
            "run",
            "--full-refresh",
            "-s",
            "base_tracking__event_lines",
            "stg_tracking__events",
            "stg_tracking__event_identifiers",
        ],
        raw,
        daily,
    )
    assert rebuilt.returncode == 0, rebuilt.stdout[-4000:]
    land_next_day(raw)
    build_or_fail(raw, daily)
    assert not held(database, old)

    # Staging rebuilt whole since: every partition compared.
    assert "as accepted)" in executed_sql(daily)

    full = build_or_fail(raw, tmp_path / "full")
    assert resolved(database) == resolved(full)


def events_of(database: Path, account: str) -> int:
    """How many resolved events before 2026-04-01 (the days landed here aside) carry the account."""
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "select count(*) from intermediate.int_events_resolved_to_persons"
            " where partition_date < date '2026-04-01'"
            " and event_id in (select event_id from staging.stg_tracking__event_identifiers"
            " where identifier_type = 'account_id' and identifier_value = ?)",
            [account],
        ).fetchone()[0]


def test_events_of_a_withdrawn_erasure_come_back(tiny: TinyBuild, tmp_path: Path) -> None:
    """An erasure request removes a person's events, old ones too; when the request is withdrawn
    (the requests file no longer lists it) they come back, although their partitions are older
    than the run's cutoff and staging did not write them again: the run finds them by comparing
    each partition's counts. Both runs equal a full build of the same raw folder."""
    daily = copy_build(tiny, tmp_path / "daily")
    raw, database = daily / "raw", daily / "warehouse.duckdb"
    with duckdb.connect(str(database), read_only=True) as con:
        # An account whose events sit in partitions long before the daily run's cutoff.
        (account,) = con.execute(
            "select identifier_value from staging.stg_tracking__event_identifiers"
            " where identifier_type = 'account_id' and identifier_status = 'valid'"
            " group by identifier_value having max(partition_date) < (select max(partition_date)"
            " from staging.stg_tracking__events) - interval 30 day"
            " order by count(*) desc, identifier_value limit 1"
        ).fetchone()
    before = events_of(database, account)
    assert before > 0

    land_next_day(raw)
    requests = raw / "erasure_requests" / "requests.csv"
    with requests.open("a", encoding="utf-8") as out:
        out.write(f"ER999101,account_id,{account},2026-04-01T12:00:00+08:00\n")
    build_or_fail(raw, daily)
    assert events_of(database, account) == 0
    assert resolved(database) == resolved(build_or_fail(raw, tmp_path / "erased"))

    # Landing the next day rewrites the requests file whole, without the request.
    land_next_day(raw)
    assert "ER999101" not in requests.read_text(encoding="utf-8")
    build_or_fail(raw, daily)
    assert events_of(database, account) == before
    assert resolved(database) == resolved(build_or_fail(raw, tmp_path / "withdrawn"))


def erased_fingerprint(database: Path) -> tuple:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "select count(*), sum(hash(identifier_key)) from intermediate.int_identity_erased_nodes"
        ).fetchone()


def test_a_run_with_the_same_erasures_skips_their_search(tiny: TinyBuild, tmp_path: Path) -> None:
    """When the erased identifiers are those of the last run (the model's person log keeps their
    fingerprint), no older event can have become erased or come back: the run neither compares
    the older partitions' counts nor checks every staged identifier against the erased ones, and
    still equals a full build. A new erasure request takes the whole search again."""
    daily = copy_build(tiny, tmp_path / "daily")
    raw, database = daily / "raw", daily / "warehouse.duckdb"
    erased = erased_fingerprint(database)
    assert erased[0] > 0

    land_next_day(raw)
    build_or_fail(raw, daily)
    assert erased_fingerprint(database) == erased
    compiled = compiled_sql(daily / "target", "int_events_resolved_to_persons")
    assert "partition_counts" not in compiled
    assert "event_identifiers.partition_date >= cast(" in compiled
    assert resolved(database) == resolved(build_or_fail(raw, tmp_path / "full"))

    # A new request for an account seen long before the cutoff: the whole search, and its
    # events leave as in a full build.
    with duckdb.connect(str(database), read_only=True) as con:
        (account,) = con.execute(
            "select identifier_value from staging.stg_tracking__event_identifiers"
            " where identifier_type = 'account_id' and identifier_status = 'valid'"
            " and identifier_key not in (select identifier_key from intermediate.int_identity_erased_nodes)"
            " group by identifier_value having max(partition_date) < (select max(partition_date)"
            " from staging.stg_tracking__events) - interval 30 day"
            " order by count(*) desc, identifier_value limit 1"
        ).fetchone()
    assert events_of(database, account) > 0
    with (raw / "erasure_requests" / "requests.csv").open("a", encoding="utf-8") as out:
        out.write(f"ER999102,account_id,{account},2026-04-01T12:00:00+08:00\n")
    build_or_fail(raw, daily)
    assert "partition_counts" in compiled_sql(daily / "target", "int_events_resolved_to_persons")
    assert events_of(database, account) == 0
    assert resolved(database) == resolved(build_or_fail(raw, tmp_path / "erased"))

"""The identity graph built incrementally, day by day, equals a full build of the same data, and
the daily run aggregated only the identifiers its new records reach (docs/identity.md,
"Incremental runs").

On a copy of the tiny build, the first landed day also brings an event linking two persons (a
merge), an event dated before every other record (a late record that becomes its person's
anchor, so the person's one_id changes) and an erasure request; a second day lands on top. Every
identity table is then compared, by identifier keys rather than node ids, with a fresh full
build of the same raw folder."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.tests.dbt_helpers import build_or_fail, compiled_sql, run_dbt
from orchestration.tests.tiny_build import TinyBuild, copy_build, land_next_day

# Lands days and builds several times: `make test-slow`, not `make test`.
pytestmark = pytest.mark.slow

FIRST_DAY = "2026-04-01"
LATE_SEEN = dt.datetime(2025, 11, 15, 2, 0)  # UTC, before every other record of the tiny tier
LATE_DEVICE = "late-device-0000-0000-000000000001"  # as normalised (lower case)
OLD_ANONYMOUS = "7e57a11d-0000-4000-8000-000000000001"

# Each identity table as rows independent of node ids: node ids are replaced by identifier keys.
COMPARED = {
    "nodes": """
        select identifier_key, identifier_type, identifier_value, type_priority, first_seen_at,
            last_seen_at, record_count, block_reason, is_blocked
        from {db}.intermediate.int_identity_nodes""",
    "edges": """
        select a.identifier_key, b.identifier_key, e.first_seen_at, e.last_seen_at,
            e.record_count, e.event_count, e.order_count, e.crm_count
        from {db}.intermediate.int_identity_edges_unioned as e
        inner join {db}.intermediate.int_identity_nodes as a on e.node_a = a.node_id
        inner join {db}.intermediate.int_identity_nodes as b on e.node_b = b.node_id""",
    "guarded edges": """
        select a.identifier_key, b.identifier_key, e.record_count, e.quarantine_reason,
            e.quarantine_detail
        from {db}.intermediate.int_identity_edges_guarded as e
        inner join {db}.intermediate.int_identity_nodes as a on e.node_a = a.node_id
        inner join {db}.intermediate.int_identity_nodes as b on e.node_b = b.node_id""",
    "components": """
        select n.identifier_key, min(n.identifier_key) over (partition by c.component_id)
        from {db}.intermediate.int_identity_components as c
        inner join {db}.intermediate.int_identity_nodes as n on c.node_id = n.node_id""",
    "erased nodes": "select identifier_key, request_id from {db}.intermediate.int_identity_erased_nodes",
    "persons assigned": """
        select one_id, identifier_key, identifier_type, identifier_value, type_priority,
            is_anchor, first_seen_at, last_seen_at, record_count
        from {db}.intermediate.int_identity_persons_assigned""",
    "identifiers to persons": "select * from {db}.marts.bdg_identifiers_to_persons",
    "persons": "select one_id from {db}.marts.dim_persons",
}


def pick_persons(database: Path) -> dict[str, str]:
    """Raw values of identifiers of four different persons of the tiny build: an account (x) and
    a device of a person with no account (y) to merge, an account to give a late record (z), an
    account to erase (w); and z's one_id."""
    with duckdb.connect(str(database), read_only=True) as con:
        accounts = con.execute(
            "select one_id, min(identifier_value) from intermediate.int_identity_persons_assigned"
            " where identifier_type = 'account_id' group by 1 order by 1 limit 3"
        ).fetchall()
        (device_person, device) = con.execute(
            "select one_id, min(identifier_value) from intermediate.int_identity_persons_assigned"
            " group by 1 having count(*) filter (where identifier_type = 'account_id') = 0"
            " and count(*) filter (where identifier_type = 'device_id') = 1"
            " and min(identifier_value) filter (where identifier_type = 'device_id') is not null"
            " order by 1 limit 1"
        ).fetchone()
        device = con.execute(
            "select identifier_value from intermediate.int_identity_persons_assigned"
            " where one_id = ? and identifier_type = 'device_id'",
            [device_person],
        ).fetchone()[0]
    assert len({person for person, _ in accounts} | {device_person}) == 4
    return {"x": accounts[0][1], "z": accounts[1][1], "w": accounts[2][1], "y": device, "z_one_id": accounts[1][0]}


def event_line(template: dict, event_id: str, time: str, identities: dict[str, str]) -> str:
    record = dict(template)
    record.update(
        {
            "event_id": event_id,
            "event": "app_start",
            "time": time,
            "received_at": f"{FIRST_DAY}T02:00:00.000Z",
            "distinct_id": identities["device_id"],
            "identities": identities,
            "properties": {},
        }
    )
    return json.dumps(record, ensure_ascii=False) + "\n"


def plant_changes(raw: Path, picked: dict[str, str]) -> None:
    """In the first landed day: a merge and a late record."""
    folder = raw / "events" / f"dt={FIRST_DAY}"
    template = json.loads(next(iter(sorted(folder.glob("*.jsonl")))).read_text().splitlines()[0])
    template = {key: value for key, value in template.items() if key in ("channel", "app_id")}
    lines = event_line(
        template,
        "identity-incremental-merge-0001",
        f"{FIRST_DAY}T10:00:00.000+08:00",
        {"device_id": picked["y"], "account_id": picked["x"]},
    ) + event_line(
        template,
        "identity-incremental-late-0001",
        "2025-11-15T10:00:00.000+08:00",
        {"device_id": LATE_DEVICE, "account_id": picked["z"]},
    )
    (folder / "identity-0.jsonl").write_text(lines, encoding="utf-8")


def request_erasure(raw: Path, picked: dict[str, str]) -> None:
    """Appends the erasure request of w (landing a day rewrites the requests file whole)."""
    requests = raw / "erasure_requests" / "requests.csv"
    if "ER999001," not in requests.read_text(encoding="utf-8"):
        with requests.open("a", encoding="utf-8") as out:
            out.write(f"ER999001,account_id,{picked['w']},{FIRST_DAY}T12:00:00+08:00\n")


def rows(database: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(query.format(db="warehouse")).fetchall()
    return sorted(found, key=repr)


def test_daily_identity_runs_equal_a_full_build(tiny: TinyBuild, tmp_path: Path) -> None:
    daily = copy_build(tiny, tmp_path / "daily")
    picked = pick_persons(tiny.database)
    for day in range(2):
        land_next_day(daily / "raw")
        if day == 0:
            plant_changes(daily / "raw", picked)
        request_erasure(daily / "raw", picked)
        build_or_fail(daily / "raw", daily)
    full = tmp_path / "full"
    build_or_fail(daily / "raw", full)

    # The planted changes happened: x and y are one person, z's person is anchored on the late
    # record (its account, which outranks the device on the tie) under another one_id, w is erased.
    with duckdb.connect(str(daily / "warehouse.duckdb"), read_only=True) as con:
        persons = dict(
            con.execute(
                "select identifier_value, one_id from intermediate.int_identity_persons_assigned"
                " where identifier_value in (?, ?, ?)",
                [picked["x"], picked["y"], LATE_DEVICE],
            ).fetchall()
        )
        (late_anchor,) = con.execute(
            "select min(identifier_value) filter (where is_anchor) from intermediate.int_identity_persons_assigned"
            " where one_id = ? and first_seen_at = ?",
            [persons[LATE_DEVICE], LATE_SEEN],
        ).fetchone()
        (erased,) = con.execute(
            "select count(*) from intermediate.int_identity_erased_nodes where request_id = 'ER999001'"
        ).fetchone()
    assert persons[picked["x"]] == persons[picked["y"]]
    assert late_anchor == picked["z"]
    assert persons[LATE_DEVICE] != picked["z_one_id"]
    assert erased > 0

    # Every identity table as in the full build.
    daily_db, full_db = daily / "warehouse.duckdb", full / "warehouse.duckdb"
    differing = [name for name, query in COMPARED.items() if rows(daily_db, query) != rows(full_db, query)]
    assert differing == []

    # The daily run aggregated only the identifiers the new records reach: it recomputed a small
    # part of the stored aggregates, and kept the rest.
    assert "identity_touched_keys" in compiled_sql(daily / "target", "int_identity_node_history")
    assert "identity_touched_keys" in compiled_sql(daily / "target", "int_identity_edges_unioned")
    with duckdb.connect(str(daily / "warehouse.duckdb"), read_only=True) as con:
        for table in ("int_identity_node_history", "int_identity_edges_unioned"):
            written, held = con.execute(
                f"select count(*) filter (where refreshed_at = (select max(refreshed_at) from intermediate.{table})),"
                f" count(*) from intermediate.{table}"
            ).fetchone()
            assert 0 < written < held / 2, (table, written, held)


def late_order_line(template: dict, account: str, phone: str, day: str) -> str:
    record = dict(template)
    record.update(
        {
            "order_id": "SO-IDENTITY-LATE-0001",
            "account_id": account,
            "status": "created",
            "order_time": f"{day}T11:00:00+08:00",
            "updated_at": f"{day}T11:00:00+08:00",
            "receiver_phone": phone,
        }
    )
    return json.dumps(record, ensure_ascii=False) + "\n"


def test_old_partitions_rebuilt_upstream_reach_the_daily_identity_run(tiny: TinyBuild, tmp_path: Path) -> None:
    """Old partitions change only when a model upstream rebuilds them. An order file landing late
    in the oldest folder, read by rebuilding the order lines whole: the next daily run compares
    each identifier's order records and recomputes the one that changed, so identity equals a
    full build. Then an event file likewise, with the event lines and staged identifiers rebuilt
    whole: their write log says so, and the next daily run recomputes every identifier."""
    daily = copy_build(tiny, tmp_path / "daily")
    picked = pick_persons(tiny.database)
    raw = daily / "raw"
    new_phone = "13900000042"

    # A late order in the oldest order folder: x's account with a phone nobody had.
    oldest_orders = sorted((raw / "orders").glob("dt=*"))[0]
    template = json.loads(next(iter(sorted(oldest_orders.glob("*.jsonl")))).read_text().splitlines()[0])
    day = oldest_orders.name.removeprefix("dt=")
    (oldest_orders / "late-0.jsonl").write_text(late_order_line(template, picked["x"], new_phone, day))
    rebuilt = run_dbt(["run", "--full-refresh", "-s", "base_oms__order_lines"], raw, daily)
    assert rebuilt.returncode == 0, rebuilt.stdout[-4000:]
    land_next_day(raw)
    build_or_fail(raw, daily)
    full = build_or_fail(raw, tmp_path / "full")

    daily_db = daily / "warehouse.duckdb"
    with duckdb.connect(str(daily_db), read_only=True) as con:
        (x_person,) = con.execute(
            "select one_id from intermediate.int_identity_persons_assigned where identifier_value = ?", [picked["x"]]
        ).fetchone()
        (phones,) = con.execute(
            "select count(*) from intermediate.int_identity_persons_assigned"
            " where one_id = ? and identifier_type = 'phone'"
            " and identifier_key in (select identifier_key from staging.stg_oms__order_identifiers"
            " where order_id = 'SO-IDENTITY-LATE-0001' and identifier_type = 'phone')",
            [x_person],
        ).fetchone()
    assert phones == 1
    differing = [name for name, query in COMPARED.items() if rows(daily_db, query) != rows(full, query)]
    assert differing == []

    # A late event in the oldest event folder linking y's device with a new cookie, read by
    # rebuilding the event lines and staged identifiers whole.
    oldest_events = sorted((raw / "events").glob("dt=*"))[0]
    template = json.loads(next(iter(sorted(oldest_events.glob("*.jsonl")))).read_text().splitlines()[0])
    template = {key: value for key, value in template.items() if key in ("channel", "app_id")}
    event_day = oldest_events.name.removeprefix("dt=")
    (oldest_events / "late-0.jsonl").write_text(
        event_line(
            template,
            "identity-incremental-old-partition-0001",
            f"{event_day}T10:00:00.000+08:00",
            {"device_id": picked["y"], "anonymous_id": OLD_ANONYMOUS},
        )
    )
    rebuilt = run_dbt(
        ["run", "--full-refresh", "-s", "base_tracking__event_lines", "stg_tracking__event_identifiers"], raw, daily
    )
    assert rebuilt.returncode == 0, rebuilt.stdout[-4000:]
    land_next_day(raw)
    build_or_fail(raw, daily)
    with duckdb.connect(str(daily_db), read_only=True) as con:
        (last_write,) = con.execute(
            "select written_from from audit.dbt_partition_writes__stg_tracking__event_identifiers"
            " order by written_at desc limit 1"
        ).fetchone()
        refreshed, held = con.execute(
            "select count(*) filter (where refreshed_at = (select max(refreshed_at)"
            " from intermediate.int_identity_node_history)), count(*) from intermediate.int_identity_node_history"
        ).fetchone()
        (linked,) = con.execute(
            "select count(distinct one_id) from intermediate.int_identity_persons_assigned"
            " where identifier_value in (?, ?)",
            [picked["y"], OLD_ANONYMOUS],
        ).fetchone()
    # The daily run after the rebuild wrote from its cutoff; the rebuild before it, everything,
    # so the daily run recomputed every identifier and the late event's link holds.
    assert last_write is not None
    assert refreshed == held
    assert linked == 1

"""Landing the data day by day and building after each landing (the event, order, CRM and
campaign touch lines run incrementally: staging reads only the newest partitions, resolution
redoes only the events whose person changed) gives the same tables and marts as one full build
of the whole period, and the merge history records persons that moved."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.tests.dbt_helpers import build_or_fail, compiled_sql, run_dbt
from orchestration.tests.test_tiny_build import comparable_marts, differing_tables
from orchestration.tests.tiny_build import TINY_SEED, TinyBuild, copy_build, land_next_day, run_simulator

# Builds the tiny tier many times over: `make test-slow`, not `make test`.
pytestmark = pytest.mark.slow

INCREMENTAL_TABLES = [
    "staging.base_tracking__event_lines",
    "staging.stg_tracking__events",
    "staging.stg_tracking__event_identifiers",
    "intermediate.int_events_resolved_to_persons",
    "staging.base_oms__order_lines",
    "staging.base_crm__member_lines",
    "staging.stg_crm__member_updates",
    "staging.stg_crm__member_identifiers",
    "staging.base_marketing__campaign_touch_lines",
    "staging.stg_marketing__campaign_touches",
    "intermediate.int_person_events_as_of",
    "intermediate.int_person_event_facts",
    "intermediate.int_person_period_activity",
]
# Cutoffs of the two daily runs: the newest day held before each landing minus 3 days.
FIRST_CUTOFF, SECOND_CUTOFF = "2026-03-28", "2026-03-29"
# The deduplicated sources: lines model and the file a re-sent copy lands in.
RESENT_FILES = {
    "events": ("base_tracking__event_lines", "resent-0.jsonl"),
    "orders": ("base_oms__order_lines", "resent-0.jsonl"),
    "crm_members": ("base_crm__member_lines", "resent-0.csv"),
    "campaign_touches": ("base_marketing__campaign_touch_lines", "resent-0.jsonl"),
}


def test_day_by_day_builds_equal_one_full_build(tiny: TinyBuild, tmp_path: Path) -> None:
    # The tiny build covers 120 days up to 2026-03-31. Land two more days on a copy of it,
    # building after each, as a daily schedule would.
    # The first landed day also re-sends, for every deduplicated source, a record accepted long
    # before with changed content (and, for an event, an earlier received_at): whichever copy
    # wins, it must be the same one in the daily runs as in the full build.
    daily = copy_build(tiny, tmp_path / "daily")
    resent = resent_with_changes(tiny.raw, tiny.database, before=FIRST_CUTOFF)
    for day in range(2):
        land_next_day(daily / "raw")
        if day == 0:
            write_resent(daily / "raw", "2026-04-01", resent)
        build_or_fail(daily / "raw", daily)

    # The same 122 days generated and built in one go.
    full = tmp_path / "full"
    run_simulator(
        "--tier",
        "tiny",
        "--seed",
        str(TINY_SEED),
        "--days",
        "122",
        "--end-date",
        "2026-04-02",
        "--out",
        str(full / "raw"),
    )
    write_resent(full / "raw", "2026-04-01", resent)
    build_or_fail(full / "raw", full)

    # The daily runs were incremental: the lines were read from the cutoff partition on.
    for model in ("base_tracking__event_lines", "base_oms__order_lines", "base_crm__member_lines"):
        compiled = compiled_sql(daily / "target", model)
        assert f"dt >= cast('{SECOND_CUTOFF}' as date)" in compiled, model
    # (Campaign touches land on send days only: their cutoff is 3 days before the newest send.)
    assert "dt >= cast(" in compiled_sql(daily / "target", "base_marketing__campaign_touch_lines")
    # The per-person models (sessions, event facts, activity, lifecycle, transitions) were rebuilt
    # only for the persons whose input changed (the person-period models up to their held period).
    for model, marker in (
        ("int_person_events_as_of", "changed_persons"),
        ("int_person_event_facts", "changed_persons"),
        ("int_person_period_activity", "held_rows"),
        ("fct_lifecycle_stages", "held_rows"),
        ("fct_state_transitions", "held_rows"),
    ):
        compiled = compiled_sql(daily / "target", model)
        assert marker in compiled, model

    # Landing days moved events older than either run's cutoff to other persons (merges), so
    # re-resolving them was needed: without it the comparison below would fail.
    with duckdb.connect(str(daily / "warehouse.duckdb"), read_only=True) as con:
        con.execute(f"attach '{tiny.database}' as before (read_only)")
        (moved,) = con.execute(
            "select count(*) from intermediate.int_events_resolved_to_persons as now"
            " inner join before.intermediate.int_events_resolved_to_persons as was using (event_id)"
            " where was.partition_date < cast(? as date) and now.one_id is distinct from was.one_id",
            [FIRST_CUTOFF],
        ).fetchone()
    assert moved > 0

    # The incremental tables and every mart (bar the history kept by design) as in the full build.
    compared = INCREMENTAL_TABLES + comparable_marts(full / "warehouse.duckdb")
    assert differing_tables(daily / "warehouse.duckdb", full / "warehouse.duckdb", compared) == []
    with duckdb.connect(str(daily / "warehouse.duckdb"), read_only=True) as con:
        (versions,) = con.execute("select count(*) from snapshots.snp_identity_persons").fetchone()
        (current,) = con.execute("select count(*) from marts.bdg_identifiers_to_persons").fetchone()
    assert versions >= current  # three builds of history, at least one version per identifier


def accepted_raw_line(raw: Path, database: Path, model: str, before: str) -> str:
    """The raw text of an accepted line of `model` from a partition before `before` (after the
    file's header line when it has one)."""
    with duckdb.connect(str(database), read_only=True) as con:
        file_name, line_number = con.execute(
            f"select file_name, line_number from staging.{model}"
            " where line_status = 'accepted' and partition_date < cast(? as date)"
            " order by partition_date, file_name, line_number limit 1",
            [before],
        ).fetchone()
    path = raw / file_name
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        text = list(lines)
    return (text[0] if path.suffix == ".csv" else "") + text[line_number - 1]


def resent_with_changes(raw: Path, database: Path, before: str) -> dict[str, str]:
    """Per deduplicated source, the text of a file re-sending a record accepted in a partition
    before `before`, same key, different content: an event under another name received a minute
    earlier, an order change with another amount, a member change with another city, a touch at
    another cost."""
    texts = {}
    for source, (model, _) in RESENT_FILES.items():
        line = accepted_raw_line(raw, database, model, before)
        if source == "crm_members":
            header, row = list(csv.reader(io.StringIO(line)))
            row[header.index("city")] = "resent-city"
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows([header, row])
            texts[source] = out.getvalue()
            continue
        record = json.loads(line)
        if source == "events":
            record["event"] = "share" if record["event"] != "share" else "favorite"
            received = dt.datetime.fromisoformat(record["received_at"].replace("Z", "+00:00"))
            earlier = received - dt.timedelta(minutes=1)
            record["received_at"] = earlier.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        elif source == "orders":
            record["amount"] = float(record["amount"]) + 1
        else:
            record["cost"] = float(record.get("cost") or 0) + 1
        texts[source] = json.dumps(record, ensure_ascii=False) + "\n"
    return texts


def write_resent(raw: Path, day: str, texts: dict[str, str]) -> None:
    for source, text in texts.items():
        folder = raw / source / f"dt={day}"
        folder.mkdir(exist_ok=True)
        (folder / RESENT_FILES[source][1]).write_text(text, encoding="utf-8")


def assert_resent_copies_are_duplicates_in_both_paths(tiny: TinyBuild, tmp_path: Path, texts: dict[str, str]) -> None:
    """Lands `texts` (source -> raw lines, RESENT_FILES) in a new partition of a copy of the tiny
    raw folder and runs the line models on copies of the tiny build, incrementally and with
    --full-refresh: each landed line is a duplicate in both, and the two give the same tables."""
    day = "2026-04-01"
    raw = tmp_path / "raw"
    shutil.copytree(tiny.raw, raw)
    write_resent(raw, day, texts)
    lines_models = [RESENT_FILES[source][0] for source in texts]

    incremental, full = tmp_path / "incremental", tmp_path / "full"
    for work, extra in ((incremental, []), (full, ["--full-refresh"])):
        work.mkdir()
        shutil.copy(tiny.database, work / "warehouse.duckdb")
        result = run_dbt(["run", "-s", *lines_models, *extra], raw, work)
        assert result.returncode == 0, result.stdout[-4000:]

    for work in (incremental, full):
        with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
            for source in texts:
                model, file_name = RESENT_FILES[source]
                statuses = con.execute(
                    f"select distinct line_status from staging.{model} where file_name = ?",
                    [f"{source}/dt={day}/{file_name}"],
                ).fetchall()
                assert statuses == [("duplicate",)], (work.name, model)
    tables = [f"staging.{model}" for model in lines_models]
    assert differing_tables(incremental / "warehouse.duckdb", full / "warehouse.duckdb", tables) == []


def test_a_copy_landing_after_the_cutoff_is_a_duplicate_as_in_a_full_build(tiny: TinyBuild, tmp_path: Path) -> None:
    """A change accepted in a partition an incremental run keeps (before its cutoff) that lands
    again in a new partition is a duplicate there, as a full build would classify it: the
    history check of the incremental line models, which the simulator's data never needs."""
    copies = {
        source: accepted_raw_line(tiny.raw, tiny.database, model, FIRST_CUTOFF)
        for source, (model, _) in RESENT_FILES.items()
    }
    assert_resent_copies_are_duplicates_in_both_paths(tiny, tmp_path, copies)

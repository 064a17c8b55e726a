"""Two rules of the raw lines that a daily run and a full build must apply alike (issue 29).

- Which copy of a record wins: the first in landing order (partition, file, line). A record
  accepted in an older partition and re-sent in a newer one with changed content (an event with
  an earlier received_at) stays the accepted copy, in an incremental run as in a full build.
- Which times are plausible: a time later than the end of its line's dt= day plus
  future_tolerance_hours is implausible, whatever the line's own received_at says, so a line
  claiming 2099 is a reject and cannot move a person's last_seen_at or an order's state.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.tests.dbt_helpers import build_or_fail
from orchestration.tests.test_day_by_day import (
    FIRST_CUTOFF,
    accepted_raw_line,
    assert_resent_copies_are_duplicates_in_both_paths,
    resent_with_changes,
)
from orchestration.tests.tiny_build import TinyBuild

# The tiny tier's newest partition: everything it holds happened before the end of this day.
NEWEST_DAY = "2026-03-31"


def test_a_resent_copy_with_changed_content_loses_to_the_accepted_one_in_both_paths(
    tiny: TinyBuild, tmp_path: Path
) -> None:
    assert_resent_copies_are_duplicates_in_both_paths(
        tiny, tmp_path, resent_with_changes(tiny.raw, tiny.database, before=FIRST_CUTOFF)
    )


def far_future(line: str, **fields: str) -> str:
    record = json.loads(line)
    record.update(fields)
    return json.dumps(record, ensure_ascii=False) + "\n"


@pytest.mark.slow  # a whole build of its own: make test-slow
def test_a_time_beyond_its_partition_day_is_implausible(tiny: TinyBuild, tmp_path: Path) -> None:
    # A known person's event and a known order's change, re-dated to 2099 (received_at as well),
    # landed in the tiny sample's newest partition.
    raw = tmp_path / "raw"
    shutil.copytree(tiny.raw, raw)
    event = accepted_raw_line(raw, tiny.database, "base_tracking__event_lines", "2026-04-01")
    order = accepted_raw_line(raw, tiny.database, "base_oms__order_lines", "2026-04-01")
    touch = accepted_raw_line(raw, tiny.database, "base_marketing__campaign_touch_lines", "2026-04-01")
    landed = {
        "events": far_future(
            event, event_id="event-from-2099", time="2099-01-01T10:00:00+08:00", received_at="2099-01-01T02:00:01Z"
        ),
        "orders": far_future(order, status="cancelled", updated_at="2099-01-01T10:00:00+08:00"),
        "campaign_touches": far_future(touch, touch_id="touch-from-2099", sent_at="2099-01-01T10:00:00+08:00"),
    }
    for source, text in landed.items():
        (raw / source / f"dt={NEWEST_DAY}").mkdir(parents=True, exist_ok=True)
        (raw / source / f"dt={NEWEST_DAY}" / "future-0.jsonl").write_text(text, encoding="utf-8")

    # dbt build: assert_raw_lines_reconcile (lines = accepted + rejected + duplicates) holds.
    database = build_or_fail(raw, tmp_path / "work")
    with duckdb.connect(str(database), read_only=True) as con:
        for source, model in (
            ("events", "base_tracking__event_lines"),
            ("orders", "base_oms__order_lines"),
            ("campaign_touches", "base_marketing__campaign_touch_lines"),
        ):
            rows = con.execute(
                f"select line_status, reject_reason from staging.{model} where file_name = ?",
                [f"{source}/dt={NEWEST_DAY}/future-0.jsonl"],
            ).fetchall()
            assert rows == [("rejected", "implausible_time")], model
        (last_seen,) = con.execute("select max(last_seen_at) from marts.dim_persons").fetchone()
        (updated,) = con.execute("select max(updated_at) from staging.stg_oms__order_updates").fetchone()
    end_of_sample = f"{NEWEST_DAY} 23:59:59.999"
    assert str(last_seen) <= end_of_sample
    assert str(updated) <= end_of_sample

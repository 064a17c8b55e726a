"""The contract events format parses each raw line once (issue 27, item 1).

The line is read by one JSON transform into its top-level fields; every rule then reads those
fields (small fragments or text), never the whole line or the properties object again by path.
That the results stay the same is covered by the builds' tests (test_dirty_raw.py,
test_hardening_event_rules.py, test_tiny_build.py)."""

from __future__ import annotations

import re
from pathlib import Path

from orchestration.tests.dbt_helpers import run_dbt

JSON_CALL = re.compile(r"\b(json_\w+)\(\s*([\w.]+)\s*(?:,\s*'([^']*)')?")


def compiled_contract_extraction(tmp_path: Path) -> str:
    result = run_dbt(
        ["compile", "--quiet", "--inline", "{{ extract_contract_events('lines') }}"],
        tmp_path / "raw",
        tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    return result.stdout


def test_the_raw_line_is_parsed_once_into_its_fields(tmp_path: Path) -> None:
    calls = JSON_CALL.findall(compiled_contract_extraction(tmp_path))
    on_line = sorted(function for function, argument, _ in calls if argument == "raw_line")
    # Whether it is JSON, whether an object, and its fields: one transform.
    assert on_line == ["json_transform", "json_type", "json_valid"], on_line
    # No rule goes back into a document by path: each reads a field the transform produced.
    by_path = sorted(
        {
            f"{function}({argument}, '{path}')"
            for function, argument, path in calls
            if function != "json_transform" and path not in ("", "$")
        }
    )
    assert by_path == [], by_path
    # A fragment is parsed again only where a rule needs its JSON kind (an event_id that is a
    # number is missing) or an object's keys; the other fields come out of the transform as text.
    fragments = sorted({argument for _, argument, _ in calls if argument != "raw_line"})
    assert fragments == [
        "amount_json",
        "event_id_json",
        "event_json",
        "identities_json",
        "price_json",
        "properties_json",
        "time_json",
    ], fragments

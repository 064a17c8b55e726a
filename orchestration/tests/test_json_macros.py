"""json_to_text_columns names each column after its field, whatever the field's name: a reserved
word or a name with a space or a dash is a column too (the fields come from vars a company
extends: event_properties, identity_types)."""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.tests.dbt_helpers import run_dbt

FIELDS = ["order", "group", "utm source", "coupon-id", "category"]


def test_fields_named_like_sql_keywords_become_columns(tmp_path: Path) -> None:
    doc = json.dumps({field: f"value of {field}" for field in FIELDS})
    inline = (
        "{% set doc = " + json.dumps("'" + doc + "'") + " %}"
        "select {{ json_to_text_columns(doc, " + json.dumps(FIELDS) + ") }}"
    )
    shown = run_dbt(["show", "--inline", inline, "--output", "json", "--log-format", "json"], tmp_path, tmp_path)
    assert shown.returncode == 0, shown.stdout[-3000:]
    rows = [
        json.loads(line)["data"]
        for line in shown.stdout.splitlines()
        if line.startswith("{") and "preview" in json.loads(line).get("data", {})
    ]
    preview = json.loads(rows[-1]["preview"])
    assert preview == [{field: f"value of {field}" for field in FIELDS}]

"""House rules that hold for every model (STYLE.md): the description states the grain and the
grain is tested. Read from the manifest of the tiny build."""

from __future__ import annotations

import json

import pytest

from orchestration.tests.tiny_build import TinyBuild

KEY_TESTS = {"unique", "unique_combination_of_columns"}


@pytest.fixture(scope="module")
def manifest(tiny: TinyBuild) -> dict:
    return json.loads((tiny.database.parent / "target" / "manifest.json").read_text())


def models(manifest: dict) -> dict[str, dict]:
    return {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == "user_asset_warehouse"
    }


def test_every_model_states_its_grain(manifest: dict) -> None:
    missing = [node["name"] for node in models(manifest).values() if not node["description"].startswith("One row per")]
    assert models(manifest)
    assert missing == []


def test_every_model_has_a_key_test(manifest: dict) -> None:
    tested = {
        dep
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and (node.get("test_metadata") or {}).get("name") in KEY_TESTS
        for dep in node["depends_on"]["nodes"][-1:]
    }
    untested = [node["name"] for uid, node in models(manifest).items() if uid not in tested]
    assert untested == []


def test_every_mart_enforces_its_contract(manifest: dict) -> None:
    loose = [
        node["name"]
        for node in models(manifest).values()
        if node["fqn"][1] == "marts" and not node["config"]["contract"]["enforced"]
    ]
    assert loose == []

"""One-ID accuracy against the simulator's ground truth: pairwise precision and recall of "same
person", over identifiers and over events.

usage: python -m orchestration.identity_eval [--database PATH] [--truth DIR] [--json PATH]

Precision asks of every pair the warehouse puts in one person whether the truth does too.
Recall is measured against what the evidence allows (issue 3): a person's identifiers are grouped
as the data links them, the components of that person's own co-occurrences in events, orders and
CRM rows, with shared identifiers (family tablets, test numbers) left out; a cookie that never
met a login is a group of its own. Identifiers the truth marks as shared, identifiers of erased
persons and events resolved to no person are outside the evaluation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from orchestration import settings


@dataclass(frozen=True)
class PairScores:
    items: int
    predicted_pairs: int
    precision_hits: int  # predicted pairs of one true person
    true_pairs: int  # pairs within an evidence group
    recall_hits: int  # evidence pairs that are predicted together

    @property
    def precision(self) -> float:
        return self.precision_hits / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.recall_hits / self.true_pairs if self.true_pairs else 1.0

    def as_dict(self) -> dict[str, float | int]:
        return {**self.__dict__, "precision": self.precision, "recall": self.recall}


def _pairs(frame: pd.DataFrame, columns: list[str]) -> int:
    counts = frame.groupby(columns).size().to_numpy(dtype=np.int64)
    return int((counts * (counts - 1) // 2).sum())


def pair_scores(frame: pd.DataFrame, predicted: str = "one_id") -> PairScores:
    """Pairwise scores of a clustering with columns `predicted`, person_id and evidence_group."""
    return PairScores(
        items=len(frame),
        predicted_pairs=_pairs(frame, [predicted]),
        precision_hits=_pairs(frame, [predicted, "person_id"]),
        true_pairs=_pairs(frame, ["evidence_group"]),
        recall_hits=_pairs(frame, [predicted, "evidence_group"]),
    )


def hash_key(salt: str, identifier_type: str, value: str) -> str:
    return hashlib.sha256(f"{salt}:{identifier_type}:{value}".encode()).hexdigest()


def evidence_groups(record_keys: pd.DataFrame, key_person: pd.DataFrame) -> pd.Series:
    """Group id per identifier key: components of each person's own co-occurrence graph.

    record_keys: (record_source, record_id, identifier_key) for every record.
    key_person: (identifier_key, person_id) for the evaluated, non-shared identifiers.
    """
    keys = key_person.reset_index(drop=True)
    index = pd.Series(np.arange(len(keys)), index=keys["identifier_key"])
    linked = record_keys[record_keys["identifier_key"].isin(index.index)].copy()
    linked["node"] = index.reindex(linked["identifier_key"]).to_numpy()
    linked["person_id"] = keys["person_id"].to_numpy()[linked["node"].to_numpy()]
    # Star edges from each record's first identifier to the others, within one person only.
    linked = linked.sort_values(["record_source", "record_id", "node"])
    first = linked.groupby(["record_source", "record_id", "person_id"])["node"].transform("first")
    a, b = first.to_numpy(), linked["node"].to_numpy()
    n = len(keys)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return pd.Series(labels, index=keys["identifier_key"].to_numpy(), name="evidence_group")


def truth_identifiers(truth: Path, salt: str) -> pd.DataFrame:
    """The simulator's identifiers with the key the warehouse computes for them."""
    frame = pd.read_parquet(truth / "identifiers.parquet")
    frame["identifier_key"] = [
        hash_key(salt, t, v) for t, v in zip(frame["identifier_type"], frame["identifier_value"], strict=True)
    ]
    return frame


def evidence_frame(con: duckdb.DuckDBPyConnection, truth: Path, salt: str) -> pd.DataFrame:
    """(identifier_key, person_id, evidence_group) for every non-shared truth identifier that the
    warehouse saw as a node, erased ones included."""
    truth_ids = truth_identifiers(truth, salt)
    nodes = con.execute("select identifier_key from intermediate.int_identity_nodes").df()
    if not set(nodes["identifier_key"]) & set(truth_ids["identifier_key"]):
        raise SystemExit(
            "No truth identifier hashes to a key in the warehouse: was it built with another "
            "USER_ASSETS_PII_SALT, or from another raw folder than this truth describes?"
        )
    shared = set(truth_ids.loc[truth_ids["is_shared"], "identifier_key"])
    key_person = (
        truth_ids[~truth_ids["identifier_key"].isin(shared)][["identifier_key", "person_id"]]
        .drop_duplicates("identifier_key")
        .merge(nodes, on="identifier_key")
    )
    record_keys = con.execute(
        "select record_source, record_id, identifier_key from intermediate.int_identity_record_identifiers"
    ).df()
    groups = evidence_groups(record_keys, key_person)
    key_person["evidence_group"] = groups.reindex(key_person["identifier_key"]).to_numpy()
    return key_person


def evaluate(database: Path, truth: Path, salt: str) -> dict[str, PairScores]:
    with duckdb.connect(str(database), read_only=True) as con:
        evidence = evidence_frame(con, truth, salt)
        bridge = con.execute("select identifier_key, one_id from marts.bdg_identifiers_to_persons").df()
        event_keys = con.execute(
            "select record_id as event_id, identifier_key from intermediate.int_identity_record_identifiers"
            " where record_source = 'event'"
        ).df()
        events = con.execute("select event_id, one_id from marts.fct_events where one_id is not null").df()
    identifiers = evidence.merge(bridge, on="identifier_key")  # erased persons drop out here

    # An event's evidence group is that of its identifiers (they co-occur, so they share one).
    truth_events = pd.read_parquet(truth / "events.parquet")[["event_id", "person_id"]]
    event_group = (
        event_keys.merge(identifiers[["identifier_key", "evidence_group"]], on="identifier_key")
        .groupby("event_id")["evidence_group"]
        .min()
    )
    event_frame = events.merge(truth_events, on="event_id").merge(event_group, left_on="event_id", right_index=True)
    return {"identifiers": pair_scores(identifiers), "events": pair_scores(event_frame)}


def render(scores: dict[str, PairScores]) -> str:
    lines = [f"{'':<13}{'items':>12}{'precision':>11}{'recall':>9}{'predicted pairs':>17}{'true pairs':>14}"]
    for name, s in scores.items():
        lines.append(
            f"{name:<13}{s.items:>12,}{s.precision:>11.5f}{s.recall:>9.5f}{s.predicted_pairs:>17,}{s.true_pairs:>14,}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, default=settings.duckdb_path())
    parser.add_argument("--truth", type=Path, default=settings.truth_dir())
    parser.add_argument("--json", type=Path, help="also write the scores as JSON here")
    args = parser.parse_args(argv)
    for path, what in ((args.database, "warehouse"), (args.truth / "identifiers.parquet", "ground truth")):
        if not path.exists():
            print(f"No {what} at {path}: run `make demo` (or `make data build`) first.", file=sys.stderr)
            return 1
    scores = evaluate(args.database, args.truth, settings.pii_salt())
    print("One-ID accuracy against the simulator's ground truth (pairwise, same person)")
    print(render(scores))
    if args.json:
        args.json.write_text(json.dumps({k: v.as_dict() for k, v in scores.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The SQL connected-components loop converges for any diameter and agrees with SciPy.

Graphs are written into a scratch DuckDB file and the macro runs through `dbt run-operation`,
exactly as the identity model runs it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from orchestration.tests.dbt_helpers import run_dbt


def scipy_labels(n: int, edges: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database and dbt target for the module: each graph gets its own tables, and dbt parses
    the project once (later runs parse partially)."""
    return tmp_path_factory.mktemp("components")


def sql_components(work: Path, name: str, n: int, edges: np.ndarray) -> tuple[dict[int, int], str]:
    database = work / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(f"create table nodes_{name} as select range as node_id from range(?)", [n])
        con.execute(f"create table edges_{name} (node_a bigint, node_b bigint)")
        con.executemany(f"insert into edges_{name} values (?, ?)", edges.tolist())
    result = run_dbt(
        [
            "run-operation",
            "run_connected_components",
            "--args",
            f"{{nodes_table: nodes_{name}, edges_table: edges_{name}, result_table: components_{name}}}",
        ],
        raw_dir=work,
        work_dir=work,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(f"select node_id, component_id from components_{name}").fetchall()
    return dict(rows), result.stdout


def assert_same_partition(ours: dict[int, int], theirs: np.ndarray) -> None:
    assert len(ours) == len(theirs)
    pairs = {(ours[i], int(theirs[i])) for i in range(len(theirs))}
    # A partition matches when each of our components maps to exactly one of theirs and back.
    assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})


def rounds(stdout: str) -> int:
    line = next(line for line in stdout.splitlines() if "converged in" in line)
    return int(line.split("converged in")[1].split()[0])


def test_long_chain_converges_in_logarithmic_rounds(work: Path) -> None:
    n = 1000
    # Node ids shuffled along the chain so the minimum is nowhere near an end.
    order = np.random.default_rng(1).permutation(n)
    edges = np.stack([order[:-1], order[1:]], axis=1)
    ours, stdout = sql_components(work, "chain", n, edges)
    assert set(ours.values()) == {0}
    assert_same_partition(ours, scipy_labels(n, edges))
    assert rounds(stdout) < 40  # a fixed-depth propagation would need ~1,000


def test_star_and_isolated_nodes(work: Path) -> None:
    n = 400
    hub = 250
    edges = np.array([[hub, leaf] for leaf in range(300) if leaf != hub])
    ours, _ = sql_components(work, "star", n, edges)
    assert_same_partition(ours, scipy_labels(n, edges))
    assert len(set(ours.values())) == 1 + (n - 300)  # the star, plus every isolated node alone


@pytest.mark.parametrize("seed", [3, 4])
def test_random_sparse_graph_matches_scipy(work: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3000
    edges = rng.integers(0, n, size=(2200, 2))
    ours, _ = sql_components(work, f"random_{seed}", n, edges)
    assert_same_partition(ours, scipy_labels(n, edges))

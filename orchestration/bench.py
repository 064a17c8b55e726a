"""The benchmark behind `make bench`: ratios measured in one run on one machine (SPEC section 8).

usage: python -m orchestration.bench [--tier large] [--seed 42] [--workdir bench/work]

Prints and writes as JSON (bench/results/<tier>-<time>.json):
- simulator time (or "reused" when the tier's data is already there);
- the floor: one DuckDB pass that reads every raw line and parses each JSON line once;
- the full dbt build as a multiple of the floor, its peak memory (DuckDB memory limit set);
- one more landed day built on top, as a share of the full build;
- the slowest models and time per layer;
- identity resolution (int_identity_components) against SciPy's connected_components on the
  very same nodes and merging edges: each run alone after the full build, best of five (the
  model's time inside the full build is printed too).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from orchestration import safe_paths
from orchestration.settings import PROJECT_DIR

MEMORY_LIMIT = os.environ.get("USER_ASSETS_DUCKDB_MEMORY_LIMIT", "16GB")


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def run(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Run a command, streaming its output; returns wall seconds; raises on failure."""
    start = time.perf_counter()
    subprocess.run(cmd, cwd=PROJECT_DIR, env=env, check=True)
    return time.perf_counter() - start


# Runs a command and prints the peak RSS of its process tree, so the figure is the build's alone
# and not the simulator's (getrusage of children is a maximum over every child ever waited for).
_PEAK_WRAPPER = (
    "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
    "print('peak_rss_kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)"
)


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of a command."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_WRAPPER, *cmd],
        cwd=PROJECT_DIR,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    seconds = time.perf_counter() - start
    sys.stderr.write("\n".join(line for line in done.stderr.splitlines() if not line.startswith("peak_rss_kb")))
    if done.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed with exit code {done.returncode}")
    peak_kb = next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("peak_rss_kb"))
    return seconds, peak_kb / 1024


def floor_seconds(raw: Path) -> tuple[float, int]:
    """One pass over every raw file: read each line and parse the JSON ones once."""
    start = time.perf_counter()
    lines = 0
    with duckdb.connect() as con:
        con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
        for folder in ("events", "orders", "crm_members", "campaign_touches", "erasure_requests"):
            files = sorted(str(p) for p in (raw / folder).rglob("*") if p.is_file())
            if not files:
                continue
            (count, _) = con.execute(
                "select count(*), count(*) filter (where json_valid(raw_line)) from read_csv(?, "
                "columns = {'raw_line': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', "
                "header = false, auto_detect = false)",
                [files],
            ).fetchone()
            lines += count
    return time.perf_counter() - start, lines


def model_times(target: Path) -> list[tuple[str, float]]:
    results = json.loads((target / "run_results.json").read_text())["results"]
    return sorted(
        ((r["unique_id"], r["execution_time"]) for r in results if r["unique_id"].startswith("model.")),
        key=lambda item: -item[1],
    )


def node_type_times(target: Path) -> dict[str, float]:
    """Seconds per node type (model, test, unit_test, seed, snapshot, operation) of the last run."""
    totals: dict[str, float] = {}
    for result in json.loads((target / "run_results.json").read_text())["results"]:
        kind = result["unique_id"].split(".")[0]
        totals[kind] = totals.get(kind, 0.0) + result["execution_time"]
    return totals


def layer_times(target: Path) -> dict[str, float]:
    manifest = json.loads((target / "manifest.json").read_text())["nodes"]
    totals: dict[str, float] = {}
    for unique_id, seconds in model_times(target):
        layer = manifest[unique_id]["fqn"][1]
        totals[layer] = totals.get(layer, 0.0) + seconds
    return totals


IDENTITY_MODEL = "model.user_asset_warehouse.int_identity_components"
IDENTITY_REPEATS = 5


def identity_alone_seconds(dbt: str, env: dict[str, str], target: Path) -> float:
    """The identity model's execution time when it is the only model running (same tables)."""
    run([dbt, "run", "--quiet", "-s", IDENTITY_MODEL.split(".")[-1]], env)
    return dict(model_times(target))[IDENTITY_MODEL]


def scipy_components_seconds(database: Path) -> tuple[float, int, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        n = con.execute("select max(node_id) + 1 from intermediate.int_identity_nodes").fetchone()[0]
        edges = con.execute(
            "select node_a, node_b from intermediate.int_identity_edges_guarded where quarantine_reason is null"
        ).fetchnumpy()
    start = time.perf_counter()
    a, b = edges["node_a"].astype(np.int64), edges["node_b"].astype(np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n)).tocsr()
    count, _ = connected_components(graph, directed=False)
    return time.perf_counter() - start, int(n), int(count)


def clv_fit_seconds(database: Path) -> dict[str, float | int]:
    """BG/NBD + Gamma-Gamma on the warehouse's customer summary: ours against `lifetimes`."""
    import warnings

    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import ConvergenceError

    from orchestration.predictions import clv

    with duckdb.connect(str(database), read_only=True) as con:
        summary = con.execute(
            "select frequency, recency, age, monetary from intermediate.int_clv_person_summary"
        ).fetchnumpy()
    x, t_x, T, m = (np.asarray(summary[c], dtype=float) for c in ("frequency", "recency", "age", "monetary"))
    start = time.perf_counter()
    clv.fit_bgnbd(x, t_x, T)
    clv.fit_gamma_gamma(x, m)
    ours = time.perf_counter() - start
    repeat = (x > 0) & (m > 0)
    converged = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        try:
            BetaGeoFitter().fit(x, t_x, T)
            GammaGammaFitter().fit(x[repeat], m[repeat])
        except ConvergenceError:
            converged = False  # timed all the same: the work was done
        theirs = time.perf_counter() - start
    return {"customers": len(x), "ours_seconds": ours, "lifetimes_seconds": theirs, "lifetimes_converged": converged}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="large")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=PROJECT_DIR / "bench" / "work")
    parser.add_argument(
        "--skip-next-day",
        action="store_true",
        help="do not land and build one more day (saves a second build when only the full build is of interest)",
    )
    args = parser.parse_args(argv)
    work = args.workdir / args.tier
    raw, target = work / "raw", work / "target"
    database = work / "warehouse.duckdb"
    python, dbt = sys.executable, str(Path(sys.executable).parent / "dbt")
    results: dict[str, object] = {"tier": args.tier, "machine": f"{os.cpu_count()} cores"}
    try:  # a new, empty or earlier bench folder only: the build below replaces its warehouse
        safe_paths.claim(work, creator="python -m orchestration.bench")
    except safe_paths.NotOurs as refused:
        print(f"{refused}\nChoose another --workdir.", file=sys.stderr)
        return 1

    manifest = work / "truth" / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("seed") == args.seed:
        log(f"reusing the {args.tier} sample in {raw}")
        results["simulator_seconds"] = None
    else:
        log(f"generating the {args.tier} sample into {raw}")
        results["simulator_seconds"] = run(
            [
                python,
                "-m",
                "orchestration.simulate",
                "--tier",
                args.tier,
                "--seed",
                str(args.seed),
                "--out",
                str(raw),
            ]
        )

    log("floor: one DuckDB pass over every raw file")
    results["floor_seconds"], results["raw_lines"] = floor_seconds(raw)

    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(PROJECT_DIR),
        USER_ASSETS_RAW_DIR=str(raw),
        USER_ASSETS_DUCKDB_PATH=str(database),
        USER_ASSETS_DUCKDB_MEMORY_LIMIT=MEMORY_LIMIT,
        DBT_TARGET_PATH=str(target),
        DBT_LOG_PATH=str(work / "logs"),
    )
    safe_paths.remove(warehouses=[database])
    log(f"full build (DuckDB memory limit {MEMORY_LIMIT})")
    results["full_build_seconds"], results["full_build_peak_rss_mb"] = run_measured([dbt, "build", "--quiet"], env)
    results["slowest_models"] = model_times(target)[:10]
    results["layer_seconds"] = layer_times(target)
    identity_in_build_seconds = dict(model_times(target))[IDENTITY_MODEL]
    # Both sides alone on the idle machine, best of IDENTITY_REPEATS: in the build the model
    # shares the cores with another model, and single timings of either side vary by up to 2x.
    log(f"identity: {IDENTITY_MODEL.split('.')[-1]} alone and SciPy, best of {IDENTITY_REPEATS} each")
    identity_seconds = min(identity_alone_seconds(dbt, env, target) for _ in range(IDENTITY_REPEATS))
    scipy_runs = [scipy_components_seconds(database) for _ in range(IDENTITY_REPEATS)]
    scipy_seconds, nodes, components = min(scipy_runs)
    results.update(
        identity_seconds=identity_seconds,
        identity_in_build_seconds=identity_in_build_seconds,
        scipy_seconds=scipy_seconds,
        identity_nodes=nodes,
        identity_components=components,
    )

    log("BG/NBD + Gamma-Gamma fit against lifetimes on the same summary")
    results["clv_fit"] = clv_fit_seconds(database)

    if args.skip_next_day:
        results["incremental_day_seconds"] = None
    else:
        log("one more landed day, built on top")
        run([python, "-m", "orchestration.simulate", "--land-next-day", "--out", str(raw)])
        results["incremental_day_seconds"] = run([dbt, "build", "--quiet"], env)
        results["incremental_slowest_models"] = model_times(target)[:10]
        results["incremental_node_type_seconds"] = node_type_times(target)

    floor = results["floor_seconds"]
    full = results["full_build_seconds"]
    summary = [
        f"tier {args.tier}: {results['raw_lines']:,} raw lines, {nodes:,} identifiers, {components:,} components",
        f"simulator                {results['simulator_seconds'] or 0:9.1f} s"
        + ("" if results["simulator_seconds"] else " (reused)"),
        f"floor (one raw pass)     {floor:9.1f} s",
        f"full build               {full:9.1f} s   = {full / floor:5.1f} x floor   (target <= 4x)",
        f"full build peak RSS      {results['full_build_peak_rss_mb']:9.0f} MB  (DuckDB memory_limit {MEMORY_LIMIT})",
        (
            f"incremental day          {results['incremental_day_seconds']:9.1f} s   = "
            f"{results['incremental_day_seconds'] / full:5.1%} of full   (target < 10%)"
            if results["incremental_day_seconds"] is not None
            else "incremental day          not measured (--skip-next-day)"
        ),
        f"identity components      {identity_seconds:9.1f} s   = "
        f"{identity_seconds / scipy_seconds:5.1f} x SciPy ({scipy_seconds:.2f} s), both alone, best of "
        f"{IDENTITY_REPEATS}; {identity_in_build_seconds:.1f} s inside the full build   (target <= 3x)",
        f"CLV fit (BG/NBD + GG)    {results['clv_fit']['ours_seconds']:9.2f} s   = "
        f"{results['clv_fit']['ours_seconds'] / results['clv_fit']['lifetimes_seconds']:5.2f} x lifetimes "
        f"({results['clv_fit']['lifetimes_seconds']:.2f} s, {results['clv_fit']['customers']:,} customers)"
        f"   (target < 1x)",
        "time per layer: " + ", ".join(f"{k} {v:.0f} s" for k, v in results["layer_seconds"].items()),
        "slowest models:",
        *[f"  {seconds:8.1f} s  {uid.split('.')[-1]}" for uid, seconds in results["slowest_models"]],
    ]
    if results["incremental_day_seconds"] is not None:
        summary += [
            "incremental day, time per node type (summed over threads): "
            + ", ".join(f"{k} {v:.0f} s" for k, v in results["incremental_node_type_seconds"].items()),
            "incremental day, slowest models:",
            *[f"  {seconds:8.1f} s  {uid.split('.')[-1]}" for uid, seconds in results["incremental_slowest_models"]],
        ]
    print("\n".join(summary))
    out = PROJECT_DIR / "bench" / "results" / f"{args.tier}-{dt.datetime.now():%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    log(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

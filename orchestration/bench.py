"""The benchmark behind `make bench`: ratios measured in one run on one machine (SPEC section 8).

usage: python -m orchestration.bench [--tier large] [--seed 42] [--workdir bench/work] [--quick]
                                     [--skip-next-day] [--results-dir bench/results]

The tier's sample is simulated once (or reused) into <workdir>/<tier>/raw and never written
again: every build reads the bench's own landing folder, <workdir>/<tier>/landing/raw, into which
the sample's dt= partitions are hard-linked (copied across file systems) a few at a time, the way
they would land. With N partitions (365 days on large), h = (N - 1) // 2 and 2h + 1 of them used:

1. partitions 1..h landed, built from scratch (`half_build_s`); partition h + 1 landed and the
   daily run timed: the day at 1x history (`day_at_1x_s`). That warehouse is then deleted;
2. partitions up to 2h landed; the floor measured twice over them (`floor_cold_s`,
   then `floor_s` with the files in the page cache); a full build from scratch (`full_build_s`);
3. partition 2h + 1 landed and the daily run timed: the day at 2x history (`incremental_day_s`);
   then identity resolution against SciPy and the CLV fit against `lifetimes` on that warehouse
   (after the day: a `dbt run` of one model before it would make the day's PII scan read whole
   tables, as after any run without the scan).

`incremental_share` = day at 2x / full build, `day_growth` = day at 2x / day at 1x. Every dbt
command runs within the memory budget USER_ASSETS_DUCKDB_MEMORY_LIMIT (16GB unless set; DuckDB gets
the share of it orchestration/settings.py derives, docs/memory.md) and
spills into a temp folder beside its DuckDB file; the peak RSS of its process tree is sampled from
/proc and taken with the process's own ru_maxrss. The figures, a table of them against the
targets, and the JSON file (bench/results/<tier>-<time>.json) come at the end. Exit code 1 when
the peak RSS of any dbt command exceeds the memory limit plus --rss-allowance-mb (the dbt
process's own memory beside DuckDB's buffers), after writing the JSON; the other targets are
reported PASS or FAIL and do not fail the command. docs/benchmark.md describes it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from orchestration import report_html, safe_paths, settings
from orchestration.settings import PROJECT_DIR
from orchestration.simulate import config as simulate_config

MEMORY_LIMIT_SETTING = settings.MEMORY_LIMIT_SETTING
# The bench's own default (the 24 GiB bench machine, SPEC section 8); a build elsewhere uses the
# profile's. Whatever it is, it is given to every dbt command and to the floor.
BENCH_MEMORY_LIMIT = "16GB"
# RSS the dbt process needs beside DuckDB's buffer pool (Python, dbt's manifest, the adapter).
RSS_ALLOWANCE_MB = 1024
RSS_SAMPLE_SECONDS = 0.25
# Disk the full build needs beside the sample, per simulated person, from the large tier (1M
# persons, budget 16GB): DuckDB's spill reached 33 GB and the warehouse file 30 GB after its day.
DISK_BYTES_PER_PERSON = 33_000 + 30_000
WAREHOUSE_STAGES = ("half", "full")  # the folders of Warehouse below, replaced by every run
PARTITIONED_SOURCES = tuple(s for s in safe_paths.SAMPLE_SOURCES if s != "erasure_requests")
ERASURE_FILE = Path("erasure_requests") / "requests.csv"
PARTITION = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
CREATOR = "python -m orchestration.bench"


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", flush=True)


# ------------------------------------------------------------------ memory
def memory_limit_mb(limit: str) -> float:
    """The budget USER_ASSETS_DUCKDB_MEMORY_LIMIT ('16GB' = 16e9 bytes, '16GiB' = 16 * 2^30) in MB of
    2^20 bytes, the unit RSS is reported in. Sizes are read in one place, orchestration/settings.py."""
    return settings.memory_budget_bytes(limit) / 2**20


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def process_tree_rss_kb(root: int) -> int:
    """The resident memory of `root` and all its descendants now, from /proc (kB)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * _PAGE_KB
        except (OSError, ValueError, IndexError):
            continue
        todo += children.get(pid, [])
    return total


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mb: float


def run_measured(step: str, cmd: list[str], env: dict[str, str], logs: Path) -> Measured:
    """Run a command (its output streamed), timing it and taking the peak RSS of its process tree:
    the larger of /proc sampled every RSS_SAMPLE_SECONDS (the tree's sum) and its own ru_maxrss
    (the largest single process, which a sample may miss). Stops the bench if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, env=env)
    peak_kb, done = 0, threading.Event()

    def sample() -> None:
        nonlocal peak_kb
        while not done.wait(RSS_SAMPLE_SECONDS):
            peak_kb = max(peak_kb, process_tree_rss_kb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"bench step '{step}' failed: {' '.join(cmd[:2])} exited {proc.returncode} (logs in {logs}).")
    return Measured(seconds, max(peak_kb, usage.ru_maxrss) / 1024)


def disk_shortfall(folder: Path, tier: str) -> str | None:
    """Why `folder` lacks the disk the tier's full build needs (its spill and warehouse file), or None."""
    needed = simulate_config.TIERS[tier].persons * DISK_BYTES_PER_PERSON
    # An earlier run's warehouses (and spill) are deleted before the builds that need the disk.
    replaced = sum(
        file.stat().st_size
        for stage in (WAREHOUSE_STAGES if folder.is_dir() else ())
        for file in (folder / stage).rglob("*")
        if file.is_file() and not file.is_symlink()
    )
    free = shutil.disk_usage(folder).free + replaced
    if free >= needed:
        return None
    return (
        f"{folder} has {free / 10**9:,.1f} GB free (counting {replaced / 10**9:,.1f} GB of an earlier run's "
        f"warehouses, which it replaces); the {tier} tier's full build needs about {needed / 10**9:,.1f} GB "
        "there (DuckDB's spill beyond its memory share, and the warehouse file). Free some disk, or choose "
        "another --workdir."
    )


# ------------------------------------------------------------------ landing
def partition_dates(raw: Path) -> list[dt.date]:
    """Every dt= day of the partitioned sources, in order."""
    return sorted(
        {
            dt.date.fromisoformat(match.group(1))
            for source in PARTITIONED_SOURCES
            if (raw / source).is_dir()
            for folder in (raw / source).iterdir()
            if (match := PARTITION.match(folder.name))
        }
    )


def erasure_snapshot(text: str, through: dt.date) -> str:
    """The erasure request file as it stood after the day `through` landed: the simulator writes it
    whole, in order of request time, with the requests made up to the last day (UTC), so it is the
    lines up to the first one requested later. A line whose time does not parse is kept with its
    neighbours (it cannot move the cut)."""
    lines = text.splitlines(keepends=True)
    kept = lines[:1]  # the header
    for line in lines[1:]:
        fields = next(csv.reader([line]), [])
        try:
            requested = dt.datetime.fromisoformat(fields[3])
            requested_day = requested.astimezone(dt.UTC).date() if requested.tzinfo else requested.date()
        except (IndexError, ValueError):
            requested_day = None
        if requested_day is not None and requested_day > through:
            break
        kept.append(line)
    return "".join(kept)


def land(sample: Path, landing: Path, days: list[dt.date]) -> dict[str, int]:
    """Land the sample's partitions of `days` into the landing folder as hard links (copies when the
    file system refuses a link), and rewrite the erasure request file as of the last of them.
    Nothing in `sample` is written: a link shares the file, and the erasure file is written anew
    (a new file replacing the old, never through a link)."""
    counts = {"linked": 0, "copied": 0}
    wanted = {f"dt={day.isoformat()}" for day in days}
    for source in PARTITIONED_SOURCES:
        if not (sample / source).is_dir():
            continue
        for folder in sorted(p for p in (sample / source).iterdir() if p.name in wanted):
            (landing / source / folder.name).mkdir(parents=True, exist_ok=True)
            for file in sorted(p for p in folder.iterdir() if p.is_file()):
                target = landing / source / folder.name / file.name
                try:
                    os.link(file, target)
                    counts["linked"] += 1
                except OSError:
                    shutil.copy2(file, target)
                    counts["copied"] += 1
    if (sample / ERASURE_FILE).is_file():
        through = max(partition_dates(landing))
        target = landing / ERASURE_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        fresh = target.with_name(target.name + ".landing")
        fresh.write_text(erasure_snapshot((sample / ERASURE_FILE).read_text(), through))
        os.replace(fresh, target)
    return counts


def sample_is_reusable(raw: Path, truth: Path, tier: str, seed: int) -> bool:
    """The simulator's whole sample of this tier and seed, as generated (no day landed on it)."""
    manifest = safe_paths.simulator_manifest(truth / "manifest.json")
    if manifest is None or (manifest["tier"], manifest.get("seed")) != (tier, seed):
        return False
    if manifest.get("days") != simulate_config.TIERS[tier].days:
        return False
    for source in safe_paths.SAMPLE_SOURCES:
        listed = (manifest["sources"].get(source) or {}).get("files", 0)
        if sum(1 for p in (raw / source).rglob("*") if p.is_file()) != listed:
            return False
    return True


# ------------------------------------------------------------------ measures
def floor_seconds(raw: Path, memory_limit: str) -> tuple[float, int]:
    """One pass over every raw file: read each line and parse the JSON ones once."""
    start = time.perf_counter()
    lines = 0
    with duckdb.connect(config=settings.duckdb_memory_settings(memory_limit)) as con:
        for folder in safe_paths.SAMPLE_SOURCES:
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


def model_times(target: Path, kind: str = "model") -> list[tuple[str, float]]:
    """(unique id, seconds) of the last run's nodes of one type (model, test, ...), slowest first."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return sorted(
        ((r["unique_id"], r["execution_time"]) for r in results if r["unique_id"].startswith(f"{kind}.")),
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


def scipy_components_seconds(database: Path) -> tuple[float, int, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        # Node ids are 60-bit hashes of the keys: number them densely for the sparse matrix.
        n = con.execute("select count(*) from intermediate.int_identity_nodes").fetchone()[0]
        edges = con.execute(
            "with dense as (select node_id, row_number() over (order by node_id) - 1 as dense_id"
            " from intermediate.int_identity_nodes)"
            " select a.dense_id as node_a, b.dense_id as node_b"
            " from intermediate.int_identity_edges_guarded as e"
            " inner join dense as a on e.node_a = a.node_id inner join dense as b on e.node_b = b.node_id"
            " where e.quarantine_reason is null"
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
    return {"customers": len(x), "ours_s": ours, "lifetimes_s": theirs, "lifetimes_converged": converged}


# ------------------------------------------------------------------ one warehouse
class Warehouse:
    """A DuckDB file of the bench with its dbt target, logs and spill folder, built from `raw`."""

    def __init__(self, folder: Path, raw: Path, memory_limit: str, peaks: dict[str, float]) -> None:
        self.folder, self.raw, self.peaks = folder, raw, peaks
        self.database = folder / "warehouse.duckdb"  # the stem names dbt's database
        self.target, self.logs = folder / "target", folder / "logs"
        self.temp_directory = settings.duckdb_temp_dir(self.database)
        self.dbt = str(Path(sys.executable).parent / "dbt")
        self.env = {
            **os.environ,
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_PROJECT_DIR": str(PROJECT_DIR),
            "USER_ASSETS_RAW_DIR": str(raw),
            "USER_ASSETS_DUCKDB_PATH": str(self.database),
            "USER_ASSETS_DUCKDB_TEMP_DIR": str(self.temp_directory),
            MEMORY_LIMIT_SETTING: memory_limit,
            "DBT_TARGET_PATH": str(self.target),
            "DBT_LOG_PATH": str(self.logs),
        }

    def fresh(self) -> Warehouse:
        self.remove()
        safe_paths.mark(self.temp_directory, CREATOR)  # DuckDB spills here; the project's to delete
        return self

    def remove(self) -> None:
        safe_paths.remove(self.folder, warehouses=[self.database])

    def dbt_run(self, step: str, *args: str) -> Measured:
        measured = run_measured(step, [self.dbt, *args, "--quiet"], self.env, self.logs)
        self.peaks[step] = max(self.peaks.get(step, 0.0), measured.peak_rss_mb)
        # Each step's node timings kept for profiling (the next step overwrites target/'s).
        results = self.target / "run_results.json"
        if results.exists():
            shutil.copyfile(results, self.logs / f"run_results-{step.replace(' ', '-')}.json")
        return measured


# ------------------------------------------------------------------ targets and summary
def targets(figures: dict, allowance_mb: float) -> list[dict]:
    """Each target with its measured value and whether it passed (None: not measured)."""

    def row(measure: str, value: float | None, text: str, passed: bool | None) -> dict:
        return {"measure": measure, "value": value, "target": text, "passed": None if value is None else passed}

    full, share, growth = figures["full_build_ratio"], figures["incremental_share"], figures["day_growth"]
    identity, clv, peak = figures["identity_ratio"], figures["clv_ratio"], figures["peak_rss_mb"]
    return [
        row("full build / floor", full, "<= 10x floor (goal 4x)", full is not None and full <= 10),
        row("day / full build", share, "<= 10 % of full", share is not None and share <= 0.10),
        row("day_growth (day at 2x / 1x history)", growth, "day_growth <= 1.2", growth is not None and growth <= 1.2),
        row("identity / SciPy", identity, "<= 3x SciPy", identity is not None and identity <= 3),
        row("CLV fit / lifetimes", clv, "< 1x lifetimes", clv is not None and clv < 1),
        row(
            "peak RSS (MB)",
            peak,
            f"peak RSS <= memory limit {figures['memory_limit_mb']:,.0f} MB + {allowance_mb:,.0f} MB",
            figures["memory_ok"],
        ),
    ]


def summary_lines(figures: dict) -> list[str]:
    def seconds(key: str) -> str:
        value = figures.get(key)
        return "not measured (--skip-next-day)" if value is None else f"{value:9.2f} s"

    p = figures["partitions"]
    lines = [
        f"tier {figures['tier']}: {figures['raw_lines']:,} raw lines in {p['history_at_2x']} days (+1 landed), "
        f"{figures['identity_nodes']:,} identifiers, {figures['identity_components']:,} components",
        f"simulator                 {figures['simulator_s'] or 0:9.2f} s"
        + ("" if figures["simulator_s"] else " (reused)"),
        f"floor, first pass         {figures['floor_cold_s']:9.2f} s",
        f"floor, second pass        {figures['floor_s']:9.2f} s   (the floor: files in the page cache)",
        f"full build ({p['history_at_2x']} days)     {figures['full_build_s']:9.2f} s",
        f"half build ({p['history_at_1x']} days)     {seconds('half_build_s')}",
        f"day at 1x history         {seconds('day_at_1x_s')}   (day {p['day_at_1x']})",
        f"day at 2x history         {seconds('incremental_day_s')}   (day {p['day_at_2x']})",
        f"identity components       {figures['identity_s']:9.2f} s   SciPy {figures['scipy_s']:.2f} s, each alone, "
        f"best of {figures['repeats']}; {figures['identity_in_build_s']:.2f} s inside the full build",
        f"CLV fit (BG/NBD + GG)     {figures['clv_fit']['ours_s']:9.2f} s   lifetimes "
        f"{figures['clv_fit']['lifetimes_s']:.2f} s ({figures['clv_fit']['customers']:,} customers)",
        "peak RSS per step (MB): " + ", ".join(f"{k} {v:,.0f}" for k, v in figures["peak_rss_mb_by_step"].items()),
        "time per layer (full build): " + ", ".join(f"{k} {v:.0f} s" for k, v in figures["layer_s"].items()),
        "slowest models (full build):",
        *[f"  {s:8.1f} s  {uid.split('.')[-1]}" for uid, s in figures["slowest_models"]],
    ]
    if figures["incremental_day_s"] is not None:
        lines += [
            "day at 2x, time per node type (summed over threads): "
            + ", ".join(f"{k} {v:.0f} s" for k, v in figures["incremental_node_type_s"].items()),
            "day at 2x, slowest models:",
            *[f"  {s:8.1f} s  {uid.split('.')[-1]}" for uid, s in figures["incremental_slowest_models"]],
            "day at 2x, slowest tests:",
            *[f"  {s:8.1f} s  {uid.split('.')[2]}" for uid, s in figures["incremental_slowest_tests"]],
        ]
    formats = {
        "full build / floor": "{:.1f}x",
        "day / full build": "{:.1%}",
        "day_growth (day at 2x / 1x history)": "{:.2f}",
        "identity / SciPy": "{:.2f}x",
        "CLV fit / lifetimes": "{:.2f}x",
        "peak RSS (MB)": "{:,.0f}",
    }
    lines += ["", f"{'measure':<38} {'value':>10}   {'target':<48} result"]
    for t in figures["targets"]:
        value = "-" if t["value"] is None else formats[t["measure"]].format(t["value"])
        result = "-" if t["passed"] is None else ("PASS" if t["passed"] else "FAIL")
        lines.append(f"{t['measure']:<38} {value:>10}   {t['target']:<48} {result}")
    return lines


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


# ------------------------------------------------------------------ the run
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="large", choices=sorted(simulate_config.TIERS))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=PROJECT_DIR / "bench" / "work")
    parser.add_argument("--results-dir", type=Path, default=PROJECT_DIR / "bench" / "results")
    parser.add_argument(
        "--skip-next-day",
        action="store_true",
        help="only the full build (no half build, no landed days): incremental figures are left empty",
    )
    parser.add_argument(
        "--quick", action="store_true", help="identity and SciPy once each, not best of 5 (for tiny and small)"
    )
    parser.add_argument(
        "--rss-allowance-mb",
        type=float,
        default=RSS_ALLOWANCE_MB,
        help=f"RSS allowed above the memory limit for the dbt process itself (default {RSS_ALLOWANCE_MB})",
    )
    args = parser.parse_args(argv)
    memory_limit = os.environ.get(MEMORY_LIMIT_SETTING) or BENCH_MEMORY_LIMIT
    try:
        limit_mb = memory_limit_mb(memory_limit)
        settings.duckdb_memory_settings(memory_limit)  # a budget too small is refused before any work
    except ValueError as bad:
        print(bad, file=sys.stderr)
        return 2
    repeats = 1 if args.quick else IDENTITY_REPEATS
    work = args.workdir / args.tier
    sample, truth, landing = work / "raw", work / "truth", work / "landing" / "raw"
    python = sys.executable
    try:  # a new, empty or earlier bench folder only: the builds below replace its warehouses
        safe_paths.claim(work, creator=CREATOR)
    except safe_paths.NotOurs as refused:
        print(f"{refused}\nChoose another --workdir.", file=sys.stderr)
        return 1
    if shortfall := disk_shortfall(work, args.tier):  # before any work, not when the spill fills the disk
        print(shortfall, file=sys.stderr)
        return 1
    figures: dict[str, object] = {
        "tier": args.tier,
        "seed": args.seed,
        "machine": f"{os.cpu_count()} cores",
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "repeats": repeats,
        "memory_limit": memory_limit,
        "memory_limit_mb": limit_mb,
        "rss_allowance_mb": args.rss_allowance_mb,
    }

    if sample_is_reusable(sample, truth, args.tier, args.seed):
        log(f"reusing the {args.tier} sample in {sample}")
        figures["simulator_s"] = None
    else:
        log(f"generating the {args.tier} sample into {sample}")
        start = time.perf_counter()
        cmd = [python, "-m", "orchestration.simulate", "--tier", args.tier, "--seed", str(args.seed)]
        subprocess.run([*cmd, "--out", str(sample)], cwd=PROJECT_DIR, check=True)
        figures["simulator_s"] = time.perf_counter() - start

    days = partition_dates(sample)
    if len(days) < 3:
        print(f"{sample} holds {len(days)} dt= partitions; the bench needs at least 3.", file=sys.stderr)
        return 1
    # The day at 2x lands on exactly twice the history of the day at 1x: 2h + 1 partitions are
    # used (all 365 of large; the last of an even count is left out).
    half = (len(days) - 1) // 2
    days = days[: 2 * half + 1]
    figures["partitions"] = {
        "total": len(partition_dates(sample)),
        "used": len(days),
        "first": days[0].isoformat(),
        "history_at_1x": half,
        "day_at_1x": days[half].isoformat(),
        "history_at_2x": 2 * half,
        "day_at_2x": days[-1].isoformat(),
    }
    safe_paths.remove(landing.parent)
    landing.mkdir(parents=True)
    peaks: dict[str, float] = {}
    landed = {"linked": 0, "copied": 0}

    def land_days(chosen: list[dt.date]) -> None:
        for key, count in land(sample, landing, chosen).items():
            landed[key] += count

    if args.skip_next_day:
        figures.update(half_build_s=None, day_at_1x_s=None)
        land_days(days[:-1])
    else:
        small = Warehouse(work / WAREHOUSE_STAGES[0], landing, memory_limit, peaks).fresh()
        land_days(days[:half])
        log(f"half history: build of {half} days ({days[0]}..{days[half - 1]})")
        figures["half_build_s"] = small.dbt_run("half build", "build").seconds
        land_days([days[half]])
        log(f"day at 1x history: {days[half]} landed, daily run")
        figures["day_at_1x_s"] = small.dbt_run("day at 1x", "build").seconds
        small.remove()  # its disk is the full build's now
        land_days(days[half + 1 : -1])

    log(f"floor: one DuckDB pass over every raw file of {len(days) - 1} days, twice")
    figures["floor_cold_s"], figures["raw_lines"] = floor_seconds(landing, memory_limit)
    figures["floor_s"], _ = floor_seconds(landing, memory_limit)
    log(f"floor: first pass {figures['floor_cold_s']:.2f} s, second {figures['floor_s']:.2f} s (reported)")

    full = Warehouse(work / WAREHOUSE_STAGES[1], landing, memory_limit, peaks).fresh()
    figures.update(warehouse=str(full.database), temp_directory=str(full.temp_directory))
    log(f"full build of {len(days) - 1} days (DuckDB memory limit {memory_limit})")
    figures["full_build_s"] = full.dbt_run("full build", "build").seconds
    figures["slowest_models"] = model_times(full.target)[:10]
    figures["layer_s"] = layer_times(full.target)
    figures["identity_in_build_s"] = dict(model_times(full.target))[IDENTITY_MODEL]
    if args.skip_next_day:
        figures["incremental_day_s"] = None
    else:
        land_days([days[-1]])
        log(f"day at 2x history: {days[-1]} landed, daily run")
        figures["incremental_day_s"] = full.dbt_run("day at 2x", "build").seconds
        figures["incremental_slowest_models"] = model_times(full.target)[:10]
        figures["incremental_slowest_tests"] = model_times(full.target, "test")[:10]
        figures["incremental_node_type_s"] = node_type_times(full.target)

    # After the day at 2x: a `dbt run` of one model before it would make the daily run's PII scan
    # read whole tables (a run without the scan: macros/tests/pii_scan_state.sql), unlike a real day.
    # Both sides alone on the idle machine, best of `repeats`: in the build the model shares the
    # cores with another model, and single timings of either side vary by up to 2x.
    log(f"identity: {IDENTITY_MODEL.split('.')[-1]} alone and SciPy, best of {repeats} each")
    identity_runs = []
    for _ in range(repeats):
        full.dbt_run("identity alone", "run", "-s", IDENTITY_MODEL.split(".")[-1])
        identity_runs.append(dict(model_times(full.target))[IDENTITY_MODEL])
    scipy_s, nodes, components = min(scipy_components_seconds(full.database) for _ in range(repeats))
    figures.update(identity_s=min(identity_runs), scipy_s=scipy_s, identity_nodes=nodes, identity_components=components)
    log("BG/NBD + Gamma-Gamma fit against lifetimes on the same summary")
    figures["clv_fit"] = clv_fit_seconds(full.database)

    figures["landing"] = landed
    figures["peak_rss_mb_by_step"] = peaks
    figures["peak_rss_mb"] = max(peaks.values())
    figures["full_build_ratio"] = ratio(figures["full_build_s"], figures["floor_s"])
    figures["incremental_share"] = ratio(figures["incremental_day_s"], figures["full_build_s"])
    figures["day_growth"] = ratio(figures["incremental_day_s"], figures["day_at_1x_s"])
    figures["identity_ratio"] = ratio(figures["identity_s"], figures["scipy_s"])
    figures["clv_ratio"] = ratio(figures["clv_fit"]["ours_s"], figures["clv_fit"]["lifetimes_s"])
    figures["memory_ok"] = figures["peak_rss_mb"] <= limit_mb + args.rss_allowance_mb
    figures["targets"] = targets(figures, args.rss_allowance_mb)

    print("\n".join(summary_lines(figures)))
    out = args.results_dir / f"{args.tier}-{dt.datetime.now():%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, default=str))
    log(f"results written to {out}")
    log(f"charts written to {report_html.bench_report(out)}")
    if not figures["memory_ok"]:
        worst = max(peaks, key=peaks.get)
        print(
            f"bench FAILED: peak RSS of the dbt process tree {figures['peak_rss_mb']:,.0f} MB (step '{worst}') "
            f"exceeds the memory limit {MEMORY_LIMIT_SETTING}={memory_limit} ({limit_mb:,.0f} MB) plus "
            f"{args.rss_allowance_mb:,.0f} MB. DuckDB gets a share of the budget (settings.duckdb_memory_settings, "
            f"docs/memory.md) and spills beyond it to {full.temp_directory}; what exceeds the budget is memory "
            f"outside DuckDB's buffer pool: lower the share there (results in {out}).",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

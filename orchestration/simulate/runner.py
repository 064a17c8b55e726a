"""Entry points: generate a tier from scratch, or land the next day of an existing sample."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

from orchestration import safe_paths

from . import config as C
from .model import Simulation
from .writer import SOURCE_CODES, write_outputs

TRUTH_FILES = (
    "manifest.json",
    "persons.parquet",
    "identifiers.parquet",
    "events.parquet",
    "orders.parquet",
    "touches.parquet",
    "erasures.parquet",
    "bad_lines.parquet",
    "campaigns.parquet",
)
PARTITION = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
# Written into the marker of every folder the simulator generates (safe_paths.MARKER); fixed, so
# that the same sample gives the same bytes.
CREATOR = "python -m orchestration.simulate"


def default_truth_dir(out: Path) -> Path:
    """--out data/raw -> data/truth."""
    return Path(out).resolve().parent / "truth"


def generate(
    tier: str,
    seed: int,
    out: Path,
    truth: Path | None = None,
    end_date: dt.date = C.DEFAULT_END_DATE,
    days: int | None = None,
    log: Callable[[str], None] = print,
    events_format: str = "contract",
) -> dict:
    """Simulate `days` days ending on `end_date` and write every partition plus the ground truth,
    the events in `events_format` (config.EVENT_FORMATS; docs/event-formats.md)."""
    if tier not in C.TIERS:
        raise ValueError(f"unknown tier {tier!r}; choose from {', '.join(C.TIERS)}")
    if events_format not in C.EVENT_FORMATS:
        raise ValueError(f"unknown events format {events_format!r}; choose from {', '.join(C.EVENT_FORMATS)}")
    out = Path(out)
    truth = Path(truth) if truth else default_truth_dir(out)
    days = days or C.TIERS[tier].days
    if days < 1:
        raise ValueError("days must be at least 1")
    start = end_date - dt.timedelta(days=days - 1)
    # Only into new, empty or generated folders (safe_paths.NotOurs otherwise, nothing touched).
    safe_paths.claim_sample(out, truth, creator=CREATOR)
    # stale partitions from an earlier, longer run would silently mix two samples
    safe_paths.remove(*(out / source for source in SOURCE_CODES), *(truth / name for name in TRUTH_FILES), truth=truth)
    return _run(tier, seed, start, days, out, truth, write_from=0, log=log, events_format=events_format)


def land_next_day(out: Path, truth: Path | None = None, log: Callable[[str], None] = print) -> dict:
    """Write one more day for every partitioned source, continuing the same population.

    Re-runs the (prefix-stable) simulation one day further and writes only the new partitions, so
    the result is byte-identical to generating the longer period directly. The truth folder and
    the erasure request file, which are snapshots rather than partitions, are rewritten.
    """
    out = Path(out)
    truth = Path(truth) if truth else default_truth_dir(out)
    manifest_path = truth / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"{manifest_path} not found: generate a sample first")
    safe_paths.claim_sample(out, truth, creator=CREATOR)
    m = json.loads(manifest_path.read_text())
    newest = newest_partition(out)
    end = dt.date.fromisoformat(m["end_date"])
    if newest != end:
        raise RuntimeError(f"newest partition in {out} is {newest}, but the manifest says {end}")
    start = dt.date.fromisoformat(m["start_date"])
    days = (end - start).days + 2
    fmt = m.get("events_format", "contract")
    return _run(m["tier"], m["seed"], start, days, out, truth, write_from=days - 1, log=log, events_format=fmt)


def existing_sample_tier(out: Path, truth: Path | None = None) -> str | None:
    """The tier of the generated sample already in `out` (with its truth), or None."""
    truth = Path(truth) if truth else default_truth_dir(out)
    manifest = safe_paths.simulator_manifest(truth / "manifest.json")
    if manifest is None or not safe_paths.owner(out, truth, strict=False) or not safe_paths.owner(truth):
        return None
    return manifest["tier"]


def existing_sample_format(out: Path, truth: Path | None = None) -> str | None:
    """The events format of the generated sample already in `out` (with its truth), or None."""
    truth = Path(truth) if truth else default_truth_dir(out)
    if existing_sample_tier(out, truth) is None:
        return None
    manifest = safe_paths.simulator_manifest(truth / "manifest.json") or {}
    return manifest.get("events_format", "contract")


def newest_partition(out: Path) -> dt.date | None:
    dates = [
        dt.date.fromisoformat(mm.group(1))
        for source in SOURCE_CODES
        if (Path(out) / source).is_dir()
        for p in (Path(out) / source).iterdir()
        if (mm := PARTITION.match(p.name))
    ]
    return max(dates) if dates else None


def _run(
    tier: str,
    seed: int,
    start: dt.date,
    days: int,
    out: Path,
    truth: Path,
    write_from: int,
    log: Callable,
    events_format: str = "contract",
) -> dict:
    t0 = time.perf_counter()
    end = start + dt.timedelta(days=days - 1)
    what = "landing" if write_from else "generating"
    log(f"{what} {tier} sample: {C.TIERS[tier].persons:,} persons, {days} days {start}..{end}, seed {seed}")
    sim = Simulation(tier, seed, start, log)
    sim.run(days)
    log(f"  simulation done in {time.perf_counter() - t0:.1f}s; writing {out} and {truth}")
    manifest = {
        "generator_version": C.GENERATOR_VERSION,
        "tier": tier,
        "seed": seed,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "days": days,
        # The simulation is prefix-stable (day d depends only on days <= d), so it needs no fixed
        # horizon: it always runs through end_date, and landing a day re-runs it one day further.
        "horizon_end_date": end.isoformat(),
        "local_timezone": "Asia/Shanghai (+08:00); partitions are UTC dates",
    }
    manifest = write_outputs(sim, out, truth, write_from, days - 1, manifest, log, events_format)
    log(summary(manifest, time.perf_counter() - t0))
    return manifest


def summary(m: dict, seconds: float) -> str:
    lines = [
        f"sample {m['tier']} seed {m['seed']}: {m['start_date']}..{m['end_date']}, "
        f"{m['persons']:,} persons, {m['identifiers']:,} identifiers"
    ]
    for source, s in m["sources"].items():
        bad = ", ".join(f"{k} {v}" for k, v in s["bad_by_reason"].items()) or "-"
        lines.append(
            f"  {source:<17} {s['files']:>5} files {s['lines']:>11,} lines "
            f"{s['duplicates']:>7,} duplicates  bad: {sum(s['bad_by_reason'].values())} ({bad})"
        )
    lines.append(f"done in {seconds:.1f}s")
    return "\n".join(lines)

"""python -m orchestration.simulate --tier tiny|small|large --out DIR --seed N [...] | --land-next-day."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from . import config as C
from .runner import generate, land_next_day


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m orchestration.simulate",
        description="Write sample raw data in the landing contract (SPEC section 2) plus a ground truth.",
    )
    ap.add_argument("--tier", choices=sorted(C.TIERS), help="population size (required unless --land-next-day)")
    ap.add_argument("--out", required=True, type=Path, help="raw landing folder, e.g. data/raw")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--truth", type=Path, help="ground-truth folder (default: 'truth' next to --out)")
    ap.add_argument("--end-date", type=dt.date.fromisoformat, default=C.DEFAULT_END_DATE)
    ap.add_argument("--days", type=int, help="days to simulate (default per tier: tiny 120, small/large 365)")
    ap.add_argument(
        "--land-next-day",
        action="store_true",
        help="land one more day after the newest dt= partition, continuing the same sample",
    )
    args = ap.parse_args(argv)
    if args.land_next_day:
        land_next_day(args.out, args.truth)
    elif not args.tier:
        ap.error("--tier is required unless --land-next-day is given")
    else:
        generate(args.tier, args.seed, args.out, args.truth, args.end_date, args.days)
    return 0


if __name__ == "__main__":
    sys.exit(main())

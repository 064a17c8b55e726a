"""python -m orchestration.simulate --tier tiny|small|large --out DIR --seed N [--format F] [...] | --land-next-day.

--format contract|sensors|segment|table writes the events in that tracking format (docs/event-formats.md).
Writes only into a new or empty folder, or one it generated before (marked, docs/safety.md);
any other --out or --truth folder is refused with exit code 1 and left as it is."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from orchestration.safe_paths import NotOurs, claim_sample

from . import config as C
from .runner import (
    CREATOR,
    default_truth_dir,
    existing_sample_format,
    existing_sample_tier,
    generate,
    land_next_day,
)


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
        "--format",
        choices=C.EVENT_FORMATS,
        default="contract",
        help="tracking format of the events (docs/event-formats.md); the other sources do not change",
    )
    ap.add_argument(
        "--land-next-day",
        action="store_true",
        help="land one more day after the newest dt= partition, continuing the same sample",
    )
    ap.add_argument(
        "--keep-existing",
        action="store_true",
        help="do nothing when --out already holds a generated sample of this --tier and --format (make data)",
    )
    args = ap.parse_args(argv)
    if not args.land_next_day and not args.tier:
        ap.error("--tier is required unless --land-next-day is given")
    try:
        if args.land_next_day:
            land_next_day(args.out, args.truth)
        elif (
            args.keep_existing
            and existing_sample_tier(args.out, args.truth) == args.tier
            and existing_sample_format(args.out, args.truth) == args.format
        ):
            claim_sample(
                args.out, args.truth or default_truth_dir(args.out), creator=CREATOR
            )  # an old one gets its marker
            print(
                f"Sample data ({args.tier}, {args.format} events) already in {args.out}; "
                "'make clean-data' to regenerate."
            )
        else:
            generate(args.tier, args.seed, args.out, args.truth, args.end_date, args.days, events_format=args.format)
    except NotOurs as refused:
        truth = args.truth or default_truth_dir(args.out)
        print(
            f"{refused}\nThe sample data goes into --out {args.out} and --truth {truth}: choose new or "
            "empty folders (USER_ASSETS_RAW_DIR for make data). To build on files of your own instead, "
            "point USER_ASSETS_RAW_DIR at them and run `make build`.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

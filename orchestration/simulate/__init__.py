"""Sample-data simulator: writes the raw landing contract (SPEC section 2) and a ground truth.

    python -m orchestration.simulate --tier tiny --out data/raw --seed 42
    python -m orchestration.simulate --land-next-day --out data/raw
    python -m orchestration.simulate --tier tiny --out data/raw --format sensors   # or segment, table

See config.py for every rate, model.py for the behaviour and writer.py for the files;
event_formats.py writes the events in the other tracking formats (docs/event-formats.md).
"""

from .runner import default_truth_dir, generate, land_next_day

__all__ = ["default_truth_dir", "generate", "land_next_day"]

"""Sample-data simulator: writes the raw landing contract (SPEC section 2) plus a ground truth."""

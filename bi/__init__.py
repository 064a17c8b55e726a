"""Apache Superset over the serving copy: `make bi` (docs/bi.md)."""

"""Great Expectations suites (defined in code, one module per subject) and their runner.

dbt tests own keys, relationships and accepted values; these suites own distributions, volumes
and cross-table business rules. Each expectation is `critical` (blocks: the Dagster check fails
and what depends on the asset does not run) or `warning` (recorded)."""

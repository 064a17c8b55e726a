{{ config(severity='warn') }}
-- Warns with the number of values that the data holds but a reference seed does not list
-- (fct_unlisted_reference_values names each with its source column and row count). A warning,
-- never an error: an unlisted value flows through under its own code.
select
    reference_seed,
    source_model,
    source_column,
    unlisted_value,
    row_count
from {{ ref('fct_unlisted_reference_values') }}

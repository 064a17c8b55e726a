{{ config(materialized=run_history_materialization()) }}

-- One row per data asset per build: its three scores, their components and value tier, kept as
-- history. The on-run-end hook appends the rows of `int_data_asset_scores` after every
-- `dbt build` or `dbt run`.
{%- set names = data_asset_score_columns() | map(attribute=0) | list %}
with

score_history as (

    select * from {{ source('dbt_audit', 'data_asset_scores') }}

)

select
    invocation_id,
    scored_at,
    {{ names | join(',\n    ') }}
from score_history

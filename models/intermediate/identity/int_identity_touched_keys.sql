-- One row per identifier whose aggregates the current incremental run of int_identity_node_history
-- recomputes: those with a record in the partitions the lines models may have rewritten since the
-- history was built, or every identifier when the others' records changed too (their fingerprint
-- differs from the one the history holds: then the history is rebuilt whole, its identifiers
-- without a record left included so they are deleted). Empty on a full build and on Spark, where
-- the history is built whole (macros/incremental/identity_aggregates.sql).
{%- set history = identity_held_history() %}
{%- set recompute = identity_touch_plan(history) %}

with

record_identifiers as (

    select * from {{ ref('int_identity_record_identifiers') }}

),

touched as (

    select distinct identifier_key from record_identifiers
    where {{ identity_touched_condition(recompute) }}

),

held as (

    {{ identity_held_keys_to_recompute(history, recompute) }}

),

final as (

    select identifier_key from touched
    union
    select identifier_key from held

)

select * from final

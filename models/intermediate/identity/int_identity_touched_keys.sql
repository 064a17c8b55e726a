-- One row per identifier whose aggregates the current incremental run of int_identity_node_history
-- recomputes: those with an event record in a partition rewritten since the history was built
-- (every identifier when the staged identifiers were rebuilt whole), the held ones with a record
-- there, and those whose order or CRM records changed. Empty on a full build and on Spark, where
-- the history is built whole (macros/incremental/identity_aggregates.sql).
{%- set history = identity_held_history() %}
{%- set plan = identity_touch_plan(history) %}

with

record_identifiers as (

    select * from {{ ref('int_identity_record_identifiers') }}

),

touched as (

    select distinct identifier_key from record_identifiers
    where {{ identity_touched_condition(plan) }}

),

held as (

    {{ identity_held_keys_to_recompute(history, plan) }}

),

order_crm_changed as (

    {{ identity_order_crm_keys_changed(history) }}

),

final as (

    select identifier_key from touched
    union
    select identifier_key from held
    union
    select identifier_key from order_crm_changed

)

select * from final

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_identity_pairs_to_recompute() }}",
    )
}}
-- One row per pair of identifiers seen together in at least one accepted record (event, order
-- or CRM change), with when and how often, per source. An incremental run recomputes only the
-- pairs with an end refreshed in int_identity_node_history since, and keeps the others
-- (macros/incremental/identity_aggregates.sql).
with

record_identifiers as (

    select * from {{ ref('int_identity_record_identifiers') }}
    where {{ identity_records_to_recompute() }}

),

record_nodes as (

    select
        record_source,
        record_id,
        seen_at,
        {{ identity_node_id('identifier_key') }} as node_id
    from record_identifiers

),

pairs as (

    select
        a.node_id as node_a,
        b.node_id as node_b,
        a.record_source,
        a.seen_at
    from record_nodes as a
    inner join record_nodes as b
        on
            a.record_source = b.record_source
            and a.record_id = b.record_id
            and a.node_id < b.node_id

),

aggregated as (

    select
        node_a,
        node_b,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at,
        count(*) as record_count,
        count(*) filter (where record_source = 'event') as event_count,
        count(*) filter (where record_source = 'order') as order_count,
        count(*) filter (where record_source = 'crm') as crm_count,
        current_timestamp as refreshed_at
    from pairs
    where {{ identity_pairs_to_recompute('node_a', 'node_b') }}
    group by 1, 2

)

select * from aggregated

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_identity_keys_to_recompute() }}",
    )
}}
-- One row per identifier seen in an accepted record: the graph's node before any rule, with a
-- stable node id (from the key alone), when it was first and last seen, in how many records, and
-- the count and fingerprint of its order and CRM records. An incremental run re-aggregates only the identifiers listed
-- in int_identity_touched_keys and keeps the others (macros/incremental/identity_aggregates.sql).
with

record_identifiers as (

    select * from {{ ref('int_identity_record_identifiers') }}
    where {{ identity_keys_to_recompute('identifier_key') }}

),

aggregated as (

    select
        {{ identity_node_id('identifier_key') }} as node_id,
        identifier_key,
        min(identifier_type) as identifier_type,
        min(identifier_value) as identifier_value,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at,
        count(*) as record_count,
        max(partition_date) as last_partition_date,
        count(*) filter (where record_source != 'event') as order_crm_record_count,
        {{ identity_records_fingerprint() }} filter (where record_source != 'event')
            as order_crm_fingerprint,
        current_timestamp as refreshed_at
    from record_identifiers
    group by identifier_key

)

select * from aggregated

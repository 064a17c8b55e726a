-- One row per pair of identifiers seen together in at least one accepted record (event, order
-- or CRM change), with when and how often, per source.
with

record_identifiers as (

    select * from {{ ref('int_identity_record_identifiers') }}

),

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

record_nodes as (

    select
        record_identifiers.record_source,
        record_identifiers.record_id,
        record_identifiers.seen_at,
        nodes.node_id
    from record_identifiers
    inner join nodes on record_identifiers.identifier_key = nodes.identifier_key

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
        count(*) filter (where record_source = 'crm') as crm_count
    from pairs
    group by 1, 2

)

select * from aggregated

with

edges as (

    select * from {{ ref('int_identity_edges_guarded') }}
    where quarantine_reason is not null

),

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

erased_nodes as (

    select * from {{ ref('int_identity_erased_nodes') }}

),

final as (

    select
        node_a.identifier_key as identifier_key_a,
        node_b.identifier_key as identifier_key_b,
        edges.type_a as identifier_type_a,
        edges.type_b as identifier_type_b,
        edges.quarantine_reason,
        edges.quarantine_detail,
        edges.record_count,
        edges.first_seen_at,
        edges.last_seen_at
    from edges
    inner join nodes as node_a on edges.node_a = node_a.node_id
    inner join nodes as node_b on edges.node_b = node_b.node_id
    where
        edges.node_a not in (select erased_nodes.node_id from erased_nodes)
        and edges.node_b not in (select erased_nodes.node_id from erased_nodes)

)

select * from final

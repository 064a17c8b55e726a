-- One row per identifier that belongs to a person, with the person's stable one_id.
--
-- The one_id rule: every component of the guarded graph is a person, anchored on its identifier
-- seen first (earliest first_seen_at; ties go to the higher-priority type in
-- identifier_type_priority, then to the smaller key). one_id is a hash of the anchor's key, so it
-- is a function of the data alone: rebuilds give the same ids, a person who gains a new
-- identifier keeps theirs (the newcomer was seen later), and when two persons merge the one whose
-- earliest identifier was seen first survives. Blocked identifiers (test numbers) belong to no
-- person, and persons named by an erasure request are left out.
with

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

components as (

    select * from {{ ref('int_identity_components') }}

),

erased_nodes as (

    select * from {{ ref('int_identity_erased_nodes') }}

),

candidates as (

    select
        nodes.*,
        components.component_id
    from nodes
    inner join components on nodes.node_id = components.node_id
    where
        not nodes.is_blocked
        and nodes.node_id not in (select erased_nodes.node_id from erased_nodes)

),

anchored as (

    select
        *,
        first_value(identifier_key) over (
            partition by component_id
            order by first_seen_at, type_priority, identifier_key
        ) as anchor_key
    from candidates

),

final as (

    select
        'p_' || left({{ sha256_hex("'one_id:' || anchor_key") }}, 20) as one_id,
        node_id,
        identifier_key,
        identifier_type,
        identifier_value,
        type_priority,
        identifier_key = anchor_key as is_anchor,
        first_seen_at,
        last_seen_at,
        record_count
    from anchored

)

select * from final

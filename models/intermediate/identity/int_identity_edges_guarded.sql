-- One row per identity edge with the guards' verdict: an edge is used for merging only when
-- neither end is blocked and neither end breaks a link limit towards the other end's type
-- (seeds identity_blocklist and identity_link_limits). The others are quarantined with a reason.
with

edges as (

    select * from {{ ref('int_identity_edges_unioned') }}

),

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

link_limits as (

    select * from {{ ref('identity_link_limits') }}

),

typed_edges as (

    select
        edges.*,
        node_a.identifier_type as type_a,
        node_b.identifier_type as type_b,
        node_a.is_blocked or node_b.is_blocked as touches_blocked
    from edges
    inner join nodes as node_a on edges.node_a = node_a.node_id
    inner join nodes as node_b on edges.node_b = node_b.node_id

),

directed as (

    select
        node_a as node_id,
        type_a as identifier_type,
        type_b as linked_type
    from typed_edges
    union all
    select
        node_b as node_id,
        type_b as identifier_type,
        type_a as linked_type
    from typed_edges

),

degrees as (

    -- Links per node towards each type, plus '*' for all types together.
    select
        node_id,
        identifier_type,
        linked_type,
        count(*) as linked_count
    from directed
    group by 1, 2, 3

    union all

    select
        node_id,
        identifier_type,
        '*' as linked_type,
        count(*) as linked_count
    from directed
    group by 1, 2

),

broken_limits as (

    -- Node × linked type where the node links more identifiers of that type than allowed: the
    -- node is shared (a family tablet, a store's demo phone, a test number). With scope `all`
    -- none of the node's edges merge (linked_type becomes '*'); with `linked_type` only its
    -- edges to that type are held back.
    select
        degrees.node_id,
        case
            when link_limits.quarantine_scope = 'all' then '*'
            else degrees.linked_type
        end as linked_type,
        min(
            degrees.identifier_type || ' linked to ' || degrees.linked_count || ' '
            || replace(degrees.linked_type, '*', 'identifiers') || ' (limit '
            || link_limits.max_linked || ')'
        ) as detail
    from degrees
    inner join link_limits
        on
            (
                degrees.identifier_type = link_limits.identifier_type
                or link_limits.identifier_type = '*'
            )
            and degrees.linked_type = link_limits.linked_type
            and degrees.linked_count > link_limits.max_linked
    group by 1, 2

),

judged as (

    select
        typed_edges.*,
        coalesce(a_typed.detail, a_any.detail, b_typed.detail, b_any.detail) as limit_detail
    from typed_edges
    left join broken_limits as a_typed
        on typed_edges.node_a = a_typed.node_id and typed_edges.type_b = a_typed.linked_type
    left join broken_limits as a_any
        on typed_edges.node_a = a_any.node_id and a_any.linked_type = '*'
    left join broken_limits as b_typed
        on typed_edges.node_b = b_typed.node_id and typed_edges.type_a = b_typed.linked_type
    left join broken_limits as b_any
        on typed_edges.node_b = b_any.node_id and b_any.linked_type = '*'

),

final as (

    select
        node_a,
        node_b,
        type_a,
        type_b,
        first_seen_at,
        last_seen_at,
        record_count,
        event_count,
        order_count,
        crm_count,
        case
            when touches_blocked then 'blocked_identifier'
            when limit_detail is not null then 'shared_identifier'
        end as quarantine_reason,
        case
            when touches_blocked then 'an end is on the identity blocklist'
            else limit_detail
        end as quarantine_detail
    from judged

)

select * from final

-- One row per identifier: the graph's nodes (int_identity_node_history, kept incrementally) with
-- the type priority and the blocklist verdict, applied on every run so a seed change applies to
-- every node.
with

node_history as (

    select * from {{ ref('int_identity_node_history') }}

),

blocklist as (

    select * from {{ ref('identity_blocklist') }}

),

type_priority as (

    select * from {{ ref('identifier_type_priority') }}

),

blocked_keys as (

    -- Exact blocked values are hashed like any identifier, so they match phones and e-mails
    -- whose raw values never leave staging.
    select
        {{ hash_identifier('identifier_type', normalize_identifier('identifier_type', 'pattern')) }}
            as identifier_key,
        min(reason) as block_reason
    from blocklist
    where match_type = 'exact'
    group by 1

),

aggregated as (

    select
        node_id,
        identifier_key,
        identifier_type,
        identifier_value,
        first_seen_at,
        last_seen_at,
        record_count
    from node_history

),

with_verdicts as (

    select
        aggregated.*,
        coalesce(
            blocked_keys.block_reason,
            {{ blocklist_pattern_reason(
                ref('identity_blocklist'), 'aggregated.identifier_type', 'aggregated.identifier_value'
            ) }}
        ) as block_reason
    from aggregated
    left join blocked_keys on aggregated.identifier_key = blocked_keys.identifier_key

),

final as (

    select
        with_verdicts.node_id,
        with_verdicts.identifier_key,
        with_verdicts.identifier_type,
        with_verdicts.identifier_value,
        type_priority.priority as type_priority,
        with_verdicts.first_seen_at,
        with_verdicts.last_seen_at,
        with_verdicts.record_count,
        with_verdicts.block_reason,
        with_verdicts.block_reason is not null as is_blocked
    from with_verdicts
    left join type_priority on with_verdicts.identifier_type = type_priority.identifier_type

)

select * from final

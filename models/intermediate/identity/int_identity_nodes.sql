-- One row per identifier: the graph's nodes, with a dense integer id for fast joins (ordered by
-- key, so the same data always gives the same ids) and the blocklist verdict.
with

record_identifiers as (

    select * from {{ ref('int_identity_record_identifiers') }}

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
        identifier_key,
        min(identifier_type) as identifier_type,
        min(identifier_value) as identifier_value,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at,
        count(*) as record_count
    from record_identifiers
    group by 1

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
        row_number() over (order by with_verdicts.identifier_key) as node_id,
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

with

persons as (

    select
        one_id,
        count(*) as identifier_count,
        count(*) filter (where identifier_type = 'account_id') as account_id_count
    from {{ ref('int_identity_persons_assigned') }}
    group by 1

),

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

edges as (

    select * from {{ ref('int_identity_edges_guarded') }}

),

events as (

    select * from {{ ref('fct_events') }}

),

erased_nodes as (

    select * from {{ ref('int_identity_erased_nodes') }}

),

size_histogram as (

    select
        'component_size' as metric_group,
        case
            when identifier_count <= 5 then lpad(cast(identifier_count as string), 2, '0')
            when identifier_count <= 10 then '06-10'
            when identifier_count <= 50 then '11-50'
            else '51+'
        end as metric,
        count(*) as metric_value
    from persons
    group by 1, 2

),

largest_components as (

    select
        'largest_component' as metric_group,
        one_id as metric,
        identifier_count as metric_value
    from persons
    order by 3 desc, 2 asc
    limit 10

),

quarantine_by_reason as (

    select
        'quarantined_edges' as metric_group,
        quarantine_reason as metric,
        count(*) as metric_value
    from edges
    where quarantine_reason is not null
    group by 1, 2

),

totals as (

    select
        'total' as metric_group,
        'identifiers' as metric,
        count(*) as metric_value
    from nodes

    union all

    select
        'total' as metric_group,
        'blocked_identifiers' as metric,
        count(*) as metric_value
    from nodes
    where is_blocked

    union all

    select
        'total' as metric_group,
        'edges' as metric,
        count(*) as metric_value
    from edges

    union all

    select
        'total' as metric_group,
        'merging_edges' as metric,
        count(*) as metric_value
    from edges
    where quarantine_reason is null

    union all

    select
        'total' as metric_group,
        'persons' as metric,
        count(*) as metric_value
    from persons

    union all

    select
        'total' as metric_group,
        'persons_with_several_accounts' as metric,
        count(*) as metric_value
    from persons
    where account_id_count > 1

    union all

    select
        'total' as metric_group,
        'erased_identifiers' as metric,
        count(*) as metric_value
    from erased_nodes

    union all

    select
        'total' as metric_group,
        'events' as metric,
        count(*) as metric_value
    from events

    union all

    select
        'total' as metric_group,
        'unresolved_events' as metric,
        count(*) as metric_value
    from events
    where one_id is null

),

final as (

    select * from size_histogram
    union all
    select * from largest_components
    union all
    select * from quarantine_by_reason
    union all
    select * from totals

)

select * from final

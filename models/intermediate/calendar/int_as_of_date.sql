-- One row: the as-of date every person-level mart is computed for, from `var('as_of')` when it is
-- set, else the last landed day of the events (the latest `dt=` partition with an accepted event);
-- a data set without events (orders only) takes the last landed day of its order updates.
with

events as (

    select * from {{ ref('stg_tracking__events') }}

),

order_updates as (

    select * from {{ ref('stg_oms__order_updates') }}

),

last_landed_day as (

    select
        coalesce(
            (select max(events.partition_date) from events),
            (select max(order_updates.partition_date) from order_updates)
        ) as last_partition_date

),

final as (

    select
        {% if var('as_of', none) -%}
            cast('{{ var("as_of") }}' as date) as as_of_date,
            'var' as as_of_source,
        {%- else -%}
            last_partition_date as as_of_date,
            'last_landed_day' as as_of_source,
        {%- endif %}
        last_partition_date
    from last_landed_day

)

select
    as_of_date,
    as_of_source,
    last_partition_date,
    cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as timestamp) as as_of_end_at
from final

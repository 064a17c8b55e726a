-- One row: the as-of date every person-level mart is computed for, from `var('as_of')` when it is
-- set, else the last landed day of the events (the latest `dt=` partition with an accepted event).
with

events as (

    select * from {{ ref('stg_tracking__events') }}

),

last_landed_day as (

    select max(partition_date) as last_partition_date
    from events

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

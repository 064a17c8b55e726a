-- One row per complete period (`var('period_grain')`: week, Monday to Sunday, or month) that ends
-- on or before the as-of date and starts no earlier than the week or month of the first event
-- (the first order when there are no events).
-- RFM snapshots and lifecycle stages are taken at each period's end.
{%- set grain = var('period_grain') %}
{%- if grain not in ['week', 'month'] %}
    {{ exceptions.raise_compiler_error(
        "var('period_grain') is '" ~ grain ~ "': set it to 'week' or 'month' in dbt_project.yml or --vars"
    ) }}
{%- endif %}

with

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

events as (

    select * from {{ ref('stg_tracking__events') }}

),

orders as (

    select * from {{ ref('stg_oms__orders') }}

),

bounds as (

    -- From the first event (or, in a data set without events, the first order).
    select
        {{ period_start(
            'coalesce((select min(events.event_date) from events),'
            ~ ' (select min(orders.order_date) from orders))'
        ) }} as first_period_start,
        as_of.as_of_date
    from as_of

),

starts as (

    select
        {{ date_series(
            'first_period_start', 'as_of_date', 'interval 1 ' ~ grain
        ) }} as period_start,
        as_of_date
    from bounds

),

final as (

    select
        period_start,
        cast(period_start + interval 1 {{ grain }} - interval 1 day as date) as period_end,
        cast(period_start as timestamp) as period_start_at,
        cast(period_start + interval 1 {{ grain }} as timestamp) as period_end_at
    from starts
    where period_start + interval 1 {{ grain }} - interval 1 day <= as_of_date

)

select * from final

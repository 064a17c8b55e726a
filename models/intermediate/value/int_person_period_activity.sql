{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='one_id',
        on_schema_change='fail',
        post_hook="{{ delete_persons_missing_from(
            ref('int_person_events_as_of'), 'source_rows.event_at < ' ~ last_period_end()
        ) }}",
    )
}}
-- One row per person × period from the period of the person's first event to the last period:
-- the last event and the first event up to the period's end, and the net GMV of the period
-- (orders paid in the period and not refunded or cancelled by its end).
--
-- Incremental, per person: a person's rows depend only on the periods and on their events and
-- paid orders before the last period's end. Each row keeps the fingerprint of those inputs and
-- of the periods (input_fingerprint); a run rebuilds the persons whose inputs now have another
-- one (changed_persons()), so a day that completes no period rebuilds only the persons with late
-- data or another identity, and a day that completes one rebuilds everyone. Persons with paid
-- orders and no event have no row, so every run looks at them again (and builds nothing).
{%- set input_rows -%}
    (
        select
            one_id,
            'event' as input_kind,
            event_at as input_at,
            cast(null as timestamp) as closed_at,
            cast(null as decimal(18, 2)) as order_amount
        from {{ ref('int_person_events_as_of') }}
        where event_at < {{ last_period_end() }}
        union all
        select
            one_id,
            'paid_order' as input_kind,
            paid_at as input_at,
            closed_at,
            order_amount
        from {{ ref('int_orders_resolved_to_persons') }}
        where one_id is not null and is_paid and paid_at < {{ last_period_end() }}
    ) as input_rows
{%- endset %}
{%- set input_columns = [
    'one_id', 'input_kind', 'input_at', 'closed_at', 'order_amount',
    '(select hash(count(*), min(period_start), max(period_end)) from ' ~ ref('int_periods') ~ ')'
] %}
with

periods as (

    select * from {{ ref('int_periods') }}

),

input_fingerprints as (

    {% if is_incremental() -%}
        {{ changed_persons(input_rows, this, input_columns, stored=true) }}
    {%- else -%}
        {{ person_fingerprints(input_rows, input_columns) }}
    {%- endif %}

),

events as (

    select
        one_id,
        event_at
    from {{ ref('int_person_events_as_of') }}
    {%- if is_incremental() %}
        where one_id in (select input_fingerprints.one_id from input_fingerprints)
    {%- endif %}

),

orders as (

    select * from {{ ref('int_orders_resolved_to_persons') }}
    where one_id is not null
        and is_paid
    {%- if is_incremental() %}
        and one_id in (select input_fingerprints.one_id from input_fingerprints)
    {%- endif %}

),

events_per_period as (

    select
        events.one_id,
        periods.period_end,
        min(events.event_at) as first_event_at,
        max(events.event_at) as last_event_at,
        count(*) as event_count
    from events
    inner join periods
        on {{ period_start('events.event_at') }} = periods.period_start
    group by 1, 2

),

first_periods as (

    select
        one_id,
        min(period_end) as first_period_end,
        min(first_event_at) as first_event_at
    from events_per_period
    group by 1

),

spine as (

    select
        first_periods.one_id,
        first_periods.first_event_at,
        periods.period_end,
        periods.period_start_at,
        periods.period_end_at
    from first_periods
    inner join periods on first_periods.first_period_end <= periods.period_end

),

paid_per_period as (

    select
        orders.one_id,
        periods.period_end,
        count(*) as paid_order_count,
        sum(
            case
                when
                    coalesce(orders.closed_at >= periods.period_end_at, true)
                    then orders.order_amount
                else 0
            end
        )
            as period_gmv
    from orders
    inner join periods
        on {{ period_start('orders.paid_at') }} = periods.period_start
    group by 1, 2

),

final as (

    select
        spine.one_id,
        spine.period_end,
        spine.first_event_at,
        max(events_per_period.last_event_at) over (
            partition by spine.one_id order by spine.period_end rows unbounded preceding
        ) as last_event_at,
        coalesce(events_per_period.event_count, 0) as event_count,
        coalesce(paid_per_period.paid_order_count, 0) as paid_order_count,
        sum(coalesce(paid_per_period.paid_order_count, 0)) over (
            partition by spine.one_id order by spine.period_end rows unbounded preceding
        ) as paid_orders_to_date,
        cast(coalesce(paid_per_period.period_gmv, 0) as decimal(18, 2)) as period_gmv,
        input_fingerprints.input_fingerprint
    from spine
    inner join input_fingerprints on spine.one_id = input_fingerprints.one_id
    left join events_per_period
        on spine.one_id = events_per_period.one_id
            and spine.period_end = events_per_period.period_end
    left join paid_per_period
        on spine.one_id = paid_per_period.one_id
            and spine.period_end = paid_per_period.period_end

)

select * from final

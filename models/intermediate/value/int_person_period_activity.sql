{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='person_periods',
        on_schema_change='fail',
        pre_hook=[
            "{{ record_person_writes() }}",
            "{{ delete_persons_missing_from(
                ref('int_person_events_as_of'), 'source_rows.event_at < ' ~ held_period_end_at()
            ) }}",
        ],
        post_hook="{{ keep_fingerprints_on_last_period() }}",
    )
}}
-- One row per person × period from the period of the person's first event to the last period:
-- the last event and the first event up to the period's end, and the net GMV of the period
-- (orders paid in the period and not refunded or cancelled by its end).
--
-- Incremental, per person (macros/incremental/person_periods.sql): a person's rows depend only on
-- the periods and on their events and paid orders before the last period's end. The row of the
-- last period keeps the fingerprint of those inputs and of the periods (input_fingerprint). A run
-- rebuilds the persons whose inputs up to the held period (the table's last) now have another
-- fingerprint, new persons included; when periods completed since, it adds their rows for
-- everyone else, carried on from the held row (first and last event, payments to date). So a
-- day that completes no period rebuilds only the persons with late data or another identity,
-- and a day that completes one adds a row per person. Persons with paid orders and no event have
-- no row, so every run looks at them again (and builds nothing). It logs the persons it rebuilt
-- or deleted, for the lifecycle (macros/incremental/person_writes.sql).
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
{%- set input_columns = ['one_id', 'input_kind', 'input_at', 'closed_at', 'order_amount'] %}
{%- set periods_hash = 'hash(count(*), min(period_start), max(period_end))' %}
with

periods as (

    select * from {{ ref('int_periods') }}

),

{% if is_incremental() %}
held_rows as (

    -- Each person's row of the held period: what an unchanged person's new rows carry on from.
    select
        one_id,
        first_event_at,
        last_event_at,
        paid_orders_to_date,
        input_fingerprint
    from {{ this }}
    where period_end = {{ held_period_end() }}

),

source_fingerprints as (

    select
        one_id,
        hash(
            {{ person_fingerprint(input_columns, 'input_at < ' ~ held_period_end_at()) }},
            (select {{ periods_hash }} from periods where period_end <= {{ held_period_end() }})
        ) as held_fingerprint,
        hash(
            {{ person_fingerprint(input_columns) }}, (select {{ periods_hash }} from periods)
        ) as input_fingerprint
    from {{ input_rows }}
    group by one_id

),

{% endif %}
input_fingerprints as (

    {% if is_incremental() -%}
        -- The persons this run writes: rebuilt whole (carries_held false) when their inputs up to
        -- the held period changed or they are new, or given the rows of the periods completed
        -- since, carried on from their held row.
        select
            source_fingerprints.one_id,
            source_fingerprints.input_fingerprint,
            coalesce(source_fingerprints.held_fingerprint = held_rows.input_fingerprint, false)
                as carries_held
        from source_fingerprints
        left join held_rows on source_fingerprints.one_id = held_rows.one_id
        where
            not coalesce(source_fingerprints.held_fingerprint = held_rows.input_fingerprint, false)
            or (select max(periods.period_end) from periods) > {{ held_period_end() }}
    {%- else -%}
        select
            one_id,
            hash(
                {{ person_fingerprint(input_columns) }}, (select {{ periods_hash }} from periods)
            ) as input_fingerprint,
            false as carries_held
        from {{ input_rows }}
        group by one_id
    {%- endif %}

),

events as (

    select
        events.one_id,
        events.event_at
    from {{ ref('int_person_events_as_of') }} as events
    {%- if is_incremental() %}
        inner join input_fingerprints on events.one_id = input_fingerprints.one_id
        where
            not input_fingerprints.carries_held
            or events.event_at >= {{ held_period_end_at() }}
    {%- endif %}

),

orders as (

    select orders.*
    from {{ ref('int_orders_resolved_to_persons') }} as orders
    {%- if is_incremental() %}
        inner join input_fingerprints on orders.one_id = input_fingerprints.one_id
    {%- endif %}
    where
        orders.one_id is not null
        and orders.is_paid
    {%- if is_incremental() %}
        and (
            not input_fingerprints.carries_held
            or orders.paid_at >= {{ held_period_end_at() }}
        )
    {%- endif %}

),

{% if is_incremental() %}
carried as (

    select
        held_rows.one_id,
        {{ held_period_end() }} as period_end,
        held_rows.first_event_at,
        held_rows.last_event_at,
        held_rows.paid_orders_to_date
    from held_rows
    inner join input_fingerprints on held_rows.one_id = input_fingerprints.one_id
    where input_fingerprints.carries_held

),

{% endif %}

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
    group by events.one_id, periods.period_end

),

first_periods as (

    select
        one_id,
        min(period_end) as first_period_end,
        min(first_event_at) as first_event_at
    from (
        select
            one_id,
            period_end,
            first_event_at
        from events_per_period
        {%- if is_incremental() %}
            union all
            select
                one_id,
                period_end,
                first_event_at
            from carried
        {%- endif %}
    ) as first_events
    group by one_id

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
    group by orders.one_id, periods.period_end

),

rows_with_held as (

    select
        spine.one_id,
        spine.period_end,
        spine.first_event_at,
        max(
            {%- if is_incremental() %}
                coalesce(events_per_period.last_event_at, carried.last_event_at)
            {%- else %}
                events_per_period.last_event_at
            {%- endif %}
        ) over person_periods as last_event_at,
        coalesce(events_per_period.event_count, 0) as event_count,
        coalesce(paid_per_period.paid_order_count, 0) as paid_order_count,
        sum(
            coalesce(paid_per_period.paid_order_count, 0)
            {%- if is_incremental() %}
                + coalesce(carried.paid_orders_to_date, 0)
            {%- endif %}
        ) over person_periods as paid_orders_to_date,
        cast(coalesce(paid_per_period.period_gmv, 0) as decimal(18, 2)) as period_gmv,
        -- Kept on the last period's row only: the row the next run compares.
        case
            when spine.period_end = (select max(periods.period_end) from periods)
                then input_fingerprints.input_fingerprint
        end as input_fingerprint,
        {%- if is_incremental() %}
            carried.one_id is not null as is_carried
        {%- else %}
            false as is_carried
        {%- endif %}
    from spine
    inner join input_fingerprints on spine.one_id = input_fingerprints.one_id
    left join events_per_period
        on spine.one_id = events_per_period.one_id
            and spine.period_end = events_per_period.period_end
    left join paid_per_period
        on spine.one_id = paid_per_period.one_id
            and spine.period_end = paid_per_period.period_end
    {%- if is_incremental() %}
        left join carried
            on spine.one_id = carried.one_id
                and spine.period_end = carried.period_end
    {%- endif %}
    window person_periods as (
        partition by spine.one_id order by spine.period_end rows unbounded preceding
    )

),

final as (

    -- Without the held rows an unchanged person's new rows were carried on from.
    select
        one_id,
        period_end,
        first_event_at,
        last_event_at,
        event_count,
        paid_order_count,
        paid_orders_to_date,
        period_gmv,
        input_fingerprint,
        '{{ invocation_id }}' as dbt_invocation_id
    from rows_with_held
    where not is_carried

)

select * from final

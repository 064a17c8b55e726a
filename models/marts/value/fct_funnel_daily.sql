-- Purchase funnel product_view → add_to_cart → checkout → pay_order per UTC day and channel of
-- the view. A person enters on a day with their first product view of that day (its channel is
-- the funnel's channel); a step counts when it happens after the previous step and within
-- `var('funnel_window_hours')` hours of that view, on any channel.
{%- set steps = ['product_view', 'add_to_cart', 'checkout', 'pay_order'] %}

with

events as (

    select * from {{ ref('int_person_events_as_of') }}
    where event_name in ({{ quoted_list(steps) }})

),

entries as (

    select
        one_id,
        event_date as funnel_date,
        min(event_at) as product_view_at,
        min_by(channel, event_at) as channel
    from events
    where event_name = 'product_view'
    group by 1, 2

),

{% for step in steps[1:] %}
    {%- set previous = steps[loop.index0] %}
    reached_{{ step }} as (

        select
            reached.*,
            min(events.event_at) as {{ step }}_at
        from {{ 'entries' if loop.first else 'reached_' ~ previous }} as reached
        left join events
            on reached.one_id = events.one_id
                and events.event_name = '{{ step }}'
                and reached.{{ previous }}_at <= events.event_at
                and reached.product_view_at + interval {{ var('funnel_window_hours') }} hour
                > events.event_at
        group by all

    ),

{% endfor %}

per_step as (

    {% for step in steps %}
        select
            funnel_date,
            channel,
            {{ loop.index }} as step_number,
            '{{ step }}' as step_name,
            count({{ step }}_at) as person_count
        from reached_{{ steps[-1] }}
        group by 1, 2
        {%- if not loop.last %}
            union all
        {%- endif %}
    {% endfor %}

),

rated as (

    select
        *,
        lag(person_count)
            over (partition by funnel_date, channel order by step_number)
            as previous_step_count,
        first_value(person_count) over (partition by funnel_date, channel order by step_number)
            as entry_count
    from per_step

),

final as (

    select
        funnel_date,
        channel,
        step_number,
        step_name,
        person_count,
        cast(
            case when previous_step_count > 0 then person_count / previous_step_count end as double
        )
            as step_conversion_rate,
        cast(case when entry_count > 0 then person_count / entry_count end as double)
            as overall_conversion_rate,
        -- The step that loses the largest share of the previous step's persons (ties: the earlier step).
        step_number > 1 and step_number = first_value(step_number) over (
            partition by funnel_date, channel
            order by
                case when step_number > 1 and previous_step_count > 0
                        then 1 - person_count / previous_step_count
                end desc nulls last,
                step_number
        ) as is_largest_drop_off
    from rated

)

select * from final

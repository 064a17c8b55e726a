{#- One row per person × tag × as-of: the tags of macros/persons/person_tags.sql, each a SQL
    expression over `facts` below. To add a tag, add it there and to the tag_registry seed. -#}
{%- set tags = person_tags() %}

with

persons as (

    select * from {{ ref('dim_persons') }}

),

facts as (

    select
        *,
        {{ calendar_days_between(
            "cast(first_event_at as date)", "as_of_date"
        ) }} as days_since_first_event,
        case
            when paid_order_count >= 2
                then {{ days_between('first_paid_at', 'last_paid_at') }} / (paid_order_count - 1)
        end as average_order_gap_days,
        case
            when net_gmv > 0 then percent_rank() over (partition by net_gmv > 0 order by net_gmv)
        end as buyer_gmv_percent_rank
    from persons

),

tagged as (

    {% for tag_code, expression in tags.items() %}
        select
            one_id,
            '{{ tag_code }}' as tag_code,
            cast(({{ expression }}) as {{ dbt.type_string() }}) as tag_value,
            as_of_date
        from facts
        {%- if not loop.last %}
            union all
        {%- endif %}
    {% endfor %}

),

registry as (

    select * from {{ ref('tag_registry') }}

),

final as (

    select
        tagged.one_id,
        tagged.tag_code,
        tagged.as_of_date,
        tagged.tag_value,
        registry.category as tag_category,
        registry.kind as tag_kind
    from tagged
    left join registry on tagged.tag_code = registry.tag_code
    where tagged.tag_value is not null

)

select * from final

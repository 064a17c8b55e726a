{%- set method = var('rfm_cut_method') %}
{%- if method not in ['mean', 'median', 'fixed'] %}
    {{ exceptions.raise_compiler_error(
        "var('rfm_cut_method') is '" ~ method ~ "': set it to mean, median or fixed (with rfm_fixed_cuts)"
    ) }}
{%- endif %}

with

periods as (

    select * from {{ ref('int_periods') }}

),

measures as (

    select * from {{ ref('int_rfm_measures') }}

),

per_snapshot as (

    select
        periods.period_end as snapshot_date,
        count(measures.one_id) as buyer_count,
        {% if method == 'fixed' -%}
            cast({{ var('rfm_fixed_cuts')['recency_days'] }} as double) as recency_cut,
            cast({{ var('rfm_fixed_cuts')['frequency'] }} as double) as frequency_cut,
            cast({{ var('rfm_fixed_cuts')['monetary'] }} as double) as monetary_cut
        {%- else -%}
            cast({{ method }}(measures.recency_days) as double) as recency_cut,
            cast({{ method }}(measures.frequency) as double) as frequency_cut,
            cast({{ method }}(measures.monetary) as double) as monetary_cut
        {%- endif %}
    from periods
    left join measures on periods.period_end = measures.snapshot_date
    group by periods.period_end

),

final as (

    select
        snapshot_date,
        '{{ method }}' as cut_method,
        {{ var('rfm_window_days') }} as window_days,
        buyer_count,
        recency_cut,
        frequency_cut,
        monetary_cut
    from per_snapshot

)

select * from final

with

snapshots as (

    select * from {{ ref('fct_rfm_snapshots') }}

),

final as (

    select
        snapshot_date,
        rfm_class,
        any_value(rfm_class_name_zh) as rfm_class_name_zh,
        any_value(rfm_class_name_en) as rfm_class_name_en,
        count(*) as person_count,
        cast(round(count(*) / sum(count(*)) over (partition by snapshot_date), 6) as double)
            as person_share,
        cast(sum(monetary) as decimal(18, 2)) as monetary_in_window
    from snapshots
    group by 1, 2

)

select * from final

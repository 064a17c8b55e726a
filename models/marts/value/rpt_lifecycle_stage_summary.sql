with

stages as (

    select * from {{ ref('fct_lifecycle_stages') }}

),

unpivoted as (

    select
        period_end,
        'lifecycle_stage' as state_model,
        lifecycle_stage as state_name,
        period_gmv
    from stages
    union all
    select
        period_end,
        'operations_stage' as state_model,
        operations_stage as state_name,
        period_gmv
    from stages

),

final as (

    select
        period_end,
        state_model,
        state_name,
        count(*) as person_count,
        cast(
            round(count(*) / sum(count(*)) over (partition by period_end, state_model), 6) as double
        )
            as person_share,
        cast(sum(period_gmv) as decimal(18, 2)) as period_gmv
    from unpivoted
    group by 1, 2, 3

)

select * from final

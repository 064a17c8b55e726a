with

transitions as (

    select * from {{ ref('fct_state_transitions') }}

),

counted as (

    select
        state_model,
        period_end,
        from_state,
        to_state,
        count(*) as person_count,
        cast(sum(period_gmv) as decimal(18, 2)) as period_gmv
    from transitions
    group by 1, 2, 3, 4

),

final as (

    select
        state_model,
        period_end,
        from_state,
        to_state,
        person_count,
        -- Share of the persons who were in from_state at the previous period end.
        cast(round(
            person_count
            / sum(person_count) over (partition by state_model, period_end, from_state),
            6
        ) as double) as share_of_from_state,
        period_gmv,
        from_state = to_state as is_unchanged
    from counted

)

select * from final

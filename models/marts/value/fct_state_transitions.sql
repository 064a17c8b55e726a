-- One fact for every state model: RFM class (rfm_class), behavioural lifecycle stage
-- (lifecycle_stage) and operations stage (operations_stage). from_state is the person's state at
-- the previous period end (`none` in the person's first period).
with

rfm as (

    select * from {{ ref('fct_rfm_snapshots') }}

),

lifecycle as (

    select * from {{ ref('fct_lifecycle_stages') }}

),

period_gmv as (

    select
        one_id,
        period_end,
        period_gmv
    from lifecycle

),

states as (

    select
        'rfm_class' as state_model,
        rfm.one_id,
        rfm.snapshot_date as period_end,
        rfm.rfm_class as to_state
    from rfm
    union all
    select
        'lifecycle_stage' as state_model,
        one_id,
        period_end,
        lifecycle_stage as to_state
    from lifecycle
    union all
    select
        'operations_stage' as state_model,
        one_id,
        period_end,
        operations_stage as to_state
    from lifecycle

),

final as (

    select
        states.one_id,
        states.state_model,
        states.period_end,
        coalesce(
            lag(states.to_state) over (
                partition by states.state_model, states.one_id order by states.period_end
            ),
            'none'
        ) as from_state,
        states.to_state,
        cast(coalesce(period_gmv.period_gmv, 0) as decimal(18, 2)) as period_gmv
    from states
    left join period_gmv
        on states.one_id = period_gmv.one_id
            and states.period_end = period_gmv.period_end

)

select * from final

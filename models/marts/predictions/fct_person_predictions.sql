with

predictions as (

    select * from {{ ref('int_person_predictions') }}

),

final as (

    select
        cast(one_id as string) as one_id,
        cast(as_of_date as date) as as_of_date,
        cast(prediction_status as string) as prediction_status,
        cast(p_alive as double) as p_alive,
        cast(1 - p_alive as double) as churn_probability,
        cast(horizon_days as integer) as horizon_days,
        cast(expected_purchases as double) as expected_purchases,
        cast(expected_average_spend as double) as expected_average_spend,
        cast(clv as double) as clv_365d
    from predictions

)

select * from final

with

fits as (

    select * from {{ ref('int_clv_fits') }}

),

final as (

    select
        cast(model_name as string) as model_name,
        cast(as_of_date as date) as as_of_date,
        cast(is_converged as boolean) as is_converged,
        cast(message as string) as message,
        cast(outlier_rule as string) as outlier_rule,
        cast(outlier_count as bigint) as outlier_count,
        cast(sample_size as bigint) as sample_size,
        cast(distinct_rows as bigint) as distinct_rows,
        cast(log_likelihood as double) as log_likelihood,
        cast(param_r as double) as param_r,
        cast(param_alpha as double) as param_alpha,
        cast(param_a as double) as param_a,
        cast(param_b as double) as param_b,
        cast(param_p as double) as param_p,
        cast(param_q as double) as param_q,
        cast(param_gamma as double) as param_gamma
    from fits

)

select * from final

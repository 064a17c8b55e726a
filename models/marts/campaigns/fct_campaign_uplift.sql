-- Treatment against control per campaign and RFM class at send (and `all`):
--   uplift      = conversion rate (treatment) - conversion rate (control)
--   95% CI      = uplift ± 1.96 × sqrt(p_t(1-p_t)/n_t + p_c(1-p_c)/n_c)   (Wald, unpooled)
--   incremental GMV = (ARPU treatment - ARPU control) × treated persons
--   ROI         = (incremental GMV × var('campaign_margin') - cost) / cost
--   SRM         = chi-square of the persons per arm against the planned split (1 degree of
--                 freedom), flagged when its p-value is below var('srm_p_value_threshold').
with

results as (

    select * from {{ ref('fct_campaign_results') }}

),

plans as (

    select * from {{ ref('campaign_plans') }}

),

arms as (

    select
        campaign_id,
        rfm_class,
        coalesce(max(person_count) filter (where campaign_arm = 'treatment'), 0)
            as treatment_persons,
        coalesce(max(person_count) filter (where campaign_arm = 'control'), 0) as control_persons,
        coalesce(max(converted_count) filter (where campaign_arm = 'treatment'), 0)
            as treatment_converted,
        coalesce(max(converted_count) filter (where campaign_arm = 'control'), 0)
            as control_converted,
        max(arpu) filter (where campaign_arm = 'treatment') as treatment_arpu,
        max(arpu) filter (where campaign_arm = 'control') as control_arpu,
        coalesce(sum(cost_amount), 0) as cost_amount,
        coalesce(bool_and(is_window_complete), true) as is_window_complete
    from results
    group by 1, 2

),

rates as (

    select
        arms.*,
        coalesce(plans.planned_treatment_share, {{ var('campaign_default_treatment_share') }})
            as planned_treatment_share,
        arms.treatment_converted / nullif(arms.treatment_persons, 0) as treatment_rate,
        arms.control_converted / nullif(arms.control_persons, 0) as control_rate
    from arms
    left join plans on arms.campaign_id = plans.campaign_id

),

tested as (

    select
        *,
        treatment_rate - control_rate as uplift,
        sqrt(
            treatment_rate * (1 - treatment_rate) / nullif(treatment_persons, 0)
            + control_rate * (1 - control_rate) / nullif(control_persons, 0)
        ) as uplift_standard_error,
        (treatment_arpu - control_arpu) * treatment_persons as incremental_gmv,
        -- Chi-square of the observed arm sizes against the planned split.
        power(
            treatment_persons - planned_treatment_share * (treatment_persons + control_persons), 2
        ) / nullif(planned_treatment_share * (treatment_persons + control_persons), 0)
        + power(
            control_persons - (1 - planned_treatment_share) * (treatment_persons + control_persons),
            2
        ) / nullif((1 - planned_treatment_share) * (treatment_persons + control_persons), 0)
            as srm_chi_square
    from rates

),

with_p_value as (

    select
        *,
        2 * (1 - {{ normal_cdf('sqrt(srm_chi_square)') }}) as srm_p_value
    from tested

),

final as (

    select
        campaign_id,
        rfm_class,
        treatment_persons,
        control_persons,
        treatment_converted,
        control_converted,
        -- Rates and statistics are rounded to 6 decimals (4 for the chi-square) so reruns agree.
        cast(round(treatment_rate, 6) as double) as treatment_conversion_rate,
        cast(round(control_rate, 6) as double) as control_conversion_rate,
        cast(round(uplift, 6) as double) as uplift,
        cast(round(uplift - 1.96 * uplift_standard_error, 6) as double) as uplift_ci_low,
        cast(round(uplift + 1.96 * uplift_standard_error, 6) as double) as uplift_ci_high,
        coalesce(
            uplift - 1.96 * uplift_standard_error > 0 or uplift + 1.96 * uplift_standard_error < 0,
            false
        )
            as is_uplift_significant,
        cast(round(incremental_gmv, 2) as double) as incremental_gmv,
        cast(cost_amount as decimal(18, 2)) as cost_amount,
        cast(round(
            -- In doubles: Spark would keep decimals and round the sixth digit differently.
            (
                cast(incremental_gmv as double) * {{ var('campaign_margin') }}
                - cast(cost_amount as double)
            ) / nullif(cast(cost_amount as double), 0),
            6
        ) as double) as roi,
        cast(planned_treatment_share as double) as planned_treatment_share,
        cast(round(srm_chi_square, 4) as double) as srm_chi_square,
        cast(round(srm_p_value, 6) as double) as srm_p_value,
        coalesce(srm_p_value < {{ var('srm_p_value_threshold') }}, false)
            as is_sample_ratio_mismatch,
        is_window_complete
    from with_p_value

)

select * from final

{#- Standard normal CDF (Abramowitz and Stegun 26.2.17, absolute error below 7.5e-8), for
    confidence intervals and test p-values in SQL without an erf function. -#}
{% macro normal_cdf(z) -%}
    case
        when {{ z }} is null then null
        else 0.5 + sign({{ z }}) * (0.5 - exp(-0.5 * ({{ z }}) * ({{ z }})) / sqrt(2 * pi()) * (
            0.319381530 * (1 / (1 + 0.2316419 * abs({{ z }})))
            - 0.356563782 * power(1 / (1 + 0.2316419 * abs({{ z }})), 2)
            + 1.781477937 * power(1 / (1 + 0.2316419 * abs({{ z }})), 3)
            - 1.821255978 * power(1 / (1 + 0.2316419 * abs({{ z }})), 4)
            + 1.330274429 * power(1 / (1 + 0.2316419 * abs({{ z }})), 5)
        ))
    end
{%- endmacro %}


{#- Ordinal of a lifecycle stage for "moved up / down": 1 is the best. -#}
{% macro lifecycle_stage_rank(stage) -%}
    case {{ stage }}
        when 'active' then 1
        when 'reactivated_from_dormant' then 1
        when 'reactivated_from_churned' then 1
        when 'new' then 2
        when 'dormant' then 3
        when 'churned' then 4
    end
{%- endmacro %}

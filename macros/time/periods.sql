{#- The first day of the period (`var('period_grain')`: a Monday-to-Sunday week, or a month)
    holding a date or UTC timestamp: int_periods starts its periods this way, so a fact joins its
    period on `period_start(ts) = periods.period_start`, an equality join, instead of a range
    join on the period's bounds (five times slower on `large`). -#}
{% macro period_start(date_or_timestamp) -%}
    cast(date_trunc('{{ var("period_grain") }}', {{ date_or_timestamp }}) as date)
{%- endmacro %}

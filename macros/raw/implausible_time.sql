{#- True when a line's UTC timestamp `column` cannot be right: before earliest_plausible_time, or
    later than the end of the line's dt= partition day plus future_tolerance_hours (a line lands
    in the folder of the day it was received, so nothing in it happened later). The partition
    bounds the line, not a time the line itself claims, so a line dated 2099 throughout is still
    implausible. Null for a null time; for an unpartitioned source (null partition_date) only
    the lower bound applies. The reason is `implausible_time` (docs/raw-landing.md: "Rejects and their
    reasons"); events also compare `time` with their own received_at. -#}
{% macro is_implausible_time(column) -%}
    (
        {{ column }} < cast('{{ var("earliest_plausible_time") }}' as timestamp)
        or {{ column }} > {{ dbt.dateadd(
            'hour',
            var('future_tolerance_hours'),
            'cast(' ~ dbt.dateadd('day', 1, 'partition_date') ~ ' as timestamp)'
        ) }}
    )
{%- endmacro %}

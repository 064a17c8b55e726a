{#- The run's as-of date (SPEC section 3): `--vars '{as_of: 2026-03-31}'`, or by default the last
    landed day of the events. Marts see only what happened before the end of that day (UTC);
    nothing reads the clock, so a rebuild of the same data gives the same marts. -#}
{% macro as_of_date() -%}
    (select as_of.as_of_date from {{ ref('int_as_of_date') }} as as_of)
{%- endmacro %}


{#- The first instant after the as-of day: facts keep `ts < as_of_end()`. -#}
{% macro as_of_end() -%}
    (select as_of.as_of_end_at from {{ ref('int_as_of_date') }} as as_of)
{%- endmacro %}


{#- The end of the last complete period (int_periods), as a scalar subquery: the first instant
    no RFM snapshot or lifecycle stage looks at. -#}
{% macro last_period_end() -%}
    (select max(periods.period_end_at) from {{ ref('int_periods') }} as periods)
{%- endmacro %}


{#- A UTC timestamp as wall-clock time in a named time zone (for hour-of-day and weekday habits). -#}
{% macro to_local_time(utc_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('to_local_time', 'user_asset_warehouse')(utc_timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__to_local_time(utc_timestamp, time_zone) -%}
    cast(timezone('{{ time_zone }}', timezone('UTC', {{ utc_timestamp }})) as timestamp)
{%- endmacro %}

{#- Spark timestamps are instants shown in the session time zone (UTC in this project). -#}
{% macro spark__to_local_time(utc_timestamp, time_zone) -%}
    from_utc_timestamp({{ utc_timestamp }}, '{{ time_zone }}')
{%- endmacro %}


{#- Fractional days from `earlier` to `later` (timestamps). -#}
{% macro days_between(earlier, later) -%}
    {{ return(adapter.dispatch('days_between', 'user_asset_warehouse')(earlier, later)) }}
{%- endmacro %}

{% macro default__days_between(earlier, later) -%}
    (epoch({{ later }}) - epoch({{ earlier }})) / 86400.0
{%- endmacro %}

{% macro spark__days_between(earlier, later) -%}
    (unix_micros({{ later }}) - unix_micros({{ earlier }})) / 86400e6
{%- endmacro %}


{#- Whole calendar days from date `earlier` to date `later` (day boundaries crossed). -#}
{% macro calendar_days_between(earlier, later) -%}
    {{ return(adapter.dispatch('calendar_days_between', 'user_asset_warehouse')(earlier, later)) }}
{%- endmacro %}

{% macro default__calendar_days_between(earlier, later) -%}
    date_diff('day', {{ earlier }}, {{ later }})
{%- endmacro %}

{#- A bigint, as DuckDB's date_diff gives (the marts' contracts say so). -#}
{% macro spark__calendar_days_between(earlier, later) -%}
    cast(datediff({{ later }}, {{ earlier }}) as bigint)
{%- endmacro %}


{#- Calendar years from date `earlier` to date `later` (year boundaries crossed, not birthdays). -#}
{% macro calendar_years_between(earlier, later) -%}
    {{ return(adapter.dispatch('calendar_years_between', 'user_asset_warehouse')(earlier, later)) }}
{%- endmacro %}

{% macro default__calendar_years_between(earlier, later) -%}
    date_diff('year', {{ earlier }}, {{ later }})
{%- endmacro %}

{#- A bigint, as DuckDB's date_diff gives. -#}
{% macro spark__calendar_years_between(earlier, later) -%}
    cast(year({{ later }}) - year({{ earlier }}) as bigint)
{%- endmacro %}

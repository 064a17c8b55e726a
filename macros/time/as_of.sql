{#- The run's as-of date (SPEC section 3): `--vars '{as_of: 2026-03-31}'`, or by default the last
    landed day of the events. Marts see only what happened before the end of that day (UTC);
    nothing reads the clock, so a rebuild of the same data gives the same marts. -#}
{% macro as_of_date() -%}
    {{ return(value_at_run(
        '(select as_of.as_of_date from ' ~ ref('int_as_of_date') ~ ' as as_of)', ref('int_as_of_date'), 'date'
    )) }}
{%- endmacro %}


{#- The first instant after the as-of day: facts keep `ts < as_of_end()`. -#}
{% macro as_of_end() -%}
    {{ return(value_at_run(
        '(select as_of.as_of_end_at from ' ~ ref('int_as_of_date') ~ ' as as_of)', ref('int_as_of_date'), 'timestamp'
    )) }}
{%- endmacro %}


{#- The end of the last complete period (int_periods): the first instant no RFM snapshot or
    lifecycle stage looks at. -#}
{% macro last_period_end() -%}
    {{ return(value_at_run(
        '(select max(periods.period_end_at) from ' ~ ref('int_periods') ~ ' as periods)', ref('int_periods'), 'timestamp'
    )) }}
{%- endmacro %}


{#- A one-value `subquery` (parenthesised) over `relation`, a model built before the current one,
    as SQL: on DuckDB, in a model built as a table (or incremental), its value as a literal of
    `type`, read when the model runs; otherwise the scalar subquery itself.
    Why: DuckDB cannot estimate a filter against a scalar subquery (`event_at < (select ...)`): it
    plans it as a join and takes the filtered side for a handful of rows. The sessions' daily run
    then built its hash table on 37.6 M resolved events, all columns, instead of on the 23,556
    persons to rebuild: 29.7 s and 13.3 GB of memory against 4.8 s and 3.0 GB with the literal
    (large tier, docs/benchmark.md). A literal also lets the scan skip row groups by their
    min/max.
    The value is the one the subquery would give: `relation` is upstream, so dbt has built it
    (or kept it) before the model runs and nothing changes it until the model is done. The
    subquery stays where a literal could differ or cannot be read: views (a view must follow the
    table when it changes) and ephemeral models (a view may read them), unit tests (they give
    `relation` as a fixture), parsing and compiling without a warehouse (`relation` not built,
    the lint target), and Spark (not measured there). -#}
{% macro value_at_run(subquery, relation, type) -%}
    {%- if not can_query_warehouse() or target.type != 'duckdb' or model.resource_type != 'model'
        or model.config.materialized in ['view', 'ephemeral'] or load_relation(relation) is none -%}
        {{ return(subquery) }}
    {%- endif -%}
    {%- set value = run_query('select cast(' ~ subquery ~ ' as ' ~ dbt.type_string() ~ ')').columns[0].values()[0] -%}
    {%- if value is none -%}
        {{ return('cast(null as ' ~ type ~ ')') }}
    {%- endif -%}
    {{ return("cast('" ~ value ~ "' as " ~ type ~ ")") }}
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

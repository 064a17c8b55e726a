{#- Small SQL constructs that DuckDB and Spark spell differently (docs/spark_probe.md, section 5).
    Each `default__` body is the DuckDB SQL, each `spark__` body its Spark 4 equivalent. -#}


{#- The distinct non-null values of `expression` in ascending order, joined with `separator`
    (an aggregate; null when there are none). -#}
{% macro sorted_distinct_list(expression, separator=',') -%}
    {{ return(adapter.dispatch('sorted_distinct_list', 'user_asset_warehouse')(expression, separator)) }}
{%- endmacro %}

{% macro default__sorted_distinct_list(expression, separator=',') -%}
    string_agg(distinct {{ expression }}, '{{ separator }}' order by {{ expression }})
{%- endmacro %}

{#- Not listagg(distinct …) within group (…): Spark 4.3 fails on it in grouped queries with
    other distinct aggregates (a ClassCastException in ListAgg). -#}
{% macro spark__sorted_distinct_list(expression, separator=',') -%}
    case
        when count({{ expression }}) > 0
            then array_join(array_sort(collect_set({{ expression }})), '{{ separator }}')
    end
{%- endmacro %}


{#- ISO day of the week of a date or timestamp: 1 is Monday, 7 is Sunday (a bigint, as on DuckDB). -#}
{% macro iso_weekday(expression) -%}
    {{ return(adapter.dispatch('iso_weekday', 'user_asset_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__iso_weekday(expression) -%}
    isodow({{ expression }})
{%- endmacro %}

{% macro spark__iso_weekday(expression) -%}
    cast(extract(dow_iso from {{ expression }}) as bigint)
{%- endmacro %}


{#- Month and day of a date as 'MMDD' text, which sorts like the day of the year ignoring the year
    (birthdays). -#}
{% macro month_day(expression) -%}
    {{ return(adapter.dispatch('month_day', 'user_asset_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__month_day(expression) -%}
    strftime({{ expression }}, '%m%d')
{%- endmacro %}

{% macro spark__month_day(expression) -%}
    date_format({{ expression }}, 'MMdd')
{%- endmacro %}


{#- One row per date from `start_date` to `end_date` (both included) in steps of `step` (an
    interval such as `interval 1 week`): a set-returning expression for a select list. -#}
{% macro date_series(start_date, end_date, step) -%}
    {{ return(adapter.dispatch('date_series', 'user_asset_warehouse')(start_date, end_date, step)) }}
{%- endmacro %}

{% macro default__date_series(start_date, end_date, step) -%}
    cast(unnest(generate_series(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp),
        {{ step }}
    )) as date)
{%- endmacro %}

{#- A generator may not be nested in an expression on Spark: sequence() over dates gives dates. -#}
{% macro spark__date_series(start_date, end_date, step) -%}
    explode(sequence(cast({{ start_date }} as date), cast({{ end_date }} as date), {{ step }}))
{%- endmacro %}


{#- One row per element of a separated text (for a select list; null or empty text: no row). -#}
{% macro split_text_to_rows(text, separator=',') -%}
    {{ return(adapter.dispatch('split_text_to_rows', 'user_asset_warehouse')(text, separator)) }}
{%- endmacro %}

{% macro default__split_text_to_rows(text, separator=',') -%}
    unnest(string_split({{ text }}, '{{ separator }}'))
{%- endmacro %}

{% macro spark__split_text_to_rows(text, separator=',') -%}
    explode(split({{ text }}, '{{ separator }}'))
{%- endmacro %}

{#- A SQL string literal for a Jinja string. DuckDB keeps backslashes and doubles quotes; Spark
    unescapes backslashes in literals (`\s` would become `s`), so there both are escaped. Every
    literal built from configuration or data (salts, seeds, patterns, descriptions) goes through
    here, so that the same text reaches both engines. -#}
{% macro string_literal(text) -%}
    {{ return(adapter.dispatch('string_literal', 'user_asset_warehouse')(text)) }}
{%- endmacro %}

{% macro default__string_literal(text) -%}
    '{{ text | string | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__string_literal(text) -%}
    '{{ text | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{#- 'a', 'b', 'c' from a list of strings, for `in (...)` predicates over configured values. -#}
{% macro quoted_list(values) -%}
    {%- for value in values -%}
        {{ string_literal(value) }}{% if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}

{#- 'a', 'b', 'c' from a list of strings, for `in (...)` predicates over configured values. -#}
{% macro quoted_list(values) -%}
    {%- for value in values -%}
        '{{ value | replace("'", "''") }}'{% if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}

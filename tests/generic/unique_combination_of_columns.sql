{#- The columns together identify a row: no combination occurs twice (nulls included;
    macros/utils/repeated_keys.sql: grouped by a hash first). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {{ repeated_keys(model, combination_of_columns) }}
{% endtest %}

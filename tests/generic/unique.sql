{#- Overrides dbt's built-in `unique` test, with the same result: the column's non-null values
    occur once each (macros/utils/repeated_keys.sql: grouped by a hash first). -#}
{% test unique(model, column_name) %}
    {{ repeated_keys(model, [column_name], column_name ~ ' is not null') }}
{% endtest %}

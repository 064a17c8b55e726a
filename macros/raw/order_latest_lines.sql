{#- The raw lines (every column of base_oms__order_lines) that are their order's current state,
    as chosen in stg_oms__order_updates: for the models that need fields the typed updates do not
    carry (items, receiver phone). -#}
{% macro order_latest_lines() -%}
    select base_lines.*
    from {{ ref('base_oms__order_lines') }} as base_lines
    inner join {{ ref('stg_oms__order_updates') }} as latest_states
        on base_lines.file_name = latest_states.source_file_name
            and base_lines.line_number = latest_states.source_line_number
    where latest_states.is_latest_state
{%- endmacro %}

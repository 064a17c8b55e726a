{#- CSV lines are read as text (see raw_lines) and split here, so a broken row becomes a reject
    with its raw text instead of an error that stops the read. RFC 4180 fields: quoted fields may
    hold commas and doubled quotes; a record that spans lines is joined first (csv_lines). -#}
{% macro csv_fields(line) -%}
    {{ return(adapter.dispatch('csv_fields', 'user_asset_warehouse')(line)) }}
{%- endmacro %}

{% macro default__csv_fields(line) -%}
    list_transform(
        regexp_extract_all({{ line }} || ',', '("(?:[^"]|"")*"|[^,"]*),', 1),
        lambda field: case
            when field like '"%' then replace(field[2:-2], '""', '"')
            else field
        end
    )
{%- endmacro %}


{% macro spark__csv_fields(line) -%}
    transform(
        regexp_extract_all({{ line }} || ',', '("(?:[^"]|"")*"|[^,"]*),', 1),
        field -> case
            when field like '"%' then replace(substr(field, 2, length(field) - 2), '""', '"')
            else field
        end
    )
{%- endmacro %}


{#- True when the fields found by csv_fields cover the whole line (no stray quote). -#}
{% macro csv_is_well_formed(line) -%}
    {{ return(adapter.dispatch('csv_is_well_formed', 'user_asset_warehouse')(line)) }}
{%- endmacro %}

{% macro default__csv_is_well_formed(line) -%}
    length(array_to_string(regexp_extract_all({{ line }} || ',', '("(?:[^"]|"")*"|[^,"]*),', 1), ','))
    + 1 = length({{ line }} || ',')
{%- endmacro %}

{% macro spark__csv_is_well_formed(line) -%}
    length(array_join(regexp_extract_all({{ line }} || ',', '("(?:[^"]|"")*"|[^,"]*),', 1), ','))
    + 1 = length({{ line }} || ',')
{%- endmacro %}


{#- A header line's field names, trimmed and lower-cased, as a list. -#}
{% macro csv_header_names(line) -%}
    {{ return(adapter.dispatch('csv_header_names', 'user_asset_warehouse')(line)) }}
{%- endmacro %}

{% macro default__csv_header_names(line) -%}
    list_transform({{ csv_fields(line) }}, lambda h: lower(trim(h)))
{%- endmacro %}

{% macro spark__csv_header_names(line) -%}
    transform({{ csv_fields(line) }}, h -> lower(trim(h)))
{%- endmacro %}


{#- The number of elements of a list (of fields or names). -#}
{% macro csv_list_size(list) -%}
    {{ return(adapter.dispatch('csv_list_size', 'user_asset_warehouse')(list)) }}
{%- endmacro %}

{% macro default__csv_list_size(list) -%}
    len({{ list }})
{%- endmacro %}

{% macro spark__csv_list_size(list) -%}
    size({{ list }})
{%- endmacro %}


{#- The 1-based position of `name` in a list of header names; null when it is not there. -#}
{% macro csv_name_position(names, name) -%}
    {{ return(adapter.dispatch('csv_name_position', 'user_asset_warehouse')(names, name)) }}
{%- endmacro %}

{% macro default__csv_name_position(names, name) -%}
    nullif(coalesce(list_position({{ names }}, {{ string_literal(name) }}), 0), 0)
{%- endmacro %}

{% macro spark__csv_name_position(names, name) -%}
    nullif(array_position({{ names }}, {{ string_literal(name) }}), 0)
{%- endmacro %}


{#- The header names that are not among `columns`, joined with commas; null when there are none. -#}
{% macro csv_names_not_in(names, columns) -%}
    {{ return(adapter.dispatch('csv_names_not_in', 'user_asset_warehouse')(names, columns)) }}
{%- endmacro %}

{% macro default__csv_names_not_in(names, columns) -%}
    nullif(array_to_string(list_filter({{ names }}, lambda h: h not in ({{ quoted_list(columns) }})), ','), '')
{%- endmacro %}

{% macro spark__csv_names_not_in(names, columns) -%}
    nullif(array_join(filter({{ names }}, h -> h not in ({{ quoted_list(columns) }})), ','), '')
{%- endmacro %}


{#- The list of the fields at `positions` (SQL expressions, 1-based; a null position or one past
    the end gives a null field), in that order. -#}
{% macro csv_pick_fields(fields, positions) -%}
    {{ return(adapter.dispatch('csv_pick_fields', 'user_asset_warehouse')(fields, positions)) }}
{%- endmacro %}

{% macro default__csv_pick_fields(fields, positions) -%}
    [
        {%- for position in positions -%}
            {{ fields }}[{{ position }}]{{ ', ' if not loop.last }}
        {%- endfor -%}
    ]
{%- endmacro %}

{#- element_at gives null past the end: dbt-spark runs with spark.sql.ansi.enabled=false. -#}
{% macro spark__csv_pick_fields(fields, positions) -%}
    array(
        {%- for position in positions -%}
            element_at({{ fields }}, cast({{ position }} as int)){{ ', ' if not loop.last }}
        {%- endfor -%}
    )
{%- endmacro %}


{#- An aggregate: the group's lines in `order_by` order, joined with line feeds. -#}
{% macro csv_join_lines(line, order_by) -%}
    {{ return(adapter.dispatch('csv_join_lines', 'user_asset_warehouse')(line, order_by)) }}
{%- endmacro %}

{% macro default__csv_join_lines(line, order_by) -%}
    string_agg({{ line }}, chr(10) order by {{ order_by }})
{%- endmacro %}

{% macro spark__csv_join_lines(line, order_by) -%}
    array_join(
        transform(array_sort(collect_list(named_struct('k', {{ order_by }}, 'v', {{ line }}))), r -> r.v), chr(10)
    )
{%- endmacro %}


{#- Field n (1-based) of the list csv_fields returns; null past the end. -#}
{% macro csv_field(fields, n) -%}
    {{ return(adapter.dispatch('csv_field', 'user_asset_warehouse')(fields, n)) }}
{%- endmacro %}

{% macro default__csv_field(fields, n) -%}
    {{ fields }}[{{ n }}]
{%- endmacro %}

{% macro spark__csv_field(fields, n) -%}
    element_at({{ fields }}, {{ n }})
{%- endmacro %}

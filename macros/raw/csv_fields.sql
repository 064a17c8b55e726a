{#- CSV lines are read as text (see raw_lines) and split here, so a broken row becomes a reject
    with its raw text instead of an error that stops the read. RFC 4180 fields: quoted fields may
    hold commas and doubled quotes; a record must not span lines. -#}
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


{#- A header line's field names, trimmed and joined with commas. -#}
{% macro csv_header_names(line) -%}
    {{ return(adapter.dispatch('csv_header_names', 'user_asset_warehouse')(line)) }}
{%- endmacro %}

{% macro default__csv_header_names(line) -%}
    array_to_string(list_transform({{ csv_fields(line) }}, lambda h: trim(h)), ',')
{%- endmacro %}

{% macro spark__csv_header_names(line) -%}
    array_join(transform({{ csv_fields(line) }}, h -> trim(h)), ',')
{%- endmacro %}


{#- The number of fields csv_fields finds. -#}
{% macro csv_field_count(line) -%}
    {{ return(adapter.dispatch('csv_field_count', 'user_asset_warehouse')(line)) }}
{%- endmacro %}

{% macro default__csv_field_count(line) -%}
    len({{ csv_fields(line) }})
{%- endmacro %}

{% macro spark__csv_field_count(line) -%}
    size({{ csv_fields(line) }})
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

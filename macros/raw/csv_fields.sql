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


{#- True when the fields found by csv_fields cover the whole line (no stray quote). -#}
{% macro csv_is_well_formed(line) -%}
    {{ return(adapter.dispatch('csv_is_well_formed', 'user_asset_warehouse')(line)) }}
{%- endmacro %}

{% macro default__csv_is_well_formed(line) -%}
    length(array_to_string(regexp_extract_all({{ line }} || ',', '("(?:[^"]|"")*"|[^,"]*),', 1), ','))
    + 1 = length({{ line }} || ',')
{%- endmacro %}

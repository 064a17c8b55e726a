{#- JSON access differs by engine; models call these and never name an engine. Documents and
    fragments are JSON text on both. Spark parses them as VARIANT (try_parse_json), which, unlike
    DuckDB, rejects an object with a duplicate key as invalid. -#}


{#- Spark: the VARIANT at path of a JSON text (SQL null when absent or invalid). -#}
{% macro spark_variant_at(doc, path) -%}
    {%- if path == '$' -%}
        try_parse_json({{ doc }})
    {%- else -%}
        try_variant_get(try_parse_json({{ doc }}), '{{ path }}', 'variant')
    {%- endif -%}
{%- endmacro %}

{% macro json_is_valid(text) -%}
    {{ return(adapter.dispatch('json_is_valid', 'user_asset_warehouse')(text)) }}
{%- endmacro %}

{% macro default__json_is_valid(text) -%}
    json_valid({{ text }})
{%- endmacro %}

{% macro spark__json_is_valid(text) -%}
    (try_parse_json({{ text }}) is not null)
{%- endmacro %}


{#- Type of the value at path: OBJECT, ARRAY, VARCHAR, BIGINT, UBIGINT, DOUBLE, BOOLEAN, NULL;
    SQL null when the path is absent. -#}
{% macro json_kind(doc, path='$') -%}
    {{ return(adapter.dispatch('json_kind', 'user_asset_warehouse')(doc, path)) }}
{%- endmacro %}

{% macro default__json_kind(doc, path) -%}
    json_type({{ doc }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_kind(doc, path) -%}
    {#- schema_of_variant names, mapped to DuckDB's json_type names: an integer that does not fit a
        BIGINT is a DECIMAL(n,0) there (UBIGINT here), other decimals are DOUBLE. -#}
    {%- set kind = "regexp_extract(regexp_replace(schema_of_variant(" ~ spark_variant_at(doc, path)
        ~ "), '^DECIMAL[(][0-9]+,0[)]', 'UBIGINT'), '^[A-Z]+', 0)" -%}
    case {{ kind }}
        when 'STRING' then 'VARCHAR'
        when 'VOID' then 'NULL'
        when 'DECIMAL' then 'DOUBLE'
        when 'FLOAT' then 'DOUBLE'
        when 'INT' then 'BIGINT'
        when 'SMALLINT' then 'BIGINT'
        when 'TINYINT' then 'BIGINT'
        else {{ kind }}
    end
{%- endmacro %}


{#- Value at path as text (numbers rendered as text); null when absent or JSON null. -#}
{% macro json_text(doc, path) -%}
    {{ return(adapter.dispatch('json_text', 'user_asset_warehouse')(doc, path)) }}
{%- endmacro %}

{% macro default__json_text(doc, path) -%}
    json_extract_string({{ doc }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_text(doc, path) -%}
    try_variant_get(try_parse_json({{ doc }}), '{{ path }}', 'string')
{%- endmacro %}


{#- Sub-document at path, kept as JSON text (for arrays such as order items). -#}
{% macro json_value(doc, path) -%}
    {{ return(adapter.dispatch('json_value', 'user_asset_warehouse')(doc, path)) }}
{%- endmacro %}

{% macro default__json_value(doc, path) -%}
    json_extract({{ doc }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_value(doc, path) -%}
    to_json({{ spark_variant_at(doc, path) }})
{%- endmacro %}


{#- True when the object at path has only keys from allowed_keys (or is absent / null). -#}
{% macro json_keys_within(doc, path, allowed_keys) -%}
    {{ return(adapter.dispatch('json_keys_within', 'user_asset_warehouse')(doc, path, allowed_keys)) }}
{%- endmacro %}

{% macro default__json_keys_within(doc, path, allowed_keys) -%}
    coalesce(
        json_type({{ doc }}, '{{ path }}') = 'NULL'
        or (
            json_type({{ doc }}, '{{ path }}') = 'OBJECT'
            and list_has_all([{{ quoted_list(allowed_keys) }}], json_keys({{ doc }}, '{{ path }}'))
        ),
        true
    )
{%- endmacro %}

{% macro spark__json_keys_within(doc, path, allowed_keys) -%}
    coalesce(
        {{ json_kind(doc, path) }} = 'NULL'
        or (
            {{ json_kind(doc, path) }} = 'OBJECT'
            and forall(
                json_object_keys({{ json_value(doc, path) }}),
                k -> k in ({{ quoted_list(allowed_keys) }})
            )
        ),
        true
    )
{%- endmacro %}


{#- Number of elements of the array at path; null when absent or not an array. -#}
{% macro json_array_length(doc, path) -%}
    {{ return(adapter.dispatch('json_array_length', 'user_asset_warehouse')(doc, path)) }}
{%- endmacro %}

{% macro default__json_array_length(doc, path) -%}
    case when json_type({{ doc }}, '{{ path }}') = 'ARRAY' then json_array_length({{ doc }}, '{{ path }}') end
{%- endmacro %}

{% macro spark__json_array_length(doc, path) -%}
    case when {{ json_kind(doc, path) }} = 'ARRAY' then json_array_length({{ json_value(doc, path) }}) end
{%- endmacro %}


{#- A table expression of (position, element) for the array at path, for a lateral join. -#}
{% macro json_array_elements(doc, path) -%}
    {{ return(adapter.dispatch('json_array_elements', 'user_asset_warehouse')(doc, path)) }}
{%- endmacro %}

{% macro default__json_array_elements(doc, path) -%}
    (
        select
            generate_subscripts(elements, 1) as item_number,
            unnest(elements) as item_doc
        from (
            select
                case
                    when json_type({{ doc }}, '{{ path }}') = 'ARRAY'
                        then json_extract({{ doc }}, '{{ path }}[*]')
                    else []
                end as elements
        )
    )
{%- endmacro %}

{% macro spark__json_array_elements(doc, path) -%}
    lateral (
        select
            pos + 1 as item_number,
            to_json(value) as item_doc
        from variant_explode(
            case when {{ json_kind(doc, path) }} = 'ARRAY' then {{ spark_variant_at(doc, path) }} end
        )
    )
{%- endmacro %}


{#- A JSON object's fields in one parse, as a struct: text values (numbers as their text,
    nested values as JSON text), or with as_json=true JSON fragments whose kind json_kind() can
    still tell. Absent fields are null. Read a field with struct_field(). -#}
{% macro json_struct(doc, fields, as_json=false) -%}
    {{ return(adapter.dispatch('json_struct', 'user_asset_warehouse')(doc, fields, as_json)) }}
{%- endmacro %}

{% macro default__json_struct(doc, fields, as_json) -%}
    {%- set value_type = 'JSON' if as_json else 'VARCHAR' -%}
    json_transform(
        {{ doc }},
        '{ {%- for field in fields %}"{{ field }}":"{{ value_type }}"{% if not loop.last %},{% endif %}{% endfor -%} }'
    )
{%- endmacro %}

{% macro spark__json_struct(doc, fields, as_json) -%}
    named_struct(
        {%- for field in fields %}
        '{{ field }}',
        {{ json_value(doc, '$.' ~ field) if as_json else json_text(doc, '$.' ~ field) }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    )
{%- endmacro %}


{#- Like json_struct, with a type per field: `fields` maps each name to 'text' (its value as text,
    as json_text reads it) or 'json' (a fragment whose kind json_kind() can tell). One parse. -#}
{% macro json_typed_struct(doc, fields) -%}
    {{ return(adapter.dispatch('json_typed_struct', 'user_asset_warehouse')(doc, fields)) }}
{%- endmacro %}

{% macro default__json_typed_struct(doc, fields) -%}
    json_transform(
        {{ doc }},
        '{ {%- for field, kind in fields.items() %}"{{ field }}":"{{ 'JSON' if kind == 'json' else 'VARCHAR' }}"{% if not loop.last %},{% endif %}{% endfor -%} }'
    )
{%- endmacro %}

{% macro spark__json_typed_struct(doc, fields) -%}
    named_struct(
        {%- for field, kind in fields.items() %}
        '{{ field }}',
        {{ json_value(doc, '$.' ~ field) if kind == 'json' else json_text(doc, '$.' ~ field) }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    )
{%- endmacro %}


{% macro struct_field(struct, field) -%}
    {{ return(adapter.dispatch('struct_field', 'user_asset_warehouse')(struct, field)) }}
{%- endmacro %}

{% macro default__struct_field(struct, field) -%}
    struct_extract({{ struct }}, '{{ field }}')
{%- endmacro %}

{% macro spark__struct_field(struct, field) -%}
    {{ struct }}.{{ field }}
{%- endmacro %}


{#- The same fields as text columns named after them, for a select list. DuckDB: one field of
    the same json_transform each, which DuckDB computes once per row (common subexpressions); not
    unnest(json_transform(...)), which keeps the optimizer from dropping the columns nobody reads
    below it: stg_tracking__events then read the raw lines and identities of every event it
    staged, 35 % of its time on `small` (docs/benchmark.md). -#}
{% macro json_to_text_columns(doc, fields) -%}
    {{ return(adapter.dispatch('json_to_text_columns', 'user_asset_warehouse')(doc, fields)) }}
{%- endmacro %}

{% macro default__json_to_text_columns(doc, fields) -%}
    {%- set parsed = json_struct(doc, fields) -%}
    {%- for field in fields %}
    {{ struct_field(parsed, field) }} as {{ adapter.quote(field) }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro spark__json_to_text_columns(doc, fields) -%}
    {%- for field in fields %}
    {{ json_text(doc, '$.' ~ field) }} as {{ adapter.quote(field) }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- The keys of a JSON object as sorted comma-separated text; null when it is not an object or
    has none. -#}
{% macro json_object_keys_text(doc) -%}
    {{ return(adapter.dispatch('json_object_keys_text', 'user_asset_warehouse')(doc)) }}
{%- endmacro %}

{% macro default__json_object_keys_text(doc) -%}
    case
        when json_type({{ doc }}) = 'OBJECT'
            then nullif(array_to_string(list_sort(json_keys({{ doc }})), ','), '')
    end
{%- endmacro %}

{% macro spark__json_object_keys_text(doc) -%}
    nullif(array_join(sort_array(json_object_keys({{ doc }})), ','), '')
{%- endmacro %}

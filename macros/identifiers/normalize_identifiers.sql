{#- From a relation of raw identifiers (key_columns, identifier_type, raw_value and, when
    app_id_column is given, an app id for scoping openids), one row per input row with:
    identifier_status (valid / placeholder / invalid), identifier_key (salted SHA-256 of the
    normalised value, valid rows only) and identifier_value (the normalised value for non-PII
    types, never for phone or e-mail). Every source's identifiers go through here, so a phone
    hashes to the same key whether it came from an event, an order, the CRM or a touch. -#}
{% macro normalize_identifiers(relation, key_columns, app_id_column=none) -%}
    select
        {% for column in key_columns -%}
        {{ column }},
        {% endfor -%}
        identifier_type,
        {{ identifier_status('is_placeholder', 'normalized_value') }} as identifier_status,
        case
            when {{ identifier_status('is_placeholder', 'normalized_value') }} = 'valid'
                then {{ hash_identifier('identifier_type', 'normalized_value') }}
        end as identifier_key,
        case
            when {{ identifier_status('is_placeholder', 'normalized_value') }} = 'valid'
                then {{ non_pii_identifier_value('identifier_type', 'normalized_value') }}
        end as identifier_value
    from (
        select
            *,
            {{ is_placeholder_identifier('identifier_type', 'raw_value') }} as is_placeholder,
            {{ normalize_identifier('identifier_type', 'raw_value', app_id_column or 'null') }}
                as normalized_value
        from {{ relation }}
    ) as classified
{%- endmacro %}

{#- Money in the raw data arrives as a JSON number or numeric text. A value is acceptable when
    absent, or a non-negative number; anything else ("abc", -5, true) is a bad amount. -#}
{% macro json_amount_is_valid(doc, path) -%}
    case {{ json_kind(doc, path) }}
        when 'UBIGINT' then true
        when 'BIGINT' then try_cast({{ json_text(doc, path) }} as double) >= 0
        when 'DOUBLE' then try_cast({{ json_text(doc, path) }} as double) >= 0
        when 'VARCHAR' then {{ regex_full_match(json_text(doc, path), '[0-9]+(\\.[0-9]+)?') }}
        when 'NULL' then true
        else {{ json_kind(doc, path) }} is null
    end
{%- endmacro %}


{#- Money to decimal(18, 2), null when absent or invalid. -#}
{% macro json_amount(doc, path) -%}
    case
        when {{ json_amount_is_valid(doc, path) }}
            then try_cast({{ json_text(doc, path) }} as decimal(18, 2))
    end
{%- endmacro %}


{#- Money from text (CSV): decimal(18, 2) when a non-negative number, else null. -#}
{% macro text_amount_is_valid(text) -%}
    {{ regex_full_match('trim(' ~ text ~ ')', '[0-9]+(\\.[0-9]+)?') }}
{%- endmacro %}

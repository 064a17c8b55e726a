{#- The normalised form of a raw identifier (SPEC section 3), null when it is not a valid value of
    its type: phone to an 11-digit CN mobile, e-mail trimmed and lower-cased, openid scoped by its
    app_id as `<app_id>/<openid>` (a value already written that way, as campaign touches and
    erasure requests name openids, is kept), device ids lower-cased, other ids trimmed. -#}
{% macro normalize_identifier(identifier_type, raw_value, app_id='null') -%}
    case {{ identifier_type }}
        when 'phone' then {{ normalize_phone(raw_value) }}
        when 'email' then {{ normalize_email(raw_value) }}
        when 'openid' then
            case
                when {{ regex_full_match('trim(' ~ raw_value ~ ')', '[^/\\s]+/[^/\\s]+') }} then trim({{ raw_value }})
                when nullif(trim({{ app_id }}), '') is not null and nullif(trim({{ raw_value }}), '') is not null
                    then trim({{ app_id }}) || '/' || trim({{ raw_value }})
            end
        when 'device_id' then nullif(lower(trim({{ raw_value }})), '')
        else nullif(trim({{ raw_value }}), '')
    end
{%- endmacro %}


{#- "+86 138-0013-8000", "0086 13800138000" and "138 0013 8000" all become "13800138000". -#}
{% macro normalize_phone(raw_value) -%}
    nullif(
        {{ regex_extract(
            regex_replace_all(raw_value, '[^0-9+]', ''),
            '^(?:\\+?86|0086)?(1[3-9][0-9]{9})$',
            1
        ) }},
        ''
    )
{%- endmacro %}


{% macro normalize_email(raw_value) -%}
    case
        when {{ regex_full_match(
            'lower(trim(' ~ raw_value ~ '))', '[a-z0-9._%+\\-]+@[a-z0-9\\-]+(\\.[a-z0-9\\-]+)+'
        ) }}
            then lower(trim({{ raw_value }}))
    end
{%- endmacro %}


{#- True when the raw value is a placeholder listed in the identifier_placeholders seed (for its
    type or for every type): "0", "-1", "null", the all-zero advertising id, ... The seed is read
    when the model runs, so its values become literals in one fast predicate. -#}
{% macro is_placeholder_identifier(identifier_type, raw_value) -%}
    {%- set seed_relation = ref('identifier_placeholders') -%}
    {%- set checks = [] -%}
    {#- While compiling for docs before the first build the seed may not exist yet. -#}
    {%- if can_query_warehouse() and adapter.get_relation(
        seed_relation.database, seed_relation.schema, seed_relation.identifier
    ) is not none -%}
        {%- set rows = run_query(
            "select identifier_type, match_type, pattern from " ~ seed_relation
            ~ " order by identifier_type, match_type, pattern"
        ) -%}
        {%- for row in rows -%}
            {%- set value = "lower(trim(" ~ raw_value ~ "))" -%}
            {%- if row[1] == 'exact' -%}
                {%- set test = value ~ " = " ~ string_literal(row[2]) -%}
            {%- else -%}
                {%- set test = regex_full_match(value, row[2]) -%}
            {%- endif -%}
            {%- if row[0] != '*' -%}
                {%- set test = "(" ~ identifier_type ~ " = '" ~ row[0] ~ "' and " ~ test ~ ")" -%}
            {%- endif -%}
            {%- do checks.append(test) -%}
        {%- endfor -%}
    {%- endif -%}
    coalesce({{ checks | join(' or ') if checks else 'false' }}, false)
{%- endmacro %}


{#- valid / placeholder / invalid, from the placeholder flag and the normalised value. -#}
{% macro identifier_status(is_placeholder, normalized_value) -%}
    case
        when {{ is_placeholder }} then 'placeholder'
        when {{ normalized_value }} is null then 'invalid'
        else 'valid'
    end
{%- endmacro %}


{#- The normalised value where it may leave staging: null for PII types (phone, e-mail), whose
    only trace downstream is the salted hash, and for any other id that is really a phone number
    or an e-mail address (accounts often log in with one). -#}
{% macro non_pii_identifier_value(identifier_type, normalized_value) -%}
    case
        when {{ identifier_type }} not in ({{ quoted_list(var('pii_identifier_types')) }})
            and not {{ looks_like_pii(normalized_value) }}
            then {{ normalized_value }}
    end
{%- endmacro %}

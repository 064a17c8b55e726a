{#- What personal data looks like in text, written once: staging masks it (mask_pii,
    pii_safe_identifier), the build's check looks for it (assert_no_raw_pii_outside_pii_assets, pii_leak_scan.sql),
    and the audit table's messages are redacted with it (redacted_audit_message).

    A CN mobile number: optional +86 (or 86), then 1, 3-9 and nine digits, one space, dot or
    dash allowed between digits; full-width digits count as digits. An e-mail address: @ also
    written as the full-width ＠ or URL-encoded %40. Patterns are RE2 and Java alike. -#}
{% macro pii_phone_pattern() -%}
    {%- set digit = '[0-9\\x{FF10}-\\x{FF19}]' -%}
    {%- set separator = '[ .\\-]' -%}
    {{ return(
        '(?:(?:\\+|\\x{FF0B})?(?:86|\\x{FF18}\\x{FF16})' ~ separator ~ '?)?'
        ~ '[1\\x{FF11}][3-9\\x{FF13}-\\x{FF19}]' ~ digit ~ '(?:' ~ separator ~ '?' ~ digit ~ '){8}'
    ) }}
{%- endmacro %}

{% macro pii_email_pattern() -%}
    {{ return('[A-Za-z0-9._%+\\-]+(?:@|\\x{FF20}|%40)[A-Za-z0-9\\-]+(?:\\.[A-Za-z0-9\\-]+)*\\.[A-Za-z]{2,}') }}
{%- endmacro %}


{#- True when text holds a phone number or an e-mail address. A phone inside a longer run of hex
    digits (a hash, a long order number) does not count: that is what keeps salted keys from
    looking like phones. Each regex runs only on text that can match it, which LIKE, instr and
    length tell nearly for free (CASE evaluates lazily): the e-mail pattern on text with an @, a
    full-width ＠ or a %40 in it (instr: in LIKE, % is a wildcard, and '%40%' held a fifth of all
    hex keys); the phone pattern on text of at least 11 characters (its shortest
    match: 1, 3-9 and nine digits) holding a 1 or a full-width １ (its first digit). So most values
    (states, codes, names) cost no regex at all, and the rest one. Null text is false. -#}
{% macro looks_like_pii(text) -%}
    {%- set not_hex = '[^0-9A-Fa-f\\x{FF10}-\\x{FF19}]' -%}
    case
        when ({{ text }} like '%@%' or instr({{ text }}, '%40') > 0 or {{ text }} like '%＠%')
            and {{ regex_search(text, pii_email_pattern()) }} then true
        when length({{ text }}) < 11 or not ({{ text }} like '%1%' or {{ text }} like '%１%') then false
        else coalesce({{ regex_search(text, '(?:^|' ~ not_hex ~ ')' ~ pii_phone_pattern() ~ '(?:$|' ~ not_hex ~ ')') }}, false)
    end
{%- endmacro %}


{#- Free text with every phone number and e-mail address replaced by <phone> / <email>, for the
    fields users type or paste into (search terms, pages, referrers) that travel beyond staging. -#}
{% macro mask_pii(text) -%}
    {{ regex_replace_all(
        regex_replace_all(text, pii_email_pattern(), '<email>'),
        pii_phone_pattern(),
        '<phone>'
    ) }}
{%- endmacro %}


{#- An id column (distinct_id, coupon_id ...) that may hold a phone or an e-mail: such a value is
    replaced by a salted key, so it still joins and counts as one value. A value that is a phone or
    an e-mail becomes that identifier's key (the identifier_key its events carry); any other value
    holding one is keyed as type 'masked'. Other values pass unchanged. -#}
{% macro pii_safe_identifier(column) -%}
    case
        when not {{ looks_like_pii(column) }} then {{ column }}
        when {{ normalize_phone(column) }} is not null
            then {{ hash_identifier("'phone'", normalize_phone(column)) }}
        when {{ normalize_email(column) }} is not null
            then {{ hash_identifier("'email'", normalize_email(column)) }}
        else {{ hash_identifier("'masked'", column) }}
    end
{%- endmacro %}

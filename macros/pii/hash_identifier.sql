{#- The PII salt, from USER_ASSETS_PII_SALT. The development default is public: an on-run-start
    hook warns loudly when it is in use (warn_if_default_pii_salt). -#}
{% macro pii_salt() -%}
    {{ return(env_var('USER_ASSETS_PII_SALT', 'user-asset-warehouse-development-salt')) }}
{%- endmacro %}


{#- Lower-case hex SHA-256 of `<salt>:<identifier_type>:<normalised value>` (SPEC section 3), so a
    CRM team holding the salt computes the same key from its own data. -#}
{% macro hash_identifier(identifier_type, normalized_value) -%}
    {%- set salt_literal = string_literal(pii_salt() ~ ':') -%}
    {{ sha256_hex(salt_literal ~ " || " ~ identifier_type ~ " || ':' || " ~ normalized_value) }}
{%- endmacro %}


{% macro sha256_hex(text) -%}
    {{ return(adapter.dispatch('sha256_hex', 'user_asset_warehouse')(text)) }}
{%- endmacro %}

{% macro default__sha256_hex(text) -%}
    sha256({{ text }})
{%- endmacro %}

{% macro spark__sha256_hex(text) -%}
    sha2({{ text }}, 256)
{%- endmacro %}

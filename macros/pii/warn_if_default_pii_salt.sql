{#- on-run-start hook: hashes made with the public development salt can be reversed by anyone
    with a phone book, so say so on every run that uses it. -#}
{% macro warn_if_default_pii_salt() %}
    {%- if execute and env_var('USER_ASSETS_PII_SALT', '') == '' -%}
        {{ log("WARNING: USER_ASSETS_PII_SALT is not set: identifiers are hashed with the public development salt. Set it to a secret before loading real data.", info=true) }}
    {%- endif -%}
    select 1 as pii_salt_checked
{% endmacro %}

{#- The PII salt, as SQL that reads it at run time, never its value: Jinja does not see the secret,
    so it is in no compiled SQL, dbt artifact, log or docs page. On DuckDB the profile's plugin
    (orchestration/duckdb_plugin.py) sets it on every connection; on Spark, Spark substitutes the
    environment variable, which orchestration/spark_dbt.py sets (to the development default when
    unset). Either way the value comes from orchestration/settings.py, which also warns loudly about
    the public development default. Hashing fails, rather than hashing without a salt, when it is
    missing, so a view that hashes fails for its readers: hash in tables. The salt is a constant for
    the query planner, so hashing runs at native speed. -#}
{% macro pii_salt() -%}
    {{ return(adapter.dispatch('pii_salt', 'user_asset_warehouse')()) }}
{%- endmacro %}

{% macro default__pii_salt() -%}
    coalesce(
        getvariable('user_assets_pii_salt')::varchar,
        error('The PII salt is not set on this DuckDB connection: run dbt with the profile in this repository, whose plugin orchestration.duckdb_plugin sets it.')
    )
{%- endmacro %}

{% macro spark__pii_salt() -%}
    {#- '$' || '{' keeps Spark from substituting the test itself. -#}
    if(
        startswith('${env:USER_ASSETS_PII_SALT}', '$' || '{'),
        raise_error('The PII salt is not set: run dbt on Spark with python -m orchestration.spark_dbt, which sets USER_ASSETS_PII_SALT.'),
        '${env:USER_ASSETS_PII_SALT}'
    )
{%- endmacro %}


{#- Lower-case hex SHA-256 of `<salt>:<identifier_type>:<normalised value>` (SPEC section 3), so a
    CRM team holding the salt computes the same key from its own data. -#}
{% macro hash_identifier(identifier_type, normalized_value) -%}
    {{ sha256_hex(pii_salt() ~ " || ':' || " ~ identifier_type ~ " || ':' || " ~ normalized_value) }}
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

{#- The versions of each identifier's person assignment (the snp_identity_persons snapshot), for
    fct_identity_merges. On Spark the snapshot is disabled (a dbt-spark snapshot needs Delta, not
    available here): an empty relation with the snapshot's columns, so there is no merge history
    and fct_identity_merges builds empty. -#}
{% macro identity_person_versions() -%}
    {{ return(adapter.dispatch('identity_person_versions', 'user_asset_warehouse')()) }}
{%- endmacro %}

{% macro default__identity_person_versions() -%}
    {{ return(ref('snp_identity_persons')) }}
{%- endmacro %}

{% macro spark__identity_person_versions() -%}
    (
        select
            *,
            cast(null as timestamp) as dbt_updated_at,
            cast(null as timestamp) as dbt_valid_from,
            cast(null as timestamp) as dbt_valid_to,
            cast(null as string) as dbt_scd_id
        from {{ ref('int_identity_persons_assigned') }}
        where false
    ) as snp_identity_persons
{%- endmacro %}

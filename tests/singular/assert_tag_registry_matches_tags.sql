-- Every tag in the registry is computed (macros/persons/person_tags.sql) and every computed tag
-- is registered; in a warehouse of at least 100 persons every registered tag also has rows in
-- fct_person_tags (a handful of test persons may legitimately have no buyer, say), unless the
-- raw source the tag needs (tag_registry.required_source) has no records: such a tag is not
-- applicable. Returns the offending tag codes with what is wrong.
-- In Dagster a check of fct_person_tags (meta.dagster.ref: a test of several models needs one).
{{ config(meta={'dagster': {'ref': {'name': 'fct_person_tags'}}}) }}

with

registry as (

    select * from {{ ref('tag_registry') }}

),

sources_landed as (

    select * from {{ ref('int_raw_sources_landed') }}

),

computed as (

    select computed_tags.tag_code
    from (
        values
        {%- for code in person_tags() %}
            ('{{ code }}'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as computed_tags (tag_code)

),

tagged as (

    select distinct tag_code from {{ ref('fct_person_tags') }}

),

persons as (

    select count(*) as person_count from {{ ref('dim_persons') }}

)

select
    registry.tag_code,
    'registered but not computed in macros/persons/person_tags.sql' as problem
from registry
where registry.tag_code not in (select computed.tag_code from computed)

union all

select
    computed.tag_code,
    'computed but missing from seeds/persons/tag_registry.csv' as problem
from computed
where computed.tag_code not in (select registry.tag_code from registry)

union all

select
    registry.tag_code,
    'registered but no rows in fct_person_tags' as problem
from registry
cross join persons
left join sources_landed on registry.required_source = sources_landed.raw_source
where persons.person_count >= 100
    and coalesce(sources_landed.has_accepted_records, registry.required_source is null)
    and registry.tag_code not in (select tagged.tag_code from tagged)

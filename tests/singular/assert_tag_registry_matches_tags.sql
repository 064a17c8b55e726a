-- Every tag in the registry has rows in fct_person_tags, and every computed tag is registered.
-- Returns the offending tag codes with what is wrong.
with

registry as (

    select tag_code from {{ ref('tag_registry') }}

),

computed as (

    select distinct tag_code from {{ ref('fct_person_tags') }}

)

select
    registry.tag_code,
    'registered but no rows in fct_person_tags' as problem
from registry
where registry.tag_code not in (select computed.tag_code from computed)

union all

select
    computed.tag_code,
    'computed but missing from the tag_registry seed' as problem
from computed
where computed.tag_code not in (select registry.tag_code from registry)

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key=['as_of_date', 'coverage_area', 'item'],
        on_schema_change='fail',
    )
}}

-- One row per as-of date, coverage area and item: how much of the user base the warehouse knows
-- and can reach. Areas: identifier_type (persons holding at least one identifier of the type),
-- reachable_channel (persons reachable with marketing consent), profile_field (persons with the
-- field filled), tag (persons carrying the tag), completeness (persons with every profile field /
-- every tag of the registry). Incremental by as-of date: each daily run adds its date and a rerun
-- for the same date replaces it, so the table keeps the coverage trend.
{%- set identifier_types = var('identity_types') + ['member_id'] %}
{%- set reach_channels = ['push', 'sms', 'email', 'wechat'] %}
{%- set profile_fields = ['gender', 'age_band', 'city', 'member_level', 'preferred_channel',
                          'preferred_category', 'preferred_hour', 'dominant_category'] %}
with

persons as (

    select * from {{ ref('dim_persons') }}

),

person_tags as (

    select * from {{ ref('fct_person_tags') }}

),

tag_registry as (

    select * from {{ ref('tag_registry') }}

),

totals as (

    select
        max(as_of_date) as as_of_date,
        count(*) as total_persons
    from persons

),

person_counts as (

    {%- for identifier_type in identifier_types %}
        select
            'identifier_type' as coverage_area,
            '{{ identifier_type }}' as item,
            sum(case when {{ identifier_type }}_count > 0 then 1 else 0 end) as persons
        from persons
        union all
    {%- endfor %}
    {%- for channel in reach_channels %}
        select
            'reachable_channel' as coverage_area,
            '{{ channel }}' as item,
            sum(case when can_{{ channel }} then 1 else 0 end) as persons
        from persons
        union all
    {%- endfor %}
    select
        'reachable_channel' as coverage_area,
        'any' as item,
        sum(case when reachable_channel_count > 0 then 1 else 0 end) as persons
    from persons
    union all
    {%- for field in profile_fields %}
        select
            'profile_field' as coverage_area,
            '{{ field }}' as item,
            count({{ field }}) as persons
        from persons
        union all
    {%- endfor %}
    select
        'completeness' as coverage_area,
        'all_profile_fields' as item,
        sum(
            case when {{ profile_fields | join(' is not null and ') }} is not null then 1 else 0 end
        ) as persons
    from persons

),

tag_counts as (

    select
        tag_registry.tag_code as item,
        count(distinct person_tags.one_id) as persons
    from tag_registry
    left join person_tags on tag_registry.tag_code = person_tags.tag_code
    group by tag_registry.tag_code

),

persons_with_every_tag as (

    select count(*) as persons
    from (
        select one_id
        from person_tags
        group by one_id
        having count(distinct tag_code) = (select count(*) from tag_registry)
    ) as fully_tagged

),

coverage as (

    select
        coverage_area,
        item,
        persons
    from person_counts
    union all
    select
        'tag' as coverage_area,
        item,
        persons
    from tag_counts
    union all
    select
        'completeness' as coverage_area,
        'all_tags' as item,
        persons
    from persons_with_every_tag

)

select
    totals.as_of_date,
    coverage.coverage_area,
    coverage.item,
    cast(coverage.persons as bigint) as persons,
    cast(totals.total_persons as bigint) as total_persons,
    coalesce(round(cast(coverage.persons as double) / nullif(totals.total_persons, 0), 4), 0)
        as coverage_share
from coverage
cross join totals

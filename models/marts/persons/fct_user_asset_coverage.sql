{{
    config(
        on_schema_change='append_new_columns',
        **partition_incremental_config('as_of_date', rewrites_from_cutoff=false)
    )
}}

-- One row per as-of date, coverage area and item: how much of the user base the warehouse knows
-- and can reach. Areas: identifier_type (persons holding at least one identifier of the type),
-- reachable_channel (persons reachable with marketing consent), profile_field (persons with the
-- field filled), tag (persons carrying the tag), completeness (persons with every profile field /
-- every applicable tag of the registry). An item that needs a raw source without records (a CRM
-- field, an order tag) is not applicable: the row stays, with is_applicable false, and the
-- completeness rows leave it out. Incremental by as-of date: each daily run adds its date and a
-- rerun for the same date replaces it, so the table keeps the coverage trend.
{%- set identifier_types = var('identity_types') + ['member_id'] %}
{%- set reach_channels = ['push', 'sms', 'email', 'wechat'] %}
{#- profile fields from the CRM export, and from events -#}
{%- set crm_fields = ['gender', 'age_band', 'city', 'member_level'] %}
{%- set event_fields = ['preferred_channel', 'preferred_category', 'preferred_hour', 'dominant_category'] %}
with

persons as (

    select * from {{ ref('dim_persons') }}

),

person_tags as (

    -- One row per person and tag on its newest as-of date (the grain of fct_person_tags,
    -- tested), so rows are counted, not distinct persons or tags: a distinct count over every
    -- tag row cost most of this model.
    select * from {{ ref('fct_person_tags') }}
    where as_of_date = (select max(newest.as_of_date) from {{ ref('fct_person_tags') }} as newest)

),

tag_registry as (

    select * from {{ ref('tag_registry') }}

),

sources_landed as (

    select * from {{ ref('int_raw_sources_landed') }}

),

landed as (

    -- One row: whether each optional source has records.
    select
        coalesce(max(case when raw_source = 'crm_members' then has_accepted_records end), false)
            as has_crm_members,
        coalesce(max(case when raw_source = 'orders' then has_accepted_records end), false)
            as has_orders
    from sources_landed

),

applicable_tags as (

    select tag_registry.tag_code
    from tag_registry
    cross join landed
    where tag_registry.required_source is null
        or (tag_registry.required_source = 'crm_members' and landed.has_crm_members)
        or (tag_registry.required_source = 'orders' and landed.has_orders)

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
            sum(case when {{ identifier_type }}_count > 0 then 1 else 0 end) as persons,
            {% if identifier_type == 'member_id' -%}
                'crm_members'
            {%- else -%}
                cast(null as {{ dbt.type_string() }})
            {%- endif %} as required_source
        from persons
        union all
    {%- endfor %}
    {%- for channel in reach_channels %}
        select
            'reachable_channel' as coverage_area,
            '{{ channel }}' as item,
            sum(case when can_{{ channel }} then 1 else 0 end) as persons,
            -- reachability needs the CRM's marketing consent
            'crm_members' as required_source
        from persons
        union all
    {%- endfor %}
    select
        'reachable_channel' as coverage_area,
        'any' as item,
        sum(case when reachable_channel_count > 0 then 1 else 0 end) as persons,
        'crm_members' as required_source
    from persons
    union all
    {%- for field in crm_fields + event_fields %}
        select
            'profile_field' as coverage_area,
            '{{ field }}' as item,
            count({{ field }}) as persons,
            {% if field in crm_fields -%}
                'crm_members'
            {%- else -%}
                cast(null as {{ dbt.type_string() }})
            {%- endif %} as required_source
        from persons
        union all
    {%- endfor %}
    select
        'completeness' as coverage_area,
        'all_profile_fields' as item,
        -- without CRM records the CRM fields are not applicable and count as filled
        sum(
            case
                when {{ event_fields | join(' is not null and ') }} is not null
                    and (
                        not landed.has_crm_members
                        or {{ crm_fields | join(' is not null and ') }} is not null
                    )
                    then 1
                else 0
            end
        ) as persons,
        cast(null as {{ dbt.type_string() }}) as required_source
    from persons
    cross join landed

),

tag_counts as (

    select
        tag_registry.tag_code as item,
        count(person_tags.one_id) as persons,
        tag_registry.required_source
    from tag_registry
    left join person_tags on tag_registry.tag_code = person_tags.tag_code
    group by tag_registry.tag_code, tag_registry.required_source

),

persons_with_every_tag as (

    select count(*) as persons
    from (
        select one_id
        from person_tags
        where tag_code in (select applicable_tags.tag_code from applicable_tags)
        group by one_id
        having count(*) = (select count(*) from applicable_tags)
    ) as fully_tagged

),

coverage as (

    select
        coverage_area,
        item,
        persons,
        required_source
    from person_counts
    union all
    select
        'tag' as coverage_area,
        item,
        persons,
        required_source
    from tag_counts
    union all
    select
        'completeness' as coverage_area,
        'all_tags' as item,
        persons,
        cast(null as {{ dbt.type_string() }}) as required_source
    from persons_with_every_tag

)

select
    totals.as_of_date,
    coverage.coverage_area,
    coverage.item,
    cast(coverage.persons as bigint) as persons,
    cast(totals.total_persons as bigint) as total_persons,
    coalesce(round(cast(coverage.persons as double) / nullif(totals.total_persons, 0), 4), 0)
        as coverage_share,
    coalesce(sources_landed.has_accepted_records, coverage.required_source is null) as is_applicable
from coverage
cross join totals
left join sources_landed on coverage.required_source = sources_landed.raw_source

-- One row per raw source: its non-blank lines and accepted records in this build. Every source
-- but events is optional; what needs an absent source (a CRM tag, an order tag) is "not
-- applicable" rather than missing (fct_user_asset_coverage, assert_tag_registry_matches_tags).
{%- set line_models = {
    'events': 'base_tracking__event_lines',
    'orders': 'base_oms__order_lines',
    'crm_members': 'base_crm__member_lines',
    'campaign_touches': 'base_marketing__campaign_touch_lines',
    'erasure_requests': 'base_privacy__erasure_request_lines',
} %}
with

counted as (

    {%- for raw_source, line_model in line_models.items() %}
        select
            '{{ raw_source }}' as raw_source,
            count(*) as line_count,
            -- a sum over no rows is null: an absent source has 0 accepted records
            coalesce(sum(case when line_status = 'accepted' then 1 else 0 end), 0) as accepted_count
        from {{ ref(line_model) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

)

select
    raw_source,
    cast(line_count as bigint) as line_count,
    cast(accepted_count as bigint) as accepted_count,
    accepted_count > 0 as has_accepted_records
from counted

{%- set reach_channels = ['push', 'sms', 'email', 'wechat'] -%}

with

persons as (

    select * from {{ ref('int_identity_persons_assigned') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

event_facts as (

    select * from {{ ref('int_person_event_facts') }}

),

order_facts as (

    select * from {{ ref('int_person_order_facts') }}

),

engagement as (

    select * from {{ ref('fct_person_engagement') }}

),

category_groups as (

    select * from {{ ref('dim_person_category_groups') }}

),

members as (

    select * from {{ ref('stg_crm__members') }}

),

identifier_counts as (

    select
        one_id,
        max(case when is_anchor then identifier_type end) as anchor_identifier_type,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        count(*) as identifier_count,
        {% for identifier_type in var('identity_types') + ['member_id'] -%}
            count(*) filter (where identifier_type = '{{ identifier_type }}')
                as {{ identifier_type }}_count,
        {% endfor -%}
        count(*) filter (where identifier_type = 'account_id') > 0 as has_account,
        -- The person can get a WeChat template message when they follow the brand's account.
        count(*) filter (
            where identifier_type = 'openid'
            and identifier_value like '{{ var("wechat_template_app_id") }}/%'
        ) > 0 as has_wechat_template_openid,
        max(case when identifier_type = 'member_id' then identifier_value end) as member_id
    from persons
    group by 1

),

crm as (

    select
        identifier_counts.one_id,
        members.member_id,
        members.gender,
        members.city,
        members.member_level,
        members.has_marketing_consent,
        members.registered_at,
        {{ calendar_years_between("members.birth_date", "as_of.as_of_date") }}
        - case
            when {{ month_day('as_of.as_of_date') }} < {{ month_day('members.birth_date') }} then 1
            else 0
        end as age_years
    from identifier_counts
    inner join members on identifier_counts.member_id = members.member_id
    cross join as_of

),

reach as (

    -- A channel is reachable when the person has an address on it and gave marketing consent
    -- (CRM); without a CRM record consent is unknown and nothing is reachable.
    select
        identifier_counts.one_id,
        coalesce(crm.has_marketing_consent, false) as has_marketing_consent,
        coalesce(crm.has_marketing_consent, false)
        and coalesce(event_facts.app_channel_event_count, 0) > 0
        and identifier_counts.device_id_count > 0 as can_push,
        coalesce(crm.has_marketing_consent, false) and identifier_counts.phone_count > 0 as can_sms,
        coalesce(crm.has_marketing_consent, false)
        and identifier_counts.email_count > 0 as can_email,
        coalesce(crm.has_marketing_consent, false) and identifier_counts.has_wechat_template_openid
            as can_wechat
    from identifier_counts
    left join crm on identifier_counts.one_id = crm.one_id
    left join event_facts on identifier_counts.one_id = event_facts.one_id

),

final as (

    select
        -- ids
        identifier_counts.one_id,
        as_of.as_of_date,

        -- identity
        identifier_counts.anchor_identifier_type,
        identifier_counts.identifier_count,
        {% for identifier_type in var('identity_types') + ['member_id'] -%}
            identifier_counts.{{ identifier_type }}_count,
        {% endfor -%}
        identifier_counts.has_account,
        identifier_counts.first_seen_at,
        identifier_counts.last_seen_at,

        -- activity
        coalesce(event_facts.event_count, 0) as event_count,
        event_facts.first_event_at,
        event_facts.last_event_at,
        coalesce(event_facts.active_days, 0) as active_days,
        coalesce(event_facts.session_count, 0) as session_count,
        coalesce(event_facts.channel_count, 0) as channel_count,
        event_facts.channels_used,
        coalesce(event_facts.app_count, 0) as app_count,
        event_facts.apps_used,
        {{ calendar_days_between("cast(event_facts.last_event_at as date)", "as_of.as_of_date") }}
            as days_since_last_event,

        -- events by type
        {% for event_name in var('event_names') -%}
            coalesce(event_facts.{{ event_name }}_count, 0) as {{ event_name }}_count,
        {% endfor %}

        -- habits
        event_facts.preferred_channel,
        event_facts.preferred_category,
        event_facts.preferred_hour,
        event_facts.preferred_weekday,
        event_facts.weekend_event_share,

        -- orders and value
        coalesce(order_facts.order_count, 0) as order_count,
        coalesce(order_facts.paid_order_count, 0) as paid_order_count,
        coalesce(order_facts.net_order_count, 0) as net_order_count,
        coalesce(order_facts.refunded_order_count, 0) as refunded_order_count,
        coalesce(order_facts.cancelled_order_count, 0) as cancelled_order_count,
        coalesce(order_facts.gross_gmv, 0) as gross_gmv,
        coalesce(order_facts.deducted_gmv, 0) as deducted_gmv,
        coalesce(order_facts.net_gmv, 0) as net_gmv,
        order_facts.average_order_value,
        order_facts.first_paid_at,
        order_facts.last_paid_at,
        {{ calendar_days_between("cast(order_facts.last_paid_at as date)", "as_of.as_of_date") }}
            as days_since_last_order,
        category_groups.group_basis as category_group_basis,
        category_groups.dominant_category,
        category_groups.dominant_category_share,

        -- engagement
        coalesce(engagement.engagement_points, 0) as engagement_points,
        coalesce(engagement.engagement_score, 0) as engagement_score,
        engagement.engagement_decile,

        -- crm
        crm.member_id,
        crm.gender,
        case
            when crm.age_years < 18 then 'under_18'
            when crm.age_years < 25 then '18_24'
            when crm.age_years < 35 then '25_34'
            when crm.age_years < 45 then '35_44'
            when crm.age_years < 55 then '45_54'
            when crm.age_years >= 55 then '55_plus'
        end as age_band,
        crm.city,
        crm.member_level,
        crm.registered_at as member_registered_at,

        -- consent and reachability
        reach.has_marketing_consent,
        {% for channel in reach_channels -%}
            reach.can_{{ channel }},
        {% endfor -%}
        {% for channel in reach_channels -%}
            case when reach.can_{{ channel }} then 1 else 0 end
            {%- if not loop.last %} + {% endif %}
        {%- endfor %} as reachable_channel_count
    from identifier_counts
    cross join as_of
    left join event_facts on identifier_counts.one_id = event_facts.one_id
    left join order_facts on identifier_counts.one_id = order_facts.one_id
    left join engagement on identifier_counts.one_id = engagement.one_id
    left join category_groups on identifier_counts.one_id = category_groups.one_id
    left join crm on identifier_counts.one_id = crm.one_id
    left join reach on identifier_counts.one_id = reach.one_id

)

select * from final

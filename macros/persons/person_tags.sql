{#- The person tags: code -> SQL expression over the `facts` CTE of fct_person_tags (dim_persons
    plus days_since_first_event, average_order_gap_days and buyer_gmv_percent_rank) giving the
    tag's value as text, or null where the tag does not apply to the person. Every code must
    have a row in seeds/persons/tag_registry.csv and the other way round
    (tests/singular/assert_tag_registry_matches_tags.sql). -#}
{% macro person_tags() -%}
{%- set tags = {
    'gender': "gender",
    'age_band': "age_band",
    'city': "city",
    'member_level': "member_level",
    'is_member': "member_id is not null",
    'has_marketing_consent': "has_marketing_consent",
    'reachable_channels': "coalesce(nullif(concat_ws(',',
        case when can_push then 'push' end, case when can_sms then 'sms' end,
        case when can_email then 'email' end, case when can_wechat then 'wechat' end), ''), 'none')",
    'preferred_channel': "preferred_channel",
    'preferred_category': "preferred_category",
    'active_time_band': "case
        when preferred_hour < 6 then 'night' when preferred_hour < 12 then 'morning'
        when preferred_hour < 18 then 'afternoon' when preferred_hour < 24 then 'evening' end",
    'weekend_active': "case when event_count > 0 then weekend_event_share >= 0.5 end",
    'multi_channel_user': "channel_count >= 2",
    'multi_device_user': "device_id_count >= 2",
    'cart_no_purchase': "add_to_cart_count > 0 and paid_order_count = 0",
    'category_group': "dominant_category",
    'buyer_type': "case when net_order_count = 0 then 'prospect'
        when net_order_count = 1 then 'one_time' else 'repeat' end",
    'net_gmv_band': "case when net_gmv <= 0 then '0' when net_gmv < 200 then '1_199'
        when net_gmv < 1000 then '200_999' when net_gmv < 5000 then '1000_4999' else '5000_plus' end",
    'high_value_buyer': "case when net_gmv > 0 then buyer_gmv_percent_rank >= 0.9 else false end",
    'refund_prone': "refunded_order_count >= 2 and refunded_order_count >= 0.3 * paid_order_count",
    'engagement_decile': "engagement_decile",
    'engagement_level': "case when engagement_decile >= 8 then 'high'
        when engagement_decile >= 4 then 'medium' else 'low' end",
    'lifecycle_stage': "case
        when last_event_at is null then 'never_active'
        when days_since_first_event < " ~ var('lifecycle_new_days') ~ " then 'new'
        when days_since_last_event < " ~ var('lifecycle_dormant_days') ~ " then 'active'
        when days_since_last_event < " ~ var('lifecycle_churned_days') ~ " then 'dormant'
        else 'churned' end",
    'is_new_user': "coalesce(days_since_first_event < " ~ var('lifecycle_new_days') ~ ", false)",
    'order_recency_band': "case when days_since_last_order is null then 'never'
        when days_since_last_order <= 30 then '0_30' when days_since_last_order <= 90 then '31_90'
        when days_since_last_order <= 180 then '91_180' else '181_plus' end",
    'repurchase_due': "case when average_order_gap_days is not null then
        days_since_last_order >= average_order_gap_days
        and days_since_last_order <= 2 * average_order_gap_days else false end",
    'churn_risk': "case when paid_order_count = 0 then null
        when days_since_last_order > coalesce(2 * average_order_gap_days, 90) then 'high'
        when days_since_last_order > coalesce(average_order_gap_days, 45) then 'medium'
        else 'low' end",
} -%}
{{ return(tags) }}
{%- endmacro %}

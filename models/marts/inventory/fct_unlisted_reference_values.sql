-- One row per reference seed, source column and value that the data holds but the seed does
-- not list. Reference seeds enrich (a category's names), they do not gate: such a value flows
-- through under its own code, and here it is counted with where it came from, so that a data
-- team can add it to the seed. The warn-level test assert_reference_values_listed names the
-- count in every build.
{#- reference -> what lists its values (a seed's key column, or a list: the canonical event names
    and channels that event_name_map and event_channel_map map onto) and the (model, column)
    pairs that carry its values. Identifier keys an adapter format could not map are counted
    from base_tracking__event_lines (docs/event-formats.md). -#}
{%- set references = [
    {'seed': 'categories', 'key': 'category', 'columns': [
        ('stg_oms__order_items', 'category'),
        ('stg_tracking__events', 'category'),
    ]},
    {'seed': 'event_name_map', 'listed': var('event_names'), 'columns': [
        ('stg_tracking__events', 'event_name'),
    ]},
    {'seed': 'event_channel_map', 'listed': var('event_channels'), 'columns': [
        ('stg_tracking__events', 'channel'),
    ]},
] %}
with

unlisted as (

    {%- for reference in references %}
        {%- for model, column in reference['columns'] %}
            select
                '{{ reference["seed"] }}' as reference_seed,
                '{{ model }}' as source_model,
                '{{ column }}' as source_column,
                data_values.{{ column }} as unlisted_value,
                count(*) as row_count
            from {{ ref(model) }} as data_values
            {%- if reference['key'] %}
            left join {{ ref(reference['seed']) }} as listed
                on data_values.{{ column }} = listed.{{ reference['key'] }}
            where
                data_values.{{ column }} is not null
                and listed.{{ reference['key'] }} is null
            {%- else %}
            where data_values.{{ column }} not in ({{ quoted_list(reference['listed']) }})
            {%- endif %}
            group by data_values.{{ column }}
            union all
        {%- endfor %}
    {%- endfor %}

    select
        'identity_types' as reference_seed,
        'base_tracking__event_lines' as source_model,
        'unlisted_identity_keys' as source_column,
        identity_key as unlisted_value,
        count(*) as row_count
    from (
        select {{ split_text_to_rows('unlisted_identity_keys') }} as identity_key
        from {{ ref('base_tracking__event_lines') }}
        where line_status = 'accepted' and unlisted_identity_keys is not null
    ) as identity_keys
    group by identity_key

)

select
    reference_seed,
    source_model,
    source_column,
    unlisted_value,
    cast(row_count as bigint) as row_count
from unlisted

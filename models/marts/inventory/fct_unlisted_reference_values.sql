-- One row per reference seed, source column and value that the data holds but the seed does
-- not list. Reference seeds enrich (a category's names), they do not gate: such a value flows
-- through under its own code, and here it is counted with where it came from, so that a data
-- team can add it to the seed. The warn-level test assert_reference_values_listed names the
-- count in every build.
{#- reference seed -> its key column and the (model, column) pairs that carry its values -#}
{%- set references = [
    {'seed': 'categories', 'key': 'category', 'columns': [
        ('stg_oms__order_items', 'category'),
        ('stg_tracking__events', 'category'),
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
            left join {{ ref(reference['seed']) }} as listed
                on data_values.{{ column }} = listed.{{ reference['key'] }}
            where
                data_values.{{ column }} is not null
                and listed.{{ reference['key'] }} is null
            group by data_values.{{ column }}
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
        {%- if not loop.last %}
        union all
        {%- endif %}
    {%- endfor %}

)

select
    reference_seed,
    source_model,
    source_column,
    unlisted_value,
    cast(row_count as bigint) as row_count
from unlisted

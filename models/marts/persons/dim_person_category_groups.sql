with

persons as (

    select distinct one_id from {{ ref('int_identity_persons_assigned') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

activity as (

    select * from {{ ref('int_person_category_activity') }}

),

categories as (

    select * from {{ ref('categories') }}

),

buyers as (

    -- Buyers are grouped by net spend, everyone else by what they viewed.
    select one_id
    from activity
    group by 1
    having sum(net_spend_amount) > 0

),

measured as (

    select
        activity.one_id,
        activity.category,
        case when buyers.one_id is not null then 'net_spend' else 'views' end as group_basis,
        case
            when buyers.one_id is not null then cast(activity.net_spend_amount as double)
            else cast(activity.product_view_count as double)
        end as measure,
        case
            when buyers.one_id is not null then activity.last_ordered_at
            else activity.last_viewed_at
        end as last_activity_at
    from activity
    left join buyers on activity.one_id = buyers.one_id

),

ranked as (

    -- The dominant category has the largest measure; a tie goes to the category with the most
    -- recent purchase (or view), then to the first category code in alphabetical order.
    select
        one_id,
        category,
        group_basis,
        measure,
        sum(measure) over (partition by one_id) as total_measure,
        count(*) over (partition by one_id) as category_count,
        row_number() over (
            partition by one_id
            order by measure desc, last_activity_at desc nulls last, category asc
        ) as category_rank
    from measured
    where measure > 0

),

final as (

    select
        persons.one_id,
        as_of.as_of_date,
        coalesce(ranked.group_basis, 'none') as group_basis,
        ranked.category as dominant_category,
        -- A category the seed does not list keeps its code as its name (and is reported in
        -- fct_unlisted_reference_values).
        coalesce(categories.name_zh, ranked.category) as dominant_category_name_zh,
        coalesce(categories.name_en, ranked.category) as dominant_category_name_en,
        cast(round(ranked.measure / ranked.total_measure, 4) as double) as dominant_category_share,
        cast(ranked.measure as double) as dominant_category_measure,
        coalesce(ranked.category_count, 0) as category_count
    from persons
    cross join as_of
    left join ranked on persons.one_id = ranked.one_id and ranked.category_rank = 1
    left join categories on ranked.category = categories.category

)

select * from final

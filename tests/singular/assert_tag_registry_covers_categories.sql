-- The starting tag set covers every tag category; returns the categories with no tag.
with

tag_categories as (

    select categories.category_name
    from (
        values ('attribute'), ('behaviour'), ('value'), ('lifecycle'), ('prediction')
    ) as categories (category_name)

),

registry as (

    select * from {{ ref('tag_registry') }}

)

select tag_categories.category_name
from tag_categories
where tag_categories.category_name not in (select registry.category from registry)

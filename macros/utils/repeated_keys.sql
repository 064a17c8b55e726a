{#- The keys of `model` that occur more than once among its rows meeting `where`: one row per
    repeated combination of `columns`, with row_count. Rows are grouped by a hash of the columns
    first, and only the rows whose hash occurs more than once are grouped by the columns
    themselves, so a hash collision is never reported as a repeat. Grouping one integer is
    cheaper than grouping strings and dates (docs/benchmark.md). The query of the unique and
    unique_combination_of_columns tests (tests/generic). -#}
{% macro repeated_keys(model, columns, where='true') -%}
{%- set key = columns | join(', ') %}

with

repeated_hashes as (

    select hash({{ key }}) as key_hash
    from {{ model }}
    where {{ where }}
    group by 1
    having count(*) > 1

)

select
    {{ key }},
    count(*) as row_count
from {{ model }}
where
    {{ where }}
    and hash({{ key }}) in (select repeated_hashes.key_hash from repeated_hashes)
group by {{ key }}
having count(*) > 1
{%- endmacro %}

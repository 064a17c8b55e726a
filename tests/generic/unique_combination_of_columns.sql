{#- The columns together identify a row: no combination occurs twice (nulls included).
    Rows are grouped by a hash of the columns first, and only the rows whose hash occurs more than
    once are grouped by the columns themselves, so a collision is never reported as a duplicate.
    Grouping a single integer is cheaper than grouping strings and dates (README: Benchmark). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{%- set columns = combination_of_columns | join(', ') %}

with

repeated_hashes as (

    select hash({{ columns }}) as row_hash
    from {{ model }}
    group by 1
    having count(*) > 1

)

select
    {{ columns }},
    count(*) as row_count
from {{ model }}
where hash({{ columns }}) in (select repeated_hashes.row_hash from repeated_hashes)
group by {{ columns }}
having count(*) > 1

{% endtest %}

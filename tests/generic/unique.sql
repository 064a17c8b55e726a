{#- Overrides dbt's built-in `unique` test, with the same result: the column's non-null values
    occur once each. As in unique_combination_of_columns, the values are grouped by their hash
    first and only the values whose hash repeats are grouped themselves, so a collision is never
    reported (README: Benchmark). -#}
{% test unique(model, column_name) %}

with

repeated_hashes as (

    select hash({{ column_name }}) as value_hash
    from {{ model }}
    where {{ column_name }} is not null
    group by 1
    having count(*) > 1

)

select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where
    {{ column_name }} is not null
    and hash({{ column_name }}) in (select repeated_hashes.value_hash from repeated_hashes)
group by {{ column_name }}
having count(*) > 1

{% endtest %}

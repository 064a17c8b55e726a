{#- Every row satisfies the expression; failing rows are returned. On a column, the expression
    may start with an operator (">= 0") and is applied to that column. -#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce({{ column_name ~ ' ' if column_name else '' }}{{ expression }}, false)

{% endtest %}

{#- Position of an order status in the order flow, used to break ties between status lines with
    the same updated_at: the later step is the order's state. -#}
{% macro order_status_step(status) -%}
    case {{ status }}
        when 'refunded' then 6
        when 'cancelled' then 5
        when 'completed' then 4
        when 'shipped' then 3
        when 'paid' then 2
        else 1
    end
{%- endmacro %}

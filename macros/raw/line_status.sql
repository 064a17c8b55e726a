{#- accepted / rejected / duplicate for a classified raw line. Among the lines that pass every
    rule, the first by `order_by` within each `dedup_keys` group is accepted and the later copies
    are duplicates, so raw lines = accepted + rejected + duplicates holds by construction and is
    reconciled against an independent count by tests. -#}
{% macro line_status(dedup_keys, order_by) -%}
    case
        when reject_reason is not null then 'rejected'
        when row_number() over (
            partition by reject_reason is null, {{ dedup_keys | join(', ') }}
            order by {{ order_by | join(', ') }}
        ) = 1 then 'accepted'
        else 'duplicate'
    end
{%- endmacro %}

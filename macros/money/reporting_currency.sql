{#- Money in the reporting currency (var `reporting_currency`, CNY by default): the one rule for
    every amount of a source that names its currency. An amount in the reporting currency is kept
    as it is; one in another currency is multiplied by the rate of seeds/value/currency_rates.csv
    valid on its date (`currency_rate_periods`) and rounded to the fen; one in a currency without
    such a rate has no reporting amount (null) and the status `unknown_currency`, so it is left
    out of every sum instead of being summed as if it were yuan. The build goes on; the singular
    test assert_order_currencies_have_rates warns with the currency and the orders it left out. -#}

{% macro currency_rate_periods() -%}
    {#- The rates into the reporting currency as periods [valid_from, valid_to), valid_to null
        for the latest rate of a currency. A select, to be used as a CTE body. -#}
    select
        currency,
        rate,
        valid_from,
        lead(valid_from) over (partition by currency order by valid_from) as valid_to
    from {{ ref('currency_rates') }}
    where reporting_currency = '{{ var("reporting_currency") }}'
{%- endmacro %}

{% macro normalized_currency(currency) -%}
    {#- Upper-cased ISO code; a missing or blank currency is the OMS's own (var `oms_default_currency`). -#}
    coalesce(upper(nullif(trim({{ currency }}), '')), '{{ var("oms_default_currency") }}')
{%- endmacro %}

{% macro amount_status(currency, rate) -%}
    case
        when {{ currency }} = '{{ var("reporting_currency") }}' then 'reporting_currency'
        when {{ rate }} is not null then 'converted'
        else 'unknown_currency'
    end
{%- endmacro %}

{% macro reporting_amount(amount, currency, rate) -%}
    case
        when {{ currency }} = '{{ var("reporting_currency") }}' then {{ amount }}
        when {{ rate }} is not null then cast(round({{ amount }} * {{ rate }}, 2) as decimal(18, 2))
    end
{%- endmacro %}

{{ config(severity='warn') }}
-- Warns, one row per currency, about orders in a currency without a rate into the reporting
-- currency (seeds/value/currency_rates.csv, valid on the order date): they keep their row but
-- are left out of every money measure (amount_status = 'unknown_currency', macros/money). An
-- unseen currency never fails the build. To count them: add the currency's rate to the seed,
-- then `dbt seed` and build. To see the rows: `dbt show --select assert_order_currencies_have_rates`.
with

orders as (

    select * from {{ ref('stg_oms__orders') }}
    where amount_status = 'unknown_currency'

)

select
    currency,
    count(*) as order_count,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date
from orders
group by 1

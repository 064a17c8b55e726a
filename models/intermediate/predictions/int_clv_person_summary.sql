-- One row per person with an order counting towards net GMV (paid, neither refunded nor
-- cancelled as of the as-of date), summarised as the BG/NBD and Gamma-Gamma models read it, in
-- days: a purchase day is a UTC day with such a payment; frequency = purchase days after the
-- first (repeat purchases), recency = days from the first purchase day to the last, age (T) =
-- days from the first purchase day to the as-of date, monetary = average net amount of the
-- repeat purchase days (0 without a repeat purchase).
with

orders as (

    select * from {{ ref('int_orders_resolved_to_persons') }}
    where one_id is not null
        and is_net

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

purchase_days as (

    select
        one_id,
        cast(paid_at as date) as purchase_date,
        sum(net_amount) as purchase_amount
    from orders
    group by 1, 2

),

numbered as (

    select
        *,
        row_number() over (partition by one_id order by purchase_date) as purchase_number
    from purchase_days

),

final as (

    select
        numbered.one_id,
        count(*) - 1 as frequency,
        {{ calendar_days_between(
            "min(numbered.purchase_date)", "max(numbered.purchase_date)"
        ) }} as recency,
        {{ calendar_days_between(
            "min(numbered.purchase_date)", "any_value(as_of.as_of_date)"
        ) }} as age,
        cast(coalesce(
            avg(cast(numbered.purchase_amount as double))
            filter (where numbered.purchase_number > 1),
            0
        ) as double) as monetary,
        min(numbered.purchase_date) as first_purchase_date,
        max(numbered.purchase_date) as last_purchase_date
    from numbered
    cross join as_of
    group by 1

)

select * from final

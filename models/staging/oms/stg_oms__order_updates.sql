with

order_lines as (

    select * from {{ ref('base_oms__order_lines') }}
    where line_status = 'accepted'

),

rate_periods as (

    {{ currency_rate_periods() }}

),

renamed as (

    select
        -- ids
        order_id,
        -- An account that is a phone or an e-mail leaves staging as its salted key.
        {{ pii_safe_identifier('account_id') }} as account_id,

        -- strings
        order_status,
        channel,
        {{ normalized_currency('currency') }} as currency,
        file_name as source_file_name,

        -- numerics
        order_amount as original_amount,
        coalesce(discount_amount, 0) as original_discount_amount,
        coalesce({{ json_array_length('items_json', '$') }}, 0) as item_count,
        line_number as source_line_number,

        -- booleans
        order_status in ({{ quoted_list(var('gmv_order_statuses')) }}) as is_gmv_status,
        -- The order's state is its latest accepted line (SPEC section 2), whichever partition it
        -- landed in. Ties on updated_at go to the later step of the order flow, then to the
        -- later file and line.
        row_number() over (
            partition by order_id
            order by
                updated_at desc,
                {{ order_status_step('order_status') }} desc,
                file_name desc,
                line_number desc
        ) = 1 as is_latest_state,

        -- timestamps
        ordered_at,
        updated_at,
        partition_date
    from order_lines

),

converted as (

    -- Amounts in the reporting currency (macros/money): the rate valid on the order date.
    select
        renamed.*,
        rate_periods.rate as currency_rate,
        {{ amount_status('renamed.currency', 'rate_periods.rate') }} as amount_status,
        {{ reporting_amount('renamed.original_amount', 'renamed.currency', 'rate_periods.rate') }}
            as order_amount,
        {{ reporting_amount(
            'renamed.original_discount_amount', 'renamed.currency', 'rate_periods.rate'
        ) }} as discount_amount
    from renamed
    left join rate_periods
        on renamed.currency = rate_periods.currency
            and cast(renamed.ordered_at as date) >= rate_periods.valid_from
            and (
                rate_periods.valid_to is null
                or cast(renamed.ordered_at as date) < rate_periods.valid_to
            )

)

select * from converted

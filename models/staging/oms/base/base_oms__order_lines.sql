with

raw_lines as (

    {{ raw_lines('oms', 'orders') }}

),

parsed as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        case when {{ json_is_valid('raw_line') }} then raw_line end as doc
    from raw_lines

),

extracted as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        doc,
        {{ json_kind('doc') }} as doc_kind,
        nullif({{ json_text('doc', '$.order_id') }}, '') as order_id,
        {{ json_text('doc', '$.status') }} as order_status,
        {{ json_text('doc', '$.order_time') }} as order_time_text,
        {{ json_text('doc', '$.updated_at') }} as updated_at_text,
        {{ json_kind('doc', '$.amount') }} is not null
        and {{ json_amount_is_valid('doc', '$.amount') }} as has_valid_amount,
        {{ json_amount_is_valid('doc', '$.discount_amount') }} as has_valid_discount,
        {{ json_event_time('doc', '$.order_time') }} as ordered_at,
        {{ json_event_time('doc', '$.updated_at') }} as updated_at
    from parsed

),

classified as (

    -- The first failing rule names the line's reason, in the order of the contract checker.
    select
        *,
        case
            when doc is null then 'malformed_json'
            when doc_kind != 'OBJECT' then 'not_an_object'
            when order_id is null then 'missing_order_id'
            when order_status is null then 'missing_status'
            when order_time_text is null then 'missing_order_time'
            when updated_at_text is null then 'missing_updated_at'
            when
                order_status not in ({{ quoted_list(var('order_statuses')) }})
                then 'unknown_status'
            when not has_valid_amount or not has_valid_discount then 'bad_amount'
            when ordered_at is null or updated_at is null then 'bad_time'
        end as reject_reason
    from extracted

),

statused as (

    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        order_id,
        order_status,
        ordered_at,
        updated_at,
        reject_reason,
        -- Every status change is a new line; the same change landed twice is a duplicate.
        {{ line_status(
            dedup_keys=['order_id', 'order_status', 'updated_at'],
            order_by=['file_name', 'line_number']
        ) }} as line_status
    from classified

),

final as (

    select
        *,
        -- The order's state is its latest accepted line (SPEC section 2). Ties on updated_at go
        -- to the later step of the order flow, then to the later file and line.
        coalesce(line_status = 'accepted' and row_number() over (
            partition by line_status = 'accepted', order_id
            order by
                updated_at desc,
                case order_status
                    when 'refunded' then 6
                    when 'cancelled' then 5
                    when 'completed' then 4
                    when 'shipped' then 3
                    when 'paid' then 2
                    else 1
                end desc,
                file_name desc,
                line_number desc
        ) = 1, false) as is_latest_state
    from statused

)

select * from final

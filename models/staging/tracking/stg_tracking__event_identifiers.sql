with

event_lines as (

    select * from {{ ref('base_tracking__event_lines') }}
    where line_status = 'accepted'

),

unpivoted as (

    {% for identifier_type in var('identity_types') -%}
        select
            event_id,
            event_at,
            app_id,
            '{{ identifier_type }}' as identifier_type,
            {{ json_text('raw_line', '$.identities.' ~ identifier_type) }} as raw_value
        from event_lines
        where {{ json_text('raw_line', '$.identities.' ~ identifier_type) }} is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

normalized as (

    {{ normalize_identifiers('unpivoted', ['event_id', 'event_at'], app_id_column='app_id') }}

)

select * from normalized

with

event_lines as (

    select * from {{ ref('base_tracking__event_lines') }}
    where line_status = 'accepted' and identities_json is not null

),

with_identities as (

    select
        event_id,
        event_at,
        app_id,
        {{ json_to_text_columns('identities_json', var('identity_types')) }}
    from event_lines

),

unpivoted as (

    {% for identifier_type in var('identity_types') -%}
        select
            event_id,
            event_at,
            app_id,
            '{{ identifier_type }}' as identifier_type,
            {{ identifier_type }} as raw_value
        from with_identities
        where {{ identifier_type }} is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

normalized as (

    {{ normalize_identifiers('unpivoted', ['event_id', 'event_at'], app_id_column='app_id') }}

)

select * from normalized

{#- The tracking formats the warehouse reads (docs/event-formats.md). Each format's records are
    turned here into the same columns, so base_tracking__event_lines classifies every format with
    one set of rules and everything downstream is unchanged:

        file_name, line_number, partition_date, raw_line, read_problem  (from raw_lines)
        is_valid_json, doc_kind, record_kind, record_problem, event_id_kind, event_id, event_kind,
        event_name, channel, app_id, distinct_id, time_kind, time_text, received_at,
        identities_json (contract-shaped: {identity type: value}), properties_json (the
        contract's property names; a non-event record's own properties), has_known_identities,
        has_known_properties, has_valid_amounts, unlisted_identity_keys

    `record_kind` is event, identity_link, identity_unlink or profile_update; `record_problem` a
    reject reason of the format's own (unknown_record_type, missing_identity), checked after the
    JSON is known to be an object. Each JSON line is parsed once: every path a format reads is
    extracted in one json_extract call. -#}


{#- The format of the events source: the dbt var `events_format`, else the environment's
    USER_ASSETS_EVENTS_FORMAT, else `contract`. Anything else stops the build with the choices. -#}
{% macro events_format() -%}
    {%- set chosen = var('events_format', env_var('USER_ASSETS_EVENTS_FORMAT', 'contract')) | trim -%}
    {%- set formats = ['contract', 'sensors', 'segment', 'table'] -%}
    {%- if chosen not in formats -%}
        {{ exceptions.raise_compiler_error(
            "Unknown events format '" ~ chosen ~ "' (USER_ASSETS_EVENTS_FORMAT or the dbt var events_format): "
            ~ "choose one of " ~ formats | join(', ') ~ " (docs/event-formats.md)."
        ) }}
    {%- endif -%}
    {{ return(chosen) }}
{%- endmacro %}


{#- The events' raw records in raw_lines' shape plus physical_line_count: the text lines of the
    events files for the JSON formats (raw_lines), or the rows of the `table` format's files. -#}
{% macro event_raw_records(format, since=none) -%}
    {%- if format == 'table' -%}
        {{ event_table_rows(since=since) }}
    {%- else -%}
    select
        *,
        1 as physical_line_count
    from (
        {{ raw_lines('tracking', 'events', required=true, since=since) }}
    ) as lines
    {%- endif -%}
{%- endmacro %}


{#- The select of the common columns above from `lines` (raw_lines' columns), for `format`. -#}
{% macro extract_event_records(format, lines) -%}
    {%- if format == 'contract' -%}
        {{ extract_contract_events(lines) }}
    {%- else -%}
        {%- if target.type != 'duckdb' -%}
            {{ exceptions.raise_compiler_error(
                "The events format '" ~ format ~ "' is read on DuckDB; on " ~ target.type
                ~ " only the contract format is supported so far (docs/event-formats.md)."
            ) }}
        {%- endif -%}
        {{ extract_adapter_events(format, lines) }}
    {%- endif -%}
{%- endmacro %}


{#- The project's own landing contract (SPEC section 2): the line is parsed once into its
    top-level fields: text where only the value matters, small JSON fragments where a rule reads
    the value's JSON kind (a number is not an event_id) or the object's keys. The properties'
    amounts come from one more parse of the properties fragment, not of the line. -#}
{% macro extract_contract_events(lines) -%}
    {%- set event_fields = {
        'event_id': 'json', 'event': 'json', 'time': 'json', 'received_at': 'text', 'channel': 'text',
        'app_id': 'text', 'distinct_id': 'text', 'identities': 'json', 'properties': 'json'
    } -%}
    {%- set amount_fields = ['amount', 'price'] -%}
    select
        file_name,
        line_number,
        partition_date,
        raw_line,
        read_problem,
        physical_line_count,
        is_valid_json,
        doc_kind,
        'event' as record_kind,
        cast(null as {{ dbt.type_string() }}) as record_problem,
        {{ json_kind('event_id_json') }} as event_id_kind,
        {{ json_text('event_id_json', '$') }} as event_id,
        {{ json_kind('event_json') }} as event_kind,
        {{ json_text('event_json', '$') }} as event_name,
        channel,
        app_id,
        distinct_id,
        {{ json_kind('time_json') }} as time_kind,
        {{ json_text('time_json', '$') }} as time_text,
        {{ parse_timestamp_default_utc('received_at_text') }} as received_at,
        identities_json,
        properties_json,
        {{ json_keys_within('identities_json', '$', var('identity_types')) }}
            as has_known_identities,
        {{ json_keys_within('properties_json', '$', var('event_properties')) }}
            as has_known_properties,
        {%- for field in amount_fields %}
        {{ json_amount_is_valid(field ~ '_json', '$') }}{{ ' and' if not loop.last else ' as has_valid_amounts,' }}
        {%- endfor %}
        cast(null as {{ dbt.type_string() }}) as unlisted_identity_keys
    from (
        select
            *,
            {%- for field in amount_fields %}
            {{ struct_field('amount_fields', field) }} as {{ field }}_json{{ ',' if not loop.last }}
            {%- endfor %}
        from (
            select
                *,
                {{ json_struct('properties_json', amount_fields, as_json=true) }} as amount_fields
            from (
                select
                    *,
                    {%- for field, kind in event_fields.items() %}
                    {%- set column = field ~ '_json' if kind == 'json' else field ~ ('_text' if field == 'received_at' else '') %}
                    {{ struct_field('top_level_fields', field) }} as {{ column }}{{ ',' if not loop.last }}
                    {%- endfor %}
                from (
                    select
                        *,
                        case when is_valid_json then {{ json_kind('raw_line') }} end as doc_kind,
                        case
                            when is_valid_json then {{ json_typed_struct('raw_line', event_fields) }}
                        end as top_level_fields
                    from (select *, {{ json_is_valid('raw_line') }} as is_valid_json from {{ lines }}) as parsed
                ) as fields
            ) as unpacked
        ) as with_amount_fields
    ) as unpacked_amounts
{%- endmacro %}


{#- JSON paths each adapter format reads, by name (docs/event-formats.md). A list is tried in
    order: the first value present and not JSON null wins. -#}
{% macro event_format_paths(format) -%}
    {%- set paths = {
        'sensors': {
            'type': ['$.type'], 'event': ['$.event'], 'time': ['$.time'], 'recv_time': ['$.recv_time'],
            'distinct_id': ['$.distinct_id'], 'original_id': ['$.original_id'],
            'login_id': ['$.login_id'], 'anonymous_id': ['$.anonymous_id'],
            'track_id': ['$._track_id'], 'identities': ['$.identities'],
            'item_type': ['$.item_type'], 'item_id': ['$.item_id'],
            'properties': ['$.properties'],
            'lib': ['$.properties."$lib"', '$.lib."$lib"'], 'app_id': ['$.properties."$app_id"'],
        },
        'segment': {
            'type': ['$.type'], 'message_id': ['$.messageId'], 'event': ['$.event'],
            'time': ['$.timestamp', '$.originalTimestamp'], 'received_at': ['$.receivedAt'],
            'anonymous_id': ['$.anonymousId'], 'user_id': ['$.userId'],
            'previous_id': ['$.previousId'], 'device_id': ['$.context.device.id'],
            'email': ['$.traits.email', '$.context.traits.email'],
            'phone': ['$.traits.phone', '$.context.traits.phone'],
            'external_ids': ['$.context.externalIds'], 'lib': ['$.context.library.name'],
            'app_id': ['$.context.app.namespace'], 'properties': ['$.properties'],
            'traits': ['$.traits'],
        },
    } -%}
    {%- set merged = {} -%}
    {%- if format == 'table' -%}
        {%- set map = events_table_map() -%}
        {%- for name, key in [('event_id', 'event_id'), ('event', 'event_name'), ('time', 'time'),
                              ('received_at', 'received_at'), ('account_id', 'account_id'),
                              ('anonymous_id', 'anonymous_id'), ('device_id', 'device_id'),
                              ('lib', 'channel'), ('app_id', 'app_id')] -%}
            {%- do merged.update({name: table_column_paths(map.get(key))}) -%}
        {%- endfor -%}
        {%- for type in ['phone', 'email', 'openid', 'unionid'] -%}
            {%- do merged.update({type: table_column_paths((map.get('identifiers') or {}).get(type))}) -%}
        {%- endfor -%}
        {%- for property in var('event_properties') -%}
            {%- do merged.update({'property_' ~ property: table_column_paths((map.get('properties') or {}).get(property))}) -%}
        {%- endfor -%}
    {%- else -%}
        {%- do merged.update(paths[format]) -%}
        {%- for property, property_paths in var('event_property_paths')[format].items() -%}
            {%- do merged.update({'property_' ~ property: property_paths}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(merged) }}
{%- endmacro %}


{#- Sensors and Segment: one json_extract of every path, then the mapping of docs/event-formats.md.
    Event names and libraries are looked up in seeds/tracking (event_name_map, event_channel_map);
    a value without a row flows through as itself. -#}
{% macro extract_adapter_events(format, lines) -%}
    {%- set paths = event_format_paths(format) -%}
    {%- set names = paths.keys() | list -%}
    {%- set flat_paths = [] -%}
    {%- for name in names -%}{%- for path in paths[name] -%}{%- do flat_paths.append(path) -%}{%- endfor -%}{%- endfor -%}
    {#- field[name]: the first present value of its paths, as JSON; text[name]: as trimmed text -#}
    {%- set field = {} -%}
    {%- set text = {} -%}
    {%- set position = namespace(next=1) -%}
    {%- for name in names -%}
        {%- set values = [] -%}
        {%- for path in paths[name] -%}
            {%- do values.append("nullif(field_values[" ~ position.next ~ "], 'null'::json)") -%}
            {%- set position.next = position.next + 1 -%}
        {%- endfor -%}
        {%- set expression = 'cast(null as json)' if values | length == 0
            else (values[0] if values | length == 1 else 'coalesce(' ~ values | join(', ') ~ ')') -%}
        {%- do field.update({name: expression}) -%}
        {%- do text.update({name: "nullif(trim(json_extract_string(" ~ expression ~ ", '$')), '')"}) -%}
    {%- endfor -%}
    {%- set properties = var('event_properties') if format == 'table'
        else var('event_property_paths')[format].keys() | list -%}
    select
        fields.file_name,
        fields.line_number,
        fields.partition_date,
        fields.raw_line,
        fields.read_problem,
        fields.physical_line_count,
        fields.is_valid_json,
        fields.doc_kind,
        fields.record_kind,
        fields.record_problem,
        fields.event_id_kind,
        fields.event_id,
        fields.event_kind,
        case
            when fields.record_kind = 'event'
                then coalesce(names.event, fields.source_event_name)
            else fields.source_event_name
        end as event_name,
        coalesce(channels.channel, fields.source_lib, 'unknown') as channel,
        fields.app_id,
        fields.distinct_id,
        fields.time_kind,
        fields.time_text,
        fields.received_at,
        fields.identities_json,
        fields.properties_json,
        true as has_known_identities,
        true as has_known_properties,
        fields.has_valid_amounts,
        fields.unlisted_identity_keys
    from (
        {{ adapter_record_fields(format, lines, field, text, properties, flat_paths) }}
    ) as fields
    left join {{ ref('event_name_map') }} as names
        on names.source_format = '{{ format }}' and fields.source_event_name = names.source_event
    left join {{ ref('event_channel_map') }} as channels
        on channels.source_format = '{{ format }}' and fields.source_lib = channels.source_lib
{%- endmacro %}


{#- The per-format part of extract_adapter_events: from `field_values` (every path, extracted
    once), the record's kind, id, name, time, identities and properties. -#}
{% macro adapter_record_fields(format, lines, field, text, properties, flat_paths) -%}
    {%- set properties_object -%}
        json_object(
            {%- for property in properties %}
            '{{ property }}', {{ field['property_' ~ property] }}{{ ',' if not loop.last }}
            {%- endfor %}
        )
    {%- endset -%}
    select
        *,
        case
            when record_kind = 'event' then
                {{ json_amount_is_valid('properties_json', '$.amount') }}
                and {{ json_amount_is_valid('properties_json', '$.price') }}
            else true
        end as has_valid_amounts
    from (
        select
            file_name,
            line_number,
            partition_date,
            raw_line,
            read_problem,
            physical_line_count,
            is_valid_json,
            doc_kind,
            record_kind,
            case
                when record_kind is null then 'unknown_record_type'
                when identities_json is null and record_kind not in ('identity_unlink', 'item_update')
                    then 'missing_identity'
            end as record_problem,
            event_id_kind,
            event_id,
            event_kind,
            source_event_name,
            source_lib,
            app_id,
            distinct_id,
            time_kind,
            time_text,
            received_at,
            case when record_kind not in ('identity_unlink', 'item_update') then identities_json end
                as identities_json,
            properties_json,
            unlisted_identity_keys
        from (
            {%- if format == 'sensors' %}
            {{ sensors_record_fields(lines, field, text, properties_object, flat_paths) }}
            {%- elif format == 'segment' %}
            {{ segment_record_fields(lines, field, text, properties_object, flat_paths) }}
            {%- elif format == 'table' %}
            {{ table_record_fields(lines, field, text, properties_object, flat_paths) }}
            {%- endif %}
        ) as mapped
    ) as checked
{%- endmacro %}


{#- A contract-shaped identities object from (type, SQL text expression) pairs; null when every
    value is null (the record names no one). -#}
{% macro identities_object(pairs) -%}
    case
        when
            {%- for pair in pairs %}
            {{ 'or ' if not loop.first }}{{ pair[1] }} is not null
            {%- endfor %}
            then json_object(
                {%- for pair in pairs %}
                '{{ pair[0] }}', {{ pair[1] }}{{ ',' if not loop.last }}
                {%- endfor %}
            )
    end
{%- endmacro %}


{#- Of several raw values for one identifier type (a record may send an all-zero IDFA beside
    its IDFV), the first that is not a placeholder (seeds/identity/identifier_placeholders.csv),
    else the first present, which staging then counts as a placeholder. -#}
{% macro first_real_identifier(identifier_type, values) -%}
    {%- if values | length == 1 -%}
        {{ values[0] }}
    {%- else -%}
    coalesce(
        {%- for value in values %}
        case when not {{ is_placeholder_identifier("'" ~ identifier_type ~ "'", value) }} then {{ value }} end,
        {%- endfor %}
        {{ values | join(', ') }}
    )
    {%- endif -%}
{%- endmacro %}


{#- Sensors Data's identity keys and the contract type each stands for (docs/event-formats.md). -#}
{% macro sensors_identity_keys() -%}
    {{ return({
        'account_id': ['$identity_login_id'],
        'anonymous_id': ['$identity_anonymous_id', '$identity_cookie_id'],
        'device_id': ['$identity_android_id', '$identity_idfv', '$identity_idfa', '$identity_android_uuid'],
        'phone': ['$identity_mobile'],
        'email': ['$identity_email'],
        'unionid': ['$identity_mp_unionid'],
    }) }}
{%- endmacro %}


{% macro sensors_record_fields(lines, field, text, properties_object, flat_paths) -%}
    {%- set keys = sensors_identity_keys() -%}
    {%- set known_keys = [] -%}
    {%- for type, type_keys in keys.items() -%}{%- for key in type_keys -%}{%- do known_keys.append(key) -%}{%- endfor -%}{%- endfor -%}
    {%- set openid_pattern = '^\\$identity_mp_(.+)_openid$' -%}
    select
        *,
        {{ identities_object([
            ('device_id', 'device_value'),
            ('anonymous_id', "coalesce(anonymous_value, case when not has_identities and login_value is null and not is_signup then nullif(trim(distinct_id), '') end)"),
            ('account_id', "coalesce(account_value, case when not has_identities and is_signup then nullif(trim(distinct_id), '') end)"),
            ('openid', 'openid_value'),
            ('unionid', 'unionid_value'),
            ('phone', 'phone_value'),
            ('email', 'email_value'),
        ]) }} as identities_json
    from (
        select
            *,
            {%- for type, extra in [
                ('account_id', ['case when not has_identities then login_value end']),
                ('anonymous_id', ['case when not has_identities and is_signup then original_value end',
                                  'case when not has_identities then anonymous_top_value end']),
                ('device_id', []), ('phone', []), ('email', []), ('unionid', [])] %}
            {%- set candidates = [] %}
            {%- for key in keys[type] %}{% do candidates.append("json_extract_string(identities, '$.\"" ~ key ~ "\"')") %}{% endfor %}
            {{ first_real_identifier(type, candidates + extra) }} as {{ type.split('_')[0] }}_value,
            {%- endfor %}
            case
                when openid_key is not null
                    then regexp_extract(openid_key, '{{ openid_pattern }}', 1)
                    || '/' || json_extract_string(identities, '$."' || openid_key || '"')
            end as openid_value,
            nullif(array_to_string(list_filter(
                identity_keys,
                lambda key: not list_contains([{{ quoted_list(known_keys) }}], key)
                and not regexp_matches(key, '{{ openid_pattern }}')
            ), ','), '') as unlisted_identity_keys
        from (
            select
                *,
                list_filter(identity_keys, lambda key: regexp_matches(key, '{{ openid_pattern }}'))[1] as openid_key
            from (
                select
                    *,
                    case when json_type(identities) = 'OBJECT' then json_keys(identities) else [] end as identity_keys,
                    coalesce(json_type(identities) = 'OBJECT' and len(json_keys(identities)) > 0, false)
                        as has_identities
                from (
                    select
                        file_name,
                        line_number,
                        partition_date,
                        raw_line,
                        read_problem,
                        physical_line_count,
                        is_valid_json,
                        doc_kind,
                        case
                            when record_type in ('track', 'track_signup') then 'event'
                            when record_type = 'track_id_bind' then 'identity_link'
                            when record_type = 'track_id_unbind' then 'identity_unlink'
                            when starts_with(record_type, 'profile_') then 'profile_update'
                            -- Sensors' item_* records describe products, not people: no identifiers.
                            when starts_with(record_type, 'item_') then 'item_update'
                        end as record_kind,
                        record_type = 'track_signup' as is_signup,
                        -- Sensors has no event id: distinct_id, event, time and the SDK's
                        -- _track_id name one event, and a retry repeats all four.
                        -- (an item_* record names its item instead of a distinct_id)
                        case
                            when record_subject is not null
                                then 'sa-' || md5(
                                    record_subject || '|' || coalesce(source_event_name, record_type)
                                    || '|' || coalesce(time_text, '') || '|' || coalesce(track_id_text, '')
                                )
                        end as event_id,
                        case when record_subject is not null then 'VARCHAR' end as event_id_kind,
                        case
                            when record_type not in ('track', 'track_signup', 'track_id_bind', 'track_id_unbind')
                                then 'VARCHAR'
                            else event_kind
                        end as event_kind,
                        coalesce(source_event_name, record_type) as source_event_name,
                        source_lib,
                        app_id,
                        distinct_id,
                        time_kind,
                        time_text,
                        {{ epoch_ms_to_timestamp('try_cast(recv_time_text as bigint)') }} as received_at,
                        case
                            when record_type in ('track', 'track_signup') then {{ properties_object }}
                            else properties_raw
                        end as properties_json,
                        identities,
                        login_value,
                        anonymous_top_value,
                        original_value
                    from (
                        select
                            *,
                            {{ text['type'] }} as record_type,
                            json_type({{ field['event'] }}) as event_kind,
                            case when json_type({{ field['event'] }}) = 'VARCHAR' then {{ text['event'] }} end
                                as source_event_name,
                            {{ text['distinct_id'] }} as distinct_id,
                            coalesce(
                                {{ text['distinct_id'] }},
                                'item:' || {{ text['item_type'] }} || ':' || {{ text['item_id'] }}
                            ) as record_subject,
                            json_type({{ field['time'] }}) as time_kind,
                            json_extract_string({{ field['time'] }}, '$') as time_text,
                            json_extract_string({{ field['recv_time'] }}, '$') as recv_time_text,
                            json_extract_string({{ field['track_id'] }}, '$') as track_id_text,
                            {{ text['lib'] }} as source_lib,
                            {{ text['app_id'] }} as app_id,
                            {{ field['identities'] }} as identities,
                            {{ field['properties'] }} as properties_raw,
                            {{ text['login_id'] }} as login_value,
                            {{ text['anonymous_id'] }} as anonymous_top_value,
                            {{ text['original_id'] }} as original_value
                        from {{ adapter_json_fields(lines, flat_paths) }}
                    ) as extracted
                ) as kinds
            ) as keyed
        ) as with_openid_key
    ) as with_values
{%- endmacro %}


{% macro segment_record_fields(lines, field, text, properties_object, flat_paths) -%}
    select
        *,
        -- The spec requires a userId or an anonymousId (an alias: its previousId); a message
        -- with neither names no one, whatever else it carries.
        case
            when coalesce(account_value, anonymous_value) is not null then
                {{ identities_object([
                    ('device_id', 'device_value'),
                    ('anonymous_id', 'anonymous_value'),
                    ('account_id', 'account_value'),
                    ('openid', 'openid_value'),
                    ('unionid', 'unionid_value'),
                    ('phone', 'phone_value'),
                    ('email', 'email_value'),
                ]) }}
        end as identities_json
    from (
        select
            *,
            case
                when app_id is not null and external_openid is not null then app_id || '/' || external_openid
            end as openid_value
        from (
            select
                file_name,
                line_number,
                partition_date,
                raw_line,
                read_problem,
                physical_line_count,
                is_valid_json,
                doc_kind,
                case
                    when record_type in ('track', 'page', 'screen') then 'event'
                    when record_type = 'alias' then 'identity_link'
                    when record_type in ('identify', 'group') then 'profile_update'
                end as record_kind,
                json_type({{ field['message_id'] }}) as event_id_kind,
                {{ text['message_id'] }} as event_id,
                case when record_type = 'track' then json_type({{ field['event'] }}) else 'VARCHAR' end
                    as event_kind,
                case
                    when record_type = 'track' then {{ text['event'] }}
                    else record_type
                end as source_event_name,
                {{ text['lib'] }} as source_lib,
                app_id,
                coalesce({{ text['anonymous_id'] }}, {{ text['user_id'] }}) as distinct_id,
                json_type({{ field['time'] }}) as time_kind,
                json_extract_string({{ field['time'] }}, '$') as time_text,
                {{ parse_timestamp_default_utc(text['received_at']) }} as received_at,
                case
                    when record_type in ('track', 'page', 'screen') then {{ properties_object }}
                    when record_type = 'identify' then {{ field['traits'] }}
                    else {{ field['properties'] }}
                end as properties_json,
                {{ text['device_id'] }} as device_value,
                case
                    when record_type = 'alias' then coalesce({{ text['previous_id'] }}, {{ text['anonymous_id'] }})
                    else {{ text['anonymous_id'] }}
                end as anonymous_value,
                {{ text['user_id'] }} as account_value,
                {{ text['phone'] }} as phone_value,
                {{ text['email'] }} as email_value,
                list_filter(external_ids, lambda x: x.type = 'wechat_openid')[1].id as external_openid,
                list_filter(external_ids, lambda x: x.type = 'wechat_unionid')[1].id as unionid_value,
                nullif(array_to_string(list_distinct(list_transform(
                    list_filter(external_ids, lambda x: x.type not in ('wechat_openid', 'wechat_unionid')),
                    lambda x: 'externalIds.' || coalesce(x.type, '?')
                )), ','), '') as unlisted_identity_keys
            from (
                select
                    *,
                    {{ text['type'] }} as record_type,
                    {{ text['app_id'] }} as app_id,
                    coalesce(
                        from_json({{ field['external_ids'] }}, '[{"id": "VARCHAR", "type": "VARCHAR"}]'), []
                    ) as external_ids
                from {{ adapter_json_fields(lines, flat_paths) }}
            ) as extracted
        ) as mapped
    ) as with_openid
{%- endmacro %}


{#- The lines with is_valid_json, doc_kind and field_values: every path of the format extracted
    from the line in one parse (a list of JSON values, null for an invalid line). -#}
{% macro adapter_json_fields(lines, flat_paths) -%}
    (
        select
            *,
            json_type(valid_json) as doc_kind,
            case
                when json_type(valid_json) = 'OBJECT'
                    then json_extract(valid_json, [{% for path in flat_paths %}'{{ path }}'{{ ', ' if not loop.last }}{% endfor %}])
            end as field_values
        from (
            -- Only valid JSON is parsed (an invalid line's text never reaches a JSON function,
            -- however the optimiser orders the expressions).
            select
                *,
                json_valid(raw_line) as is_valid_json,
                case when json_valid(raw_line) then raw_line end as valid_json
            from {{ lines }}
        ) as parsed
    ) as json_fields
{%- endmacro %}


{#- The `table` format's column map: the var `events_table` over its preset (docs/event-formats.md).
    The rows are those of the Parquet and CSV files in the events' dt= folders (a table in the
    warehouse is exported there first: docs/event-formats.md). Keys: event_id (null: derived),
    event_name, time, received_at, time_zone (for times without an offset), account_id,
    anonymous_id, device_id, identifiers ({type: column}), channel, app_id, properties
    ({contract property: column}). -#}
{% macro events_table_map() -%}
    {%- set presets = {
        'snowplow': {
            'event_id': 'event_id', 'event_name': 'event_name',
            'time': ['derived_tstamp', 'collector_tstamp'], 'received_at': 'collector_tstamp',
            'time_zone': 'UTC', 'account_id': 'user_id', 'anonymous_id': 'domain_userid',
            'device_id': 'network_userid',
            'identifiers': {'phone': 'phone', 'email': 'email', 'openid': 'openid', 'unionid': 'unionid'},
            'channel': 'platform', 'app_id': 'app_id',
            'properties': {
                'page': 'page_urlpath', 'referrer': 'refr_urlhost', 'utm_source': 'mkt_source',
                'utm_medium': 'mkt_medium', 'utm_campaign': 'mkt_campaign',
                'product_id': 'ti_sku', 'category': 'ti_category', 'price': 'ti_price',
                'quantity': 'ti_quantity', 'order_id': 'tr_orderid', 'amount': 'tr_total',
                'currency': 'tr_currency', 'search_term': 'search_term', 'campaign_id': 'campaign_id',
                'coupon_id': 'coupon_id',
            },
        },
        'none': {'time_zone': 'UTC', 'identifiers': {}, 'properties': {}},
    } -%}
    {%- set given = var('events_table', {}) or {} -%}
    {%- set preset_name = given.get('preset', 'none') -%}
    {%- if preset_name not in presets -%}
        {{ exceptions.raise_compiler_error(
            "Unknown events_table preset '" ~ preset_name ~ "' (dbt var events_table): choose one of "
            ~ presets.keys() | list | join(', ') ~ ", or name the columns yourself (docs/event-formats.md)."
        ) }}
    {%- endif -%}
    {%- set merged = {} -%}
    {%- do merged.update(presets[preset_name]) -%}
    {%- for key, value in given.items() if key != 'preset' -%}
        {%- do merged.update({key: value}) -%}
    {%- endfor -%}
    {%- if not merged.get('event_name') or not merged.get('time') -%}
        {{ exceptions.raise_compiler_error(
            "The dbt var events_table must name at least the columns event_name and time "
            ~ "(or use preset: snowplow); see docs/event-formats.md."
        ) }}
    {%- endif -%}
    {{ return(merged) }}
{%- endmacro %}


{#- JSON paths of a table's columns in the JSON rendering of each row (event_table_rows). -#}
{% macro table_column_paths(columns) -%}
    {%- set columns = [columns] if columns is string else (columns or []) -%}
    {%- set paths = [] -%}
    {%- for column in columns -%}{%- do paths.append('$."' ~ column ~ '"') -%}{%- endfor -%}
    {{ return(paths) }}
{%- endmacro %}


{#- The `table` format's rows in raw_lines' shape: file_name, line_number, partition_date,
    raw_line (the row as a JSON object of its columns, or a rejected CSV record's text) and
    read_problem (a CSV record csv_lines rejects, or raw_lines' read problem). Parquet rows are
    numbered from 1 in their file; CSV records keep their first line's number and count their
    physical lines. `since` reads only the dt= folders from that day, as raw_lines does. -#}
{% macro event_table_rows(since=none) -%}
    {%- set map = events_table_map() -%}
    {%- set raw_dir = env_var('USER_ASSETS_RAW_DIR', 'data/raw') -%}
    {%- set columns = [] -%}
    {%- for key in ['event_id', 'event_name', 'time', 'received_at', 'account_id', 'anonymous_id',
                    'device_id', 'channel', 'app_id'] -%}
        {%- set value = map.get(key) -%}
        {%- for column in ([value] if value is string else (value or [])) -%}
            {%- if column not in columns %}{% do columns.append(column) %}{% endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for column in (map.get('identifiers') or {}).values() | list + (map.get('properties') or {}).values() | list -%}
        {%- if column not in columns %}{% do columns.append(column) %}{% endif -%}
    {%- endfor -%}
    {%- set parquet_glob = raw_dir ~ '/events/dt=*/*.parquet' -%}
    {%- set file_counts = [0, 0] -%}
    {%- if can_query_warehouse() -%}
        {%- set counts = run_query(
            "select (select count(*) from glob('" ~ parquet_glob ~ "')), (select count(*) from glob('"
            ~ raw_dir ~ "/events/dt=*/*.csv*'))"
        ) -%}
        {%- set file_counts = [counts.columns[0].values()[0], counts.columns[1].values()[0]] -%}
        {#- as raw_lines: no events is fine when another source landed (an orders-only data set) -#}
        {%- set other_files = other_sources_landed('events') if file_counts[0] + file_counts[1] == 0 else 0 -%}
        {%- if file_counts[0] + file_counts[1] + other_files == 0 and is_building() -%}
            {{ exceptions.raise_compiler_error(
                "No events files match '" ~ raw_dir ~ "/events/dt=*/*.parquet' or '*.csv' (events format "
                ~ "table). Point USER_ASSETS_RAW_DIR at the raw landing folder; export a table in the "
                ~ "warehouse there first (docs/event-formats.md)."
            ) }}
        {%- endif -%}
    {%- endif -%}
    {%- set parquet_count = file_counts[0] %}
    with

    csv_lines_read as (

        {{ raw_lines('tracking', 'event_table_csv', since=since) }}

    ),

    csv_records as (

        {{ csv_lines('csv_lines_read', columns, []) }}

    )

    select
        file_name,
        line_number,
        partition_date,
        case
            when csv_reject_reason is null
                then cast(json_object(
                    {%- for column in columns %}
                    '{{ column }}', nullif(trim({{ csv_field('fields', loop.index) }}), ''){{ ',' if not loop.last }}
                    {%- endfor %}
                ) as {{ dbt.type_string() }})
            else raw_line
        end as raw_line,
        csv_reject_reason as read_problem,
        physical_line_count
    from csv_records
    {%- if parquet_count > 0 %}

    union all

    select
        regexp_extract(filename, '[^/]+/dt=[^/]+/[^/]+$') as file_name,
        file_row_number + 1 as line_number,
        try_cast(regexp_extract(filename, 'dt=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date) as partition_date,
        cast(to_json(event_rows) as {{ dbt.type_string() }}) as raw_line,
        cast(null as {{ dbt.type_string() }}) as read_problem,
        1 as physical_line_count
    from read_parquet('{{ parquet_glob }}', union_by_name = true) as event_rows
    {%- if since %}
    where try_cast(regexp_extract(filename, 'dt=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date) >= cast('{{ since }}' as date)
    {%- endif %}
    {%- endif %}
{%- endmacro %}


{#- A table row: always an event. The event id is its column, or (no event_id column in the map)
    `tb-` + md5 of the identifiers, the event name and the time, so a row exported twice is a
    duplicate. A time without an offset is read in the map's time_zone. -#}
{% macro table_record_fields(lines, field, text, properties_object, flat_paths) -%}
    {%- set map = events_table_map() -%}
    select
        *,
        {{ identities_object([
            ('device_id', 'device_value'),
            ('anonymous_id', 'anonymous_value'),
            ('account_id', 'account_value'),
            ('openid', "case when openid_value like '%/%' or app_id is null then openid_value else app_id || '/' || openid_value end"),
            ('unionid', 'unionid_value'),
            ('phone', 'phone_value'),
            ('email', 'email_value'),
        ]) }} as identities_json
    from (
        select
            file_name,
            line_number,
            partition_date,
            raw_line,
            read_problem,
            physical_line_count,
            is_valid_json,
            doc_kind,
            'event' as record_kind,
            {%- if map.get('event_id') %}
            json_type({{ field['event_id'] }}) as event_id_kind,
            {{ text['event_id'] }} as event_id,
            {%- else %}
            'VARCHAR' as event_id_kind,
            'tb-' || md5(concat_ws(
                '|', {{ text['account_id'] }}, {{ text['anonymous_id'] }}, {{ text['device_id'] }},
                {{ text['event'] }}, json_extract_string({{ field['time'] }}, '$')
            )) as event_id,
            {%- endif %}
            case when {{ text['event'] }} is not null then 'VARCHAR' end as event_kind,
            {{ text['event'] }} as source_event_name,
            {{ text['lib'] }} as source_lib,
            {{ text['app_id'] }} as app_id,
            coalesce({{ text['anonymous_id'] }}, {{ text['device_id'] }}, {{ text['account_id'] }}) as distinct_id,
            -- Text times are read in the map's zone unless they carry an offset; the classifier
            -- then sees an ISO text with its offset.
            case when json_type({{ field['time'] }}) in ('BIGINT', 'UBIGINT') then json_type({{ field['time'] }}) else 'VARCHAR' end
                as time_kind,
            case
                when json_type({{ field['time'] }}) in ('BIGINT', 'UBIGINT') then json_extract_string({{ field['time'] }}, '$')
                else strftime(
                    {{ parse_local_timestamp(text['time'], map.get('time_zone', 'UTC')) }},
                    '%Y-%m-%dT%H:%M:%S.%fZ'
                )
            end as time_text,
            {{ parse_local_timestamp(text['received_at'], map.get('time_zone', 'UTC')) }} as received_at,
            {{ properties_object }} as properties_json,
            {{ text['device_id'] }} as device_value,
            {{ text['anonymous_id'] }} as anonymous_value,
            {{ text['account_id'] }} as account_value,
            {{ text['openid'] }} as openid_value,
            {{ text['unionid'] }} as unionid_value,
            {{ text['phone'] }} as phone_value,
            {{ text['email'] }} as email_value,
            cast(null as varchar) as unlisted_identity_keys
        from {{ adapter_json_fields(lines, flat_paths) }}
    ) as mapped
{%- endmacro %}


{#- For the reconciliation (assert_raw_lines_reconcile): one row per raw line of the `table`
    format, counted independently of event_table_rows: each CSV file's physical lines but its
    header, and each Parquet file's rows as its footer states them. `since` as in raw_lines. -#}
{% macro event_table_raw_lines(since=none) -%}
    {%- set raw_dir = env_var('USER_ASSETS_RAW_DIR', 'data/raw') -%}
    {%- set parquet_glob = raw_dir ~ '/events/dt=*/*.parquet' -%}
    {%- set parquet_count = 0 -%}
    {%- if can_query_warehouse() -%}
        {%- set parquet_count = run_query("select count(*) from glob('" ~ parquet_glob ~ "')").columns[0].values()[0] -%}
    {%- endif %}
    select line_number
    from ({{ raw_lines('tracking', 'event_table_csv', since=since, numbered=true) }}) as csv_lines_read
    where line_number != 1
    {%- if parquet_count > 0 %}
    union all
    select 2 as line_number
    from (
        select unnest(range(num_rows)) as row_index
        from parquet_file_metadata('{{ parquet_glob }}')
        {%- if since %}
        where try_cast(regexp_extract(file_name, 'dt=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date)
            >= cast('{{ since }}' as date)
        {%- endif %}
    ) as parquet_rows
    {%- endif %}
{%- endmacro %}

{#- ISO-8601 text that carries a UTC offset (or Z) to a UTC timestamp; null when the text is not
    such a timestamp. Text without an offset is ambiguous and yields null. -#}
{% macro parse_utc_timestamp(text) -%}
    {{ return(adapter.dispatch('parse_utc_timestamp', 'user_asset_warehouse')(text)) }}
{%- endmacro %}

{% macro utc_timestamp_pattern() -%}
    {{ return('[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$') }}
{%- endmacro %}

{% macro default__parse_utc_timestamp(text) -%}
    case
        when {{ regex_search(text, utc_timestamp_pattern()) }}
            then cast(try_cast({{ text }} as timestamptz) at time zone 'UTC' as timestamp)
    end
{%- endmacro %}

{% macro spark__parse_utc_timestamp(text) -%}
    {#- The session time zone is UTC (profiles.yml): a cast honours the offset and yields UTC. -#}
    case
        when {{ regex_search(text, utc_timestamp_pattern()) }} then try_cast({{ text }} as timestamp)
    end
{%- endmacro %}


{#- ISO-8601 text that the contract defines as UTC (received_at): an offset is honoured, text
    without one is read as UTC. -#}
{% macro parse_timestamp_default_utc(text) -%}
    coalesce({{ parse_utc_timestamp(text) }}, try_cast({{ text }} as timestamp))
{%- endmacro %}


{#- A local timestamp export (no offset, e.g. a CRM file) read in the zone the exporting
    system uses; text that does carry an offset is honoured. -#}
{% macro parse_local_timestamp(text, time_zone) -%}
    {{ return(adapter.dispatch('parse_local_timestamp', 'user_asset_warehouse')(text, time_zone)) }}
{%- endmacro %}

{% macro default__parse_local_timestamp(text, time_zone) -%}
    coalesce(
        {{ parse_utc_timestamp(text) }},
        cast(timezone('{{ time_zone }}', try_cast({{ text }} as timestamp)) at time zone 'UTC' as timestamp)
    )
{%- endmacro %}

{% macro spark__parse_local_timestamp(text, time_zone) -%}
    coalesce(
        {{ parse_utc_timestamp(text) }},
        to_utc_timestamp(try_cast({{ text }} as timestamp), '{{ time_zone }}')
    )
{%- endmacro %}


{#- Integer epoch milliseconds to a UTC timestamp; null outside years 1-9999. -#}
{% macro epoch_ms_to_timestamp(number) -%}
    {{ return(adapter.dispatch('epoch_ms_to_timestamp', 'user_asset_warehouse')(number)) }}
{%- endmacro %}

{% macro default__epoch_ms_to_timestamp(number) -%}
    case
        when {{ number }} between -62135596800000 and 253402300799999
            then epoch_ms({{ number }})
    end
{%- endmacro %}

{% macro spark__epoch_ms_to_timestamp(number) -%}
    case
        when {{ number }} between -62135596800000 and 253402300799999
            then timestamp_millis({{ number }})
    end
{%- endmacro %}


{#- The contract's event time: ISO-8601 text with an offset, or integer epoch milliseconds
    (older SDKs). Returns a UTC timestamp, or null when neither form parses. -#}
{% macro json_event_time(doc, path) -%}
    {{ event_time_from_json_scalar(json_kind(doc, path), json_text(doc, path)) }}
{%- endmacro %}


{#- The same, from a JSON value's kind (json_kind) and text (json_text), already extracted. -#}
{% macro event_time_from_json_scalar(kind, text) -%}
    case {{ kind }}
        when 'VARCHAR' then {{ parse_utc_timestamp(text) }}
        when 'BIGINT' then {{ epoch_ms_to_timestamp('try_cast(' ~ text ~ ' as bigint)') }}
        when 'UBIGINT' then {{ epoch_ms_to_timestamp('try_cast(' ~ text ~ ' as bigint)') }}
    end
{%- endmacro %}

{{ config(on_schema_change='fail', **partition_incremental_config('partition_date')) }}
{#- Incremental like base_crm__member_lines: only the partitions from the cutoff are rebuilt (each
    row follows from one accepted line; the member's current state is chosen downstream). -#}
{%- set cutoff = incremental_partition_cutoff() %}
{%- set identifier_columns = ['member_id', 'account_id', 'phone', 'email', 'unionid'] %}

with

member_lines as (

    select * from {{ ref('base_crm__member_lines') }}
    where line_status = 'accepted' and {{ from_partition_cutoff(cutoff) }}

),

unpivoted as (

    {% for identifier_type in identifier_columns -%}
        select
            member_id_text as member_id,
            updated_at,
            partition_date,
            '{{ identifier_type }}' as identifier_type,
            {{ identifier_type }}_text as raw_value
        from member_lines
        where {{ identifier_type }}_text is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

normalized as (

    {{ normalize_identifiers('unpivoted', ['member_id', 'updated_at', 'partition_date']) }}

)

select * from normalized

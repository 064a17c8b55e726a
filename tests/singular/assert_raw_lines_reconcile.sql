-- Nothing is lost (SPEC section 2): for every source, the raw lines read (headers excluded; a
-- line or file the reader could not read counts as one line, its reject: macros/raw/raw_lines.sql)
-- equal the rows of the lines model, one per line, and those equal the staged rows plus the
-- rejects plus the duplicates removed, exactly (a tracking record that is not behaviour, a bind
-- or a profile update, is staged in stg_tracking__profile_records). Returns one row per source
-- where counts disagree.
--
-- The event, order, CRM and campaign touch lines are incremental: a daily run rewrites only the
-- partitions from its cutoff, and this test then re-reads the raw files from the first partition
-- its own dbt invocation wrote (dbt_invocation_id) less the look-back days
-- (macros/incremental/reconcile_from_partition.sql); older partitions were reconciled by the run
-- that wrote them. When no line, or every line, is from this invocation (`dbt test` alone, or a
-- full build), every raw file is read. Lines are numbered only where a header (line 1) must be
-- left out: numbering the events' lines costs more than counting them. A CSV record may span
-- physical lines (a quoted line break, macros/raw/csv_lines.sql): for the CSV sources the raw
-- lines equal the sum of the records' `physical_line_count`, and the rows are records.
-- In Dagster a check of stg_tracking__events (meta.dagster.ref: a test of several models needs one).
{{ config(meta={'dagster': {'ref': {'name': 'stg_tracking__events'}}}) }}

{%- set sources = [
    {'name': 'events', 'source': ('tracking', 'events'), 'has_header': false,
     'physical_lines': 'coalesce(physical_line_count, 1)',
     'staged': 'stg_tracking__events', 'also_staged': 'stg_tracking__profile_records',
     'rejects': 'stg_tracking__event_rejects',
     'lines': 'base_tracking__event_lines', 'incremental': true},
    {'name': 'orders', 'source': ('oms', 'orders'), 'has_header': false,
     'staged': 'stg_oms__order_updates', 'rejects': 'stg_oms__order_rejects',
     'lines': 'base_oms__order_lines', 'incremental': true},
    {'name': 'crm_members', 'source': ('crm', 'members'), 'has_header': true,
     'staged': 'stg_crm__member_updates', 'rejects': 'stg_crm__member_rejects',
     'lines': 'base_crm__member_lines', 'incremental': true, 'physical_lines': 'physical_line_count'},
    {'name': 'campaign_touches', 'source': ('marketing', 'campaign_touches'), 'has_header': false,
     'staged': 'stg_marketing__campaign_touches', 'rejects': 'stg_marketing__campaign_touch_rejects',
     'lines': 'base_marketing__campaign_touch_lines', 'incremental': true},
    {'name': 'erasure_requests', 'source': ('privacy', 'erasure_requests'), 'has_header': true,
     'staged': 'stg_privacy__erasure_requests', 'rejects': 'stg_privacy__erasure_request_rejects',
     'lines': 'base_privacy__erasure_request_lines', 'incremental': false,
     'physical_lines': 'physical_line_count'},
] %}

with

{% for s in sources %}
    {%- set since = reconcile_from_partition(ref(s.lines)) if s.incremental else none %}
    {%- set physical_line_count = (
        'coalesce(sum(' ~ s.physical_lines ~ '), 0)' if s.physical_lines else 'count(*)'
    ) %}
    {{ s.name }}_raw as (

        {{ event_table_raw_lines(since=since) if s.name == 'events' and events_format() == 'table'
            else raw_lines(s.source[0], s.source[1], since=since, numbered=s.has_header) }}

    ),

    {{ s.name }}_counts as (

        select
            '{{ s.name }}' as source_name,
            {% if since -%}
                cast('{{ since }}' as date)
            {%- else -%}
                cast(null as date)
            {%- endif %} as reconciled_from_partition,
            (
                select count(*) from {{ s.name }}_raw
                {%- if s.has_header %} where line_number != 1{% endif %}
            ) as raw_line_count,
            (
                select {{ physical_line_count }} from {{ ref(s.lines) }}
                {%- if since %} where partition_date >= cast('{{ since }}' as date){% endif %}
            ) as line_count_from_partition,
            (select count(*) from {{ ref(s.lines) }}) as line_count,
            (select count(*) from {{ ref(s.staged) }})
            {%- if s.also_staged %} + (select count(*) from {{ ref(s.also_staged) }}){% endif %}
                as staged_count,
            (select count(*) from {{ ref(s.rejects) }}) as rejected_count,
            (
                select count(*) from {{ ref(s.lines) }}
                where line_status = 'duplicate'
            ) as duplicate_count

    ),

{% endfor %}

all_counts as (

    {% for s in sources -%}
        select * from {{ s.name }}_counts
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from all_counts
where
    raw_line_count != line_count_from_partition
    or line_count != staged_count + rejected_count + duplicate_count

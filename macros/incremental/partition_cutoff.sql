{#- The first partition an incremental run of the current model rebuilds: the newest partition
    the model already holds minus `incremental_lookback_days` (so files landing late in a recent
    partition are picked up), or none on a first or full-refresh run (every partition is built).
    Partitions from the cutoff on are deleted and rebuilt (delete+insert on partition_date). -#}
{% macro incremental_partition_cutoff(partition_column='partition_date') -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set newest = run_query('select max(' ~ partition_column ~ ') from ' ~ this).columns[0].values()[0] -%}
    {%- if newest is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return((newest - modules.datetime.timedelta(days=var('incremental_lookback_days') | int)).isoformat()) }}
{%- endmacro %}


{#- `where` condition keeping the partitions an incremental run rebuilds (true when it builds all). -#}
{% macro from_partition_cutoff(cutoff, partition_column='partition_date') -%}
    {%- if cutoff -%}
        {{ partition_column }} >= cast('{{ cutoff }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

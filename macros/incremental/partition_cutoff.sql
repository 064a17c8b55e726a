{#- The first partition an incremental run of the current model rebuilds, or none on a first or
    full-refresh run (every partition is built). It is the newest partition the model already
    holds minus `incremental_lookback_days` (so files landing late in a recent partition are
    picked up), lowered to the oldest partition that a model incremental by partition it reads
    (partition_inputs()) rewrote since this model's last run, as their write logs say
    (partitions_written_since()); none when one of them was rebuilt whole since. So a model
    follows a lines model rebuilt alone (`--full-refresh -s base_crm__member_lines`) and catches
    up after a run that was killed or left it out. The model, its log and its run scope all
    compute the cutoff here, so they agree. Spark keeps no logs: there the cutoff is the model's
    own (docs/spark.md). -#}
{% macro incremental_partition_cutoff(partition_column='partition_date') -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set newest = run_query('select max(' ~ partition_column ~ ') from ' ~ this).columns[0].values()[0] -%}
    {%- if newest is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set cutoff = (newest - modules.datetime.timedelta(days=var('incremental_lookback_days') | int)).isoformat() -%}
    {%- if run_scoped_tests_supported() -%}
        {%- set watermark = model_watermark() -%}
        {%- for input in partition_inputs(partition_column) -%}
            {%- set written_from = partitions_written_since(input, watermark) -%}
            {%- if written_from == 'all' -%}
                {{ return(none) }}
            {%- elif written_from and written_from < cutoff -%}
                {%- set cutoff = written_from -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(cutoff) }}
{%- endmacro %}


{#- The models the current model reads (its refs) that are incremental by partition on the same
    column (partition_incremental_config() marks them in meta.partition_column), by name. -#}
{% macro partition_inputs(partition_column) -%}
    {%- set inputs = [] -%}
    {%- for unique_id in model.depends_on.nodes if unique_id in graph.nodes -%}
        {%- set node = graph.nodes[unique_id] -%}
        {%- if node.resource_type == 'model' and node.config.meta.get('partition_column') == partition_column -%}
            {%- do inputs.append(node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(inputs | sort) }}
{%- endmacro %}


{#- `where` condition keeping the partitions an incremental run rebuilds (true when it builds all). -#}
{% macro from_partition_cutoff(cutoff, partition_column='partition_date') -%}
    {%- if cutoff -%}
        {{ partition_column }} >= cast('{{ cutoff }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of the models incremental by partition whose select recomputes every partition from
    the cutoff (partition_incremental_config()): deletes those partitions before the model's
    write, in its transaction, so a partition the select no longer produces goes too (the
    delete+insert that follows replaces only the partitions it inserts). The select reads the
    table only before the cutoff (line_status_against_history()). Nothing on a full build; not
    used on Spark, whose parquet tables cannot delete. -#}
{% macro delete_partitions_from_cutoff(partition_column='partition_date') -%}
    {%- set cutoff = incremental_partition_cutoff(partition_column) -%}
    {%- if cutoff -%}
    delete from {{ this }} where {{ from_partition_cutoff(cutoff, partition_column) }}
    {%- endif -%}
{%- endmacro %}

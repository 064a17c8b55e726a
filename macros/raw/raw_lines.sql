{#-
    One row per non-blank line of the raw files behind a source: file_name (relative to the
    raw root, e.g. events/dt=2026-03-01/part-0.jsonl), line_number
    (1-based, physical line in the decompressed file), raw_line and partition_date (the dt=
    folder, null for unpartitioned sources).

    Lines are read as opaque text, never with a JSON or CSV reader, so that a malformed line is
    kept with its position instead of being skipped. Blank lines (whitespace only, see
    not_blank_pattern) carry nothing and are not counted, as in the contract checker.

    When no file matches: a required source stops the build with an error that names the
    folder; an optional one yields no rows. `since` (an ISO date, for incremental runs) reads
    only the `dt=` folders from that day on: whole files, so line numbers stay the same.
    `numbered=false` leaves line_number null and skips the numbering (for counting lines).
-#}
{% macro raw_lines(source_name, table_name, required=false, since=none, numbered=true) -%}
    {%- set relation = source(source_name, table_name) -%}
    {{ return(adapter.dispatch('raw_lines', 'user_asset_warehouse')(relation, source_name, table_name, required, since, numbered)) }}
{%- endmacro %}

{#- A line is blank when it holds only whitespace as Python's str.isspace() defines it, the
    characters the contract checker's line.strip() removes (tools/check_raw_contract.py): ASCII
    tab to carriage return, the separators \x1c-\x1f, space, U+0085, and the Unicode space and
    line separators. A non-blank line matches this pattern (RE2 and Java alike; a regex match
    costs a fraction of trim(), which copies every line). -#}
{% macro not_blank_pattern() -%}
    {{ return('[^\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}]') }}
{%- endmacro %}

{#- The `meta` of a raw source (raw_glob, partitioned, ...). -#}
{% macro raw_source_meta(source_name, table_name) -%}
    {#- The graph is empty while dbt parses; only the source() call matters then. -#}
    {%- set meta = {} -%}
    {%- if execute -%}
        {%- set node = graph.sources['source.user_asset_warehouse.' ~ source_name ~ '.' ~ table_name] -%}
        {%- set meta = node.config.meta or node.meta -%}
    {%- endif -%}
    {{ return(meta) }}
{%- endmacro %}

{% macro default__raw_lines(relation, source_name, table_name, required, since=none, numbered=true) -%}
    {%- set meta = raw_source_meta(source_name, table_name) -%}
    {%- set raw_glob = meta.get('raw_glob') -%}
    {%- set is_partitioned = meta.get('partitioned', true) -%}
    {%- set file_count = 1 -%}
    {%- if can_query_warehouse() -%}
        {%- set file_count = run_query("select count(*) from glob('" ~ raw_glob ~ "')").columns[0].values()[0] -%}
        {%- if file_count == 0 and required and is_building() -%}
            {{ exceptions.raise_compiler_error(
                "No raw files match '" ~ raw_glob ~ "' (source " ~ source_name ~ "." ~ table_name ~ "). "
                ~ "Point USER_ASSETS_RAW_DIR at a raw landing folder (SPEC section 2), "
                ~ "or run `make data` to generate the sample data."
            ) }}
        {%- endif -%}
    {%- endif -%}

    {%- if file_count == 0 %}
    select
        cast(null as {{ dbt.type_string() }}) as file_name,
        cast(null as {{ dbt.type_bigint() }}) as line_number,
        cast(null as {{ dbt.type_string() }}) as raw_line,
        cast(null as date) as partition_date
    where false
    {%- else %}
    with

    scanned as (

        -- Numbering the whole scan (a streaming window) keeps the physical order; a window
        -- partitioned by file directly on the scan mis-numbers lines (shared/STACK_NOTES.md, 7).
        select
            -- The path below the raw root, as the landing contract names files.
            regexp_extract(
                filename, '{{ "[^/]+/dt=[^/]+/[^/]+$" if is_partitioned else "[^/]+/[^/]+$" }}'
            ) as file_name,
            raw_line,
            {% if is_partitioned -%}
            cast(dt as date) as partition_date,
            {%- else -%}
            cast(null as date) as partition_date,
            {%- endif %}
            {%- if numbered %}
            row_number() over () as scan_number
            {%- else %}
            cast(null as {{ dbt.type_bigint() }}) as scan_number
            {%- endif %}
        from {{ relation }}
        {%- if since and is_partitioned %}
        -- Whole dt= folders are skipped (hive partition pruning), never part of a file.
        where dt >= cast('{{ since }}' as date)
        {%- endif %}

    ),
    {%- if not numbered %}

    numbered as (

        select
            file_name,
            raw_line,
            partition_date,
            scan_number as line_number
        from scanned

    )
    {%- else %}

    file_offsets as (

        -- Files are scanned one after the other, so a line's number is its scan number minus
        -- its file's first; this avoids sorting the raw text by file and position.
        select
            file_name,
            min(scan_number) as first_scan_number
        from scanned
        group by file_name

    ),

    numbered as (

        select
            scanned.file_name,
            scanned.raw_line,
            scanned.partition_date,
            scanned.scan_number - file_offsets.first_scan_number + 1 as line_number
        from scanned
        inner join file_offsets on scanned.file_name = file_offsets.file_name

    )
    {%- endif %}

    select
        file_name,
        line_number,
        raw_line,
        partition_date
    from numbered
    where {{ regex_search('raw_line', not_blank_pattern()) }}
    {%- endif %}
{%- endmacro %}

{#- Spark reads the files matching raw_glob with its `text` source (gzip by extension). A line is
    numbered within its file in read order: a file is one split unless it is larger than
    spark.sql.files.maxPartitionBytes, and splits are ordered by their start offset. Spark has no
    glob() to count files first: a source without files stops the build with Spark's
    PATH_NOT_FOUND error, which names the path. -#}
{% macro spark__raw_lines(relation, source_name, table_name, required, since=none, numbered=true) -%}
    {%- set meta = raw_source_meta(source_name, table_name) -%}
    {%- set raw_glob = meta.get('raw_glob', '') -%}
    {%- set is_partitioned = meta.get('partitioned', true) %}
    with

    scanned as (

        select
            regexp_extract(
                _metadata.file_path, '{{ "[^/]+/dt=[^/]+/[^/]+$" if is_partitioned else "[^/]+/[^/]+$" }}', 0
            ) as file_name,
            value as raw_line,
            {% if is_partitioned -%}
            cast(regexp_extract(_metadata.file_path, '/dt=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1) as date)
                as partition_date,
            {%- else -%}
            cast(null as date) as partition_date,
            {%- endif %}
            _metadata.file_block_start as block_start,
            monotonically_increasing_id() as scan_number
        from text.`{{ raw_glob }}`

    ),

    numbered as (

        select
            file_name,
            {% if numbered -%}
            row_number() over (partition by file_name order by block_start, scan_number) as line_number,
            {%- else -%}
            cast(null as bigint) as line_number,
            {%- endif %}
            raw_line,
            partition_date
        from scanned
        {%- if since and is_partitioned %}
        where partition_date >= cast('{{ since }}' as date)
        {%- endif %}

    )

    select
        file_name,
        line_number,
        raw_line,
        partition_date
    from numbered
    where {{ regex_search('raw_line', not_blank_pattern()) }}
{%- endmacro %}

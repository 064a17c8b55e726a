{#-
    One row per non-blank line of the raw files behind a source: file_name (relative to the
    raw root, e.g. events/dt=2026-03-01/part-0.jsonl), line_number
    (1-based, physical line in the decompressed file), raw_line, partition_date (the dt=
    folder, null for unpartitioned sources) and read_problem (null for a line that was read).

    Lines are read as opaque text, never with a JSON or CSV reader, so that a malformed line is
    kept with its position instead of being skipped. Blank lines (whitespace only, see
    not_blank_pattern) carry nothing and are not counted, as in the contract checker. A line
    ends at \n, \r\n or a bare \r, as for the checker (Python's universal newlines).

    No byte stops the build (docs/raw_read_problems.md, raw_read_with_problems): a line that is
    not UTF-8 or longer than var('raw_max_line_bytes') is one row with raw_line null and
    read_problem bad_encoding / line_too_long; a file that cannot be read at all (not gzip,
    truncated or corrupt gzip, cannot be opened) is one row with line_number 0, so reconciling
    counts it as one line. A read_problem names the file and line, never the raw bytes.

    When no file matches: a required source stops the build with an error that names the
    folder, unless another source has landed (an orders-only data set builds, with no events);
    an optional one yields no rows. `since` (an ISO date, for incremental runs) reads
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
    {%- set file_pattern = "[^/]+/dt=[^/]+/[^/]+$" if is_partitioned else "[^/]+/[^/]+$" -%}
    {%- set file_count = 1 -%}
    {%- if can_query_warehouse() -%}
        {%- set file_count = run_query("select count(*) from glob('" ~ raw_glob ~ "')").columns[0].values()[0] -%}
        {#- A required source may be absent when the landing folder holds another source (an
            orders-only data set builds, its event models empty); a folder holding nothing at
            all is a wrong USER_ASSETS_RAW_DIR. -#}
        {%- set other_files = other_sources_landed(table_name) if file_count == 0 and required else 0 -%}
        {%- if file_count == 0 and required and other_files == 0 and is_building() -%}
            {{ exceptions.raise_compiler_error(
                "No raw files match '" ~ raw_glob ~ "' (source " ~ source_name ~ "." ~ table_name ~ "). "
                ~ "Point USER_ASSETS_RAW_DIR at the raw landing folder (SPEC section 2). "
                ~ "Only for a demo: `make data` generates sample data into the default data/raw."
            ) }}
        {%- endif -%}
    {%- endif -%}

    {%- if file_count == 0 %}
    select
        cast(null as {{ dbt.type_string() }}) as file_name,
        cast(null as {{ dbt.type_bigint() }}) as line_number,
        cast(null as {{ dbt.type_string() }}) as raw_line,
        cast(null as date) as partition_date,
        cast(null as {{ dbt.type_string() }}) as read_problem
    where false
    {%- else %}
    {%- set read = raw_read_with_problems(relation, table_name, raw_glob, file_pattern, is_partitioned, since, numbered) %}
    with

    {% if read.scan_table -%}
    scanned as (

        -- Read while compiling, with the read problems (raw_read_with_problems), by:
        {%- for line in (read.scan_sql or '(no readable file)').strip().split('\n') %}
        -- {{ line.strip() }}
        {%- endfor %}
        select * from {{ read.scan_table }}

    ),
    {%- else -%}
    scanned as (

        {{ raw_scan_select(relation, file_pattern, is_partitioned, since, numbered) }}

    ),
    {%- endif %}
    {%- if not numbered %}

    numbered as (

        select
            file_name,
            raw_line,
            partition_date,
            scan_number as line_number
        from scanned

    ),
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

    numbered_in_scan as (

        select
            scanned.file_name,
            scanned.raw_line,
            scanned.partition_date,
            scanned.scan_number - file_offsets.first_scan_number + 1 as line_number
        from scanned
        inner join file_offsets on scanned.file_name = file_offsets.file_name

    ),
    {%- if read.skipped_lines %}

    skipped_lines as (

        -- A line the reader skipped (read_problem) was the i-th skipped of its file: the lines
        -- read after it are numbered from one more. rank_before is how many lines of the file
        -- were read before it.
        select
            file_name,
            line_number - row_number() over (partition by file_name order by line_number) as rank_before
        from (values
            {%- for row in read.skipped_lines %}
            ('{{ row[0] }}', {{ row[1] }}){{ ',' if not loop.last }}
            {%- endfor %}
        ) as skipped (file_name, line_number)

    ),

    shifts as (

        select
            numbered_in_scan.file_name,
            numbered_in_scan.line_number,
            count(*) as lines_skipped_before
        from numbered_in_scan
        inner join skipped_lines
            on
                numbered_in_scan.file_name = skipped_lines.file_name
                and skipped_lines.rank_before < numbered_in_scan.line_number
        group by numbered_in_scan.file_name, numbered_in_scan.line_number

    ),

    numbered as (

        select
            numbered_in_scan.file_name,
            numbered_in_scan.raw_line,
            numbered_in_scan.partition_date,
            numbered_in_scan.line_number + coalesce(shifts.lines_skipped_before, 0) as line_number
        from numbered_in_scan
        left join shifts
            on
                numbered_in_scan.file_name = shifts.file_name
                and numbered_in_scan.line_number = shifts.line_number

    ),
    {%- else %}

    numbered as (

        select * from numbered_in_scan

    ),
    {%- endif %}
    {%- endif %}

    read_lines as (

        select
            file_name,
            line_number,
            raw_line,
            partition_date,
            cast(null as {{ dbt.type_string() }}) as read_problem
        from numbered
        where {{ regex_search('raw_line', not_blank_pattern()) }}

    )
    {%- if read.problems %}

    , read_problems as (

        -- One row per line the reader could not read, and per file it could not read at all
        -- (line 0). Only the file, the position and the reason: never the raw bytes.
        select
            file_name,
            cast(line_number as {{ dbt.type_bigint() }}) as line_number,
            cast(null as {{ dbt.type_string() }}) as raw_line,
            cast(partition_date as date) as partition_date,
            read_problem
        from (values
            {%- for row in read.problems %}
            ('{{ row[0] }}', {{ row[1] }}, {{ "'" ~ row[2] ~ "'" if row[2] else 'null' }}, '{{ row[3] }}'){{ ',' if not loop.last }}
            {%- endfor %}
        ) as problems (file_name, line_number, partition_date, read_problem)

    )

    select * from read_lines
    union all
    select * from read_problems
    {%- else %}

    select * from read_lines
    {%- endif %}
    {%- endif %}
{%- endmacro %}

{#- The select of every line read from `relation` (the source's read_csv): file_name, raw_line,
    partition_date and scan_number, the line's rank in the whole scan (null when not numbered).
    Numbering the whole scan (a streaming window) keeps the physical order; a window
    partitioned by file directly on the scan mis-numbers lines (shared/STACK_NOTES.md, 7). -#}
{% macro raw_scan_select(relation, file_pattern, is_partitioned, since, numbered) -%}
        select
            -- The path below the raw root, as the landing contract names files.
            regexp_extract(filename, '{{ file_pattern }}') as file_name,
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
{%- endmacro %}

{#- Reads a raw source so that no byte stops the build (docs/raw_read_problems.md). While dbt
    builds or tests, and only then, this runs two queries before the model's own SQL, on its
    connection:

    1. raw_file_problem() (orchestration/raw_file_checks.py) for each file the run reads: a file
       the reader would fail on as a whole (not gzip, truncated gzip, cannot be opened) is left
       out of the scan and becomes one problem row (line_number 0);
    2. the scan itself, into a temporary table, with the source's read options: the reader skips
       a line it cannot read (not UTF-8, longer than var('raw_max_line_bytes')) and records its
       file and line in the source's rejects table, read here into one problem row per line.

    Returns scan_table (none otherwise: then the model scans the source directly), scan_sql
    (the scan, shown as a comment in the compiled SQL),
    problems [(file_name, line_number, partition_date, reason)] and skipped_lines
    [(file_name, line_number)]. The compiled SQL of a model then reads that temporary table.
    Both lists are small (the damaged lines, not the data); the scan is the model's only pass
    over the data. -#}
{% macro raw_read_with_problems(relation, table_name, raw_glob, file_pattern, is_partitioned, since, numbered) -%}
    {%- set result = {'scan_table': none, 'problems': [], 'skipped_lines': []} -%}
    {#- Not while compiling for docs, show or lint: only where the SQL is run as a step. -#}
    {%- if not (can_query_warehouse() and flags.WHICH in ['run', 'build', 'run-operation', 'test', 'retry']) -%}
        {{ return(result) }}
    {%- endif -%}
    {%- set partition_of = "regexp_extract(file, '/dt=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1)" -%}
    {%- set checked = run_query(
        "select file, regexp_extract(file, '" ~ file_pattern ~ "') as file_name, "
        ~ "nullif(" ~ partition_of ~ ", '') as partition_date, raw_file_problem(file) as problem "
        ~ "from glob('" ~ raw_glob ~ "')"
        ~ (" where " ~ partition_of ~ " >= '" ~ since ~ "'" if since and is_partitioned else "")
        ~ " order by file"
    ) -%}
    {%- set readable = [] -%}
    {%- for row in checked.rows -%}
        {%- if row['problem'] -%}
            {%- do result['problems'].append((row['file_name'], 0, row['partition_date'], row['problem'])) -%}
        {%- else -%}
            {%- do readable.append(row['file']) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set scan_table = 'raw_scan_' ~ table_name -%}
    {%- if readable | length == 0 -%}
        {%- do run_query(
            "create or replace temp table " ~ scan_table ~ " (file_name varchar, raw_line varchar, "
            ~ "partition_date date, scan_number bigint)"
        ) -%}
    {%- else -%}
        {#- The rejects tables keep rows from earlier scans on this connection: start afresh. -#}
        {%- do run_query("drop table if exists raw_rejects_" ~ table_name) -%}
        {%- do run_query("drop table if exists raw_reject_scans_" ~ table_name) -%}
        {%- set read_relation = relation | string -%}
        {%- if result['problems'] -%}
            {#- Leave the unreadable files out: the glob becomes the list of the others. -#}
            {%- set file_list = "['" ~ (readable | join("', '")) ~ "']" -%}
            {%- set read_relation = read_relation.replace("'" ~ raw_glob ~ "'", file_list) -%}
        {%- endif -%}
        {%- set scan_sql = raw_scan_select(read_relation, file_pattern, is_partitioned, since, numbered) -%}
        {%- do result.update({'scan_sql': scan_sql}) -%}
        {%- do run_query("create or replace temp table " ~ scan_table ~ " as " ~ scan_sql) -%}
        {%- set skipped = run_query(
            "select regexp_extract(scans.file_path, '" ~ file_pattern ~ "') as file_name, "
            ~ "errors.line as line_number, "
            ~ "nullif(regexp_extract(scans.file_path, '/dt=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1), '') as partition_date, "
            ~ "case errors.error_type when 'INVALID ENCODING' then 'bad_encoding' "
            ~ "when 'LINE SIZE OVER MAXIMUM' then 'line_too_long' else 'unreadable_line' end as problem "
            ~ "from raw_rejects_" ~ table_name ~ " as errors "
            ~ "inner join raw_reject_scans_" ~ table_name ~ " as scans "
            ~ "on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id "
            ~ "order by 1, 2"
        ) -%}
        {%- for row in skipped.rows -%}
            {%- do result['problems'].append((row['file_name'], row['line_number'], row['partition_date'], row['problem'])) -%}
            {%- do result['skipped_lines'].append((row['file_name'], row['line_number'])) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do result.update({'scan_table': scan_table}) -%}
    {{ return(result) }}
{%- endmacro %}

{#- Spark reads the files matching raw_glob with its `text` source (gzip by extension). A line is
    numbered within its file in read order: a file is one split unless it is larger than
    spark.sql.files.maxPartitionBytes, and splits are ordered by their start offset. Spark has no
    glob() to count files first: a source without files stops the build with Spark's
    PATH_NOT_FOUND error, which names the path. read_problem is always null: Spark reads bytes
    that are not UTF-8 and lines of any length as text, \x01 is ordinary text and a bare \r
    ends a line as in DuckDB; a truncated or fake .gz stops the job with an error naming the
    file (docs/raw_read_problems.md). -#}
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
            partition_date,
            cast(null as string) as read_problem
        from scanned
        {%- if since and is_partitioned %}
        where partition_date >= cast('{{ since }}' as date)
        {%- endif %}

    )

    select
        file_name,
        line_number,
        raw_line,
        partition_date,
        read_problem
    from numbered
    where {{ regex_search('raw_line', not_blank_pattern()) }}
{%- endmacro %}


{#- How many raw files have landed in the dt= folders of sources other than `folder` (the
    landing folder's subfolder of one source): a required source may be missing only when
    another one landed (an orders-only data set). Call while querying is allowed. -#}
{% macro other_sources_landed(folder) -%}
    {%- set raw_root = env_var('USER_ASSETS_RAW_DIR', 'data/raw') -%}
    {{ return(run_query(
        "select count(*) from glob('" ~ raw_root ~ "/*/dt=*/*') where file not like '%/" ~ folder ~ "/%'"
    ).columns[0].values()[0]) }}
{%- endmacro %}

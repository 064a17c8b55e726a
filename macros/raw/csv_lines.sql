{#- Splits the raw lines of a CSV source (from raw_lines) into records with their fields, read by
    the names in each file's header, and flags the records that cannot be read.

    Records (RFC 4180): a quoted field may hold a line break, so a line that leaves a quote open
    (an odd number of `"`) is joined, with line breaks, to the following lines of its file up to
    the line that closes it. The record keeps its first line's number and counts its physical
    lines in `physical_line_count` (the raw lines reconcile against their sum). A quote that is
    still open after `var('csv_max_record_lines')` lines, or at the end of the file, joins
    nothing: those lines are read one by one (and the one with the stray quote is rejected).
    Blank lines inside a quoted field are not kept (raw_lines drops them).

    Header: line 1 of each file names its columns; names are compared trimmed, without quotes,
    a byte-order mark or a Windows line end, and case-insensitively (the first of two equal
    names wins). Columns may come in any order; columns outside the contract are ignored and
    named in `ignored_columns`; a contract column the header lacks is null when optional (named
    in `absent_columns`), and when it is in `required_columns` every record of the file is
    rejected as `missing_column_<name>`. A header that names no contract column at all (no
    header row, or another file) rejects the file's records as `unexpected_header`.

    Records: a line or file the reader could not read keeps raw_lines' `read_problem` as its
    reason (line 0 stands for a file that could not be read at all); a stray quote is
    `malformed_csv`; a number of fields other than the header's is `wrong_column_count`.

    Renders a select of file_name, line_number, partition_date, raw_line (the record's text),
    physical_line_count, fields (the values of `columns`, in that order, for csv_field),
    ignored_columns, absent_columns and csv_reject_reason. -#}
{% macro csv_lines(raw_lines_relation, columns, required_columns) -%}
    {%- set max_record_lines = var('csv_max_record_lines') | int -%}
    {%- set optional_columns = columns | reject('in', required_columns) | list -%}
    {%- set positions = [] -%}
    {%- for column in columns -%}
        {%- do positions.append('headers.' ~ column ~ '_position') -%}
    {%- endfor -%}
    select
        records.file_name,
        records.line_number,
        records.partition_date,
        records.raw_line,
        records.physical_line_count,
        {{ csv_pick_fields('records.all_fields', positions) }} as fields,
        headers.ignored_columns,
        headers.absent_columns,
        case
            -- A line or file the reader could not read (raw_lines).
            when records.read_problem is not null then records.read_problem
            when headers.contract_column_count is null or headers.contract_column_count = 0
                then 'unexpected_header'
            {%- for column in required_columns %}
            when headers.{{ column }}_position is null then 'missing_column_{{ column }}'
            {%- endfor %}
            when not {{ csv_is_well_formed('records.raw_line') }} then 'malformed_csv'
            when {{ csv_list_size('records.all_fields') }} != headers.header_column_count
                then 'wrong_column_count'
        end as csv_reject_reason
    from (
        select
            file_name,
            record_line_number as line_number,
            partition_date,
            raw_line,
            physical_line_count,
            read_problem,
            {{ csv_fields('raw_line') }} as all_fields
        from (
            select
                file_name,
                record_line_number,
                partition_date,
                count(*) as physical_line_count,
                max(read_problem) as read_problem,
                {{ csv_join_lines('raw_line', 'line_number') }} as raw_line
            from (
                -- A line starts a record unless a quote is open before it; a record of more than
                -- one line whose quotes close within the bound is joined, any other line stands alone.
                select
                    file_name,
                    line_number,
                    partition_date,
                    raw_line,
                    read_problem,
                    case
                        when
                            (count(*) over record_lines) between 2 and {{ max_record_lines }}
                            and (sum(opens_or_closes) over record_lines) % 2 = 0
                            then record_start
                        else line_number
                    end as record_line_number
                from (
                    select
                        *,
                        max(case when open_before % 2 = 0 then line_number end) over (
                            partition by file_name order by line_number
                            rows between unbounded preceding and current row
                        ) as record_start
                    from (
                        select
                            *,
                            coalesce(sum(opens_or_closes) over (
                                partition by file_name order by line_number
                                rows between unbounded preceding and 1 preceding
                            ), 0) as open_before
                        from (
                            select
                                file_name,
                                line_number,
                                partition_date,
                                raw_line,
                                read_problem,
                                -- an unread line (raw_line null) opens no quote
                                coalesce(
                                    (length(raw_line) - length(replace(raw_line, '"', ''))) % 2, 0
                                ) as opens_or_closes
                            from {{ raw_lines_relation }}
                            -- line 1 is the header; line 0 stands for a file that could not be read
                            where line_number != 1
                        ) as data_lines
                    ) as quote_states
                ) as started
                window record_lines as (partition by file_name, record_start)
            ) as assigned
            group by file_name, record_line_number, partition_date
        ) as joined
    ) as records
    left join (
        select
            file_name,
            {{ csv_list_size('header_names') }} as header_column_count,
            {{ csv_names_not_in('header_names', columns) }} as ignored_columns,
            {% if optional_columns -%}
                nullif(concat_ws(','
                    {%- for column in optional_columns -%}
                        , case when {{ csv_name_position('header_names', column) }} is null then '{{ column }}' end
                    {%- endfor -%}
                ), '')
            {%- else -%}
                cast(null as {{ dbt.type_string() }})
            {%- endif %} as absent_columns,
            0
            {%- for column in columns %}
                + case when {{ csv_name_position('header_names', column) }} is null then 0 else 1 end
            {%- endfor %} as contract_column_count,
            {%- for column in columns %}
                {{ csv_name_position('header_names', column) }} as {{ column }}_position
                {{- ',' if not loop.last }}
            {%- endfor %}
        from (
            -- A byte-order mark or a Windows line end is not part of the first or last name.
            select
                file_name,
                {{ csv_header_names(regex_replace_all('raw_line', '^\\x{FEFF}|\\r$', '')) }} as header_names
            from {{ raw_lines_relation }}
            where line_number = 1
        ) as header_lines
    ) as headers on records.file_name = headers.file_name
{%- endmacro %}

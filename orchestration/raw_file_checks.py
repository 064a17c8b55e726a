"""The per-file readability check of raw files, as a DuckDB function for dbt (a dbt-duckdb
plugin, profiles.yml): `raw_file_problem(path)` is null for a file DuckDB's reader can read to
its end, else the reason the whole file is rejected (docs/raw_read_problems.md):

- `unreadable_file`: the file cannot be opened (permissions, vanished);
- `not_gzip`: a `.gz` file without the gzip header (e.g. plain text under a .gz name);
- `truncated_gzip`: a gzip stream that ends before its end marker (an interrupted upload);
- `corrupt_gzip`: a gzip stream with bad data or checksum.

DuckDB's reader stops the whole query on these (an I/O error, which `ignore_errors` does not
cover), so macros/raw/raw_lines.sql leaves such files out of its scan and reports one row per
file. Cost: plain files only get an open(); a `.gz` file is decompressed once (zlib, in C,
without keeping the output), in a daily run only the partitions the run reads.
"""

from __future__ import annotations

import zlib

from dbt.adapters.duckdb.plugins import BasePlugin

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1 << 20


def gzip_problem(f) -> str | None:
    """Reads a gzip stream (one or more members) to its end; None when it is whole."""
    if f.read(2) != GZIP_MAGIC:
        return "not_gzip"
    f.seek(0)
    stream = zlib.decompressobj(wbits=31)
    pending = b""
    try:
        while data := pending + f.read(CHUNK):
            pending = b""
            # Decompress in bounded pieces, dropping the output.
            stream.decompress(data, CHUNK)
            while stream.unconsumed_tail:
                stream.decompress(stream.unconsumed_tail, CHUNK)
            if stream.eof and stream.unused_data.strip(b"\x00"):
                # The next member of a multi-member file (zero padding after the last is fine).
                pending = stream.unused_data
                if len(pending) >= 2 and not pending.startswith(GZIP_MAGIC):
                    return "corrupt_gzip"
                stream = zlib.decompressobj(wbits=31)
    except zlib.error:
        return "corrupt_gzip"
    return None if stream.eof else "truncated_gzip"


def raw_file_problem(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return gzip_problem(f) if path.endswith(".gz") else None
    except OSError:
        return "unreadable_file"


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        conn.create_function(
            "raw_file_problem", raw_file_problem, ["VARCHAR"], "VARCHAR", null_handling="special", side_effects=True
        )

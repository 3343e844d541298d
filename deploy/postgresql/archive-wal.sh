#!/bin/sh
# PostgreSQL's archive_command (deploy/postgresql/wal-archiving.conf): keep one finished
# write-ahead log file in the archive folder.
#
#   archive-wal.sh %p %f ARCHIVE_DIR
#
# The file is copied under a temporary name, flushed to disk and only then renamed, so the
# archive never holds half a file; PostgreSQL removes its own copy only after this exits 0.
# A file already archived with the same contents (PostgreSQL asking again after a crash) is
# success; one with other contents is refused, never overwritten.
set -eu

source_path=$1
name=$2
archive=$3

if [ -e "$archive/$name" ]; then
    cmp -s "$source_path" "$archive/$name" && exit 0
    echo "archive-wal: $archive/$name exists with other contents; not overwritten" >&2
    exit 1
fi
partial="$archive/.$name.partial"
trap 'rm -f "$partial"' EXIT
cp "$source_path" "$partial"
sync "$partial"
mv "$partial" "$archive/$name"
sync "$archive"

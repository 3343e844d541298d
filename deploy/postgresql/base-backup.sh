#!/bin/sh
# viewpoint's weekly base backup: a copy of the whole PostgreSQL cluster, from which the
# archived write-ahead log (wal-archiving.conf) replays the changes up to any later moment.
# Run as the postgres user, on the database machine (deploy/systemd/viewpoint-base-backup.timer):
#
#   BASE_BACKUP_DIR=/var/backups/postgresql WAL_ARCHIVE_DIR=/var/lib/postgresql/wal-archive \
#   deploy/postgresql/base-backup.sh
#
# Each backup is a folder named by its time (base.tar.gz and pg_wal.tar.gz, from
# pg_basebackup), written under a temporary name and renamed when complete. Backups older
# than KEEP_DAYS are removed, then archived log files older than the oldest backup kept
# (pg_archivecleanup): they can no longer be used.
set -eu

: "${BASE_BACKUP_DIR:=/var/backups/postgresql}"
: "${WAL_ARCHIVE_DIR:=/var/lib/postgresql/wal-archive}"
: "${KEEP_DAYS:=28}"
# Extra pg_basebackup connection options (-h, -p, -U), if not the local socket.
: "${PG_OPTIONS:=}"

mkdir -p "$BASE_BACKUP_DIR"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
partial="$BASE_BACKUP_DIR/.base-$stamp.partial"
trap 'rm -rf "$partial"' EXIT

# shellcheck disable=SC2086 # PG_OPTIONS is split into options on purpose
pg_basebackup $PG_OPTIONS --pgdata="$partial" --format=tar --gzip --wal-method=stream \
    --checkpoint=fast --label="viewpoint $stamp"
mv "$partial" "$BASE_BACKUP_DIR/base-$stamp"

find "$BASE_BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name 'base-*' -mtime +"$KEEP_DAYS" \
    -exec rm -rf {} +
oldest=$(find "$BASE_BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name 'base-*' | sort | head -1)
# The first log file the oldest backup needs is named in its backup_label.
first_wal=$(tar -xzOf "$oldest/base.tar.gz" backup_label 2>/dev/null \
    | sed -n 's/^START WAL LOCATION: .* (file \([0-9A-F]*\))$/\1/p')
if [ -n "$first_wal" ] && [ -d "$WAL_ARCHIVE_DIR" ]; then
    pg_archivecleanup "$WAL_ARCHIVE_DIR" "$first_wal"
fi
echo "$BASE_BACKUP_DIR/base-$stamp"

#!/bin/sh
# Prepare a new PostgreSQL data folder that recovers the database to a moment: a base
# backup (base-backup.sh) unpacked, and the archived write-ahead log replayed up to TARGET.
# Run as the postgres user; then start PostgreSQL on the folder, check what it holds, and
# only then point the app servers at it (docs/deploy.md: "Restoring to a moment").
#
#   restore-to-time.sh BASE_BACKUP WAL_ARCHIVE_DIR NEW_DATA_DIR 'YYYY-MM-DD HH:MM:SS+00'
#
# BASE_BACKUP is a folder base-backup.sh made before TARGET (the newest such is quickest).
# Recovery stops just before the first change after TARGET and then opens the database for
# writing (recovery_target_action = promote).
set -eu

backup=$1
archive=$2
data=$3
target=$4

if [ -e "$data" ] && [ -n "$(ls -A "$data" 2>/dev/null)" ]; then
    echo "restore-to-time: $data is not empty; give a new folder" >&2
    exit 1
fi
mkdir -p "$data"
chmod 700 "$data"
tar -xzf "$backup/base.tar.gz" -C "$data"
# The log the backup itself needs; the rest comes from the archive.
tar -xzf "$backup/pg_wal.tar.gz" -C "$data/pg_wal"
cat >> "$data/postgresql.auto.conf" <<CONF
# Added by restore-to-time.sh: recover to $target from $archive.
restore_command = 'cp "$archive/%f" "%p"'
recovery_target_time = '$target'
recovery_target_inclusive = off
recovery_target_action = 'promote'
archive_mode = off
CONF
touch "$data/recovery.signal"
echo "$data: start PostgreSQL on it to recover to $target"

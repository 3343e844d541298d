#!/bin/sh
# viewpoint's nightly backup: the whole database as one pg_dump file (custom format, which
# pg_restore reads back table by table), written under a temporary name and renamed only
# when complete, so a file with a final name is always a whole backup. Files older than
# KEEP_DAYS days are removed. Run by deploy/systemd/viewpoint-backup.timer, or by hand:
#
#   DATABASE_URL=postgresql://viewpoint_migrate:...@host/viewpoint \
#   BACKUP_DIR=/var/backups/viewpoint deploy/postgresql/backup.sh
#
# Restoring (into a new database, then pointing the app at it once it is checked):
#
#   createdb -O viewpoint_migrate viewpoint_restored
#   pg_restore --exit-on-error --dbname=viewpoint_restored /var/backups/viewpoint/<file>.dump
#
# Any role that can read every table can take the backup (the migrating role owns them).
set -eu

: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
: "${BACKUP_DIR:=/var/backups/viewpoint}"
: "${KEEP_DAYS:=14}"

mkdir -p "$BACKUP_DIR"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name="viewpoint-$stamp.dump"
partial="$BACKUP_DIR/.$name.partial"
trap 'rm -f "$partial"' EXIT

pg_dump --format=custom --compress=6 --file="$partial" --dbname="$DATABASE_URL"
mv "$partial" "$BACKUP_DIR/$name"
find "$BACKUP_DIR" -maxdepth 1 -name 'viewpoint-*.dump' -mtime +"$KEEP_DAYS" -delete
echo "$BACKUP_DIR/$name"

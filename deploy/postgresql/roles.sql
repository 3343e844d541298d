-- viewpoint's database and its two roles, with least privilege.
--
--   the migrating role  owns the schema: `viewpoint db upgrade` runs as it, and nothing else;
--   the app's role      reads and writes rows, and cannot create, alter or drop anything.
--
-- Run once, as a PostgreSQL superuser, on a new cluster or an existing one:
--
--   psql -v ON_ERROR_STOP=1 -v database=viewpoint \
--        -v migrator=viewpoint_migrate -v migrator_password="$MIGRATE_PASSWORD" \
--        -v app=viewpoint_app -v app_password="$APP_PASSWORD" \
--        -f deploy/postgresql/roles.sql
--
-- Then give the app servers   DATABASE_URL=postgresql://viewpoint_app:...@host/viewpoint
-- and run migrations with     DATABASE_URL=postgresql://viewpoint_migrate:...@host/viewpoint
--                             viewpoint db upgrade
-- (docs/deploy.md has the whole sequence). Tables the migrating role creates later are the
-- app's to read and write at once (the default privileges below); nothing else changes.

\set ON_ERROR_STOP on

CREATE ROLE :"migrator" LOGIN PASSWORD :'migrator_password';
CREATE ROLE :"app" LOGIN PASSWORD :'app_password';
CREATE DATABASE :"database" OWNER :"migrator" ENCODING 'UTF8' TEMPLATE template0;

-- Nobody but these two connects; the app may use temporary tables, nothing more.
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"app";

\connect :"database"

-- The schema is the migrating role's: only it creates objects there.
ALTER SCHEMA public OWNER TO :"migrator";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";

-- Rows, not structure: for every table and sequence the migrating role makes, now or later.
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO :"app";

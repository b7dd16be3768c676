-- The referral broker's database, schema and roles in the Patroni-managed PostgreSQL cluster (issue 12).
-- Run with psql (it uses \gexec and \connect) on the primary, as the superuser, once after the cluster is up:
--
--   sudo -u postgres psql -X -v ON_ERROR_STOP=1 -f referral-roles.sql
--   sudo -u postgres psql -X -c '\password referral'      # the password referrald reads from its password_file
--
-- It is idempotent: run it again after a broker upgrade whose migrations added tables (the grants below are
-- given again, the audit table's restriction included). Synchronous replication applies: with no synchronous
-- standby it waits, as every commit does.
--
-- Roles:
--   referral_owner  NOLOGIN. Owns the database, the schema "referral" and every table in it.
--   referral        LOGIN: the role referrald runs as. Reads and writes rows; on the table "audit" only
--                   SELECT and INSERT, so that the audit trail stays append-only even for someone holding
--                   this role's password (the table's own trigger, docs/POSTGRES-PLAN.md section 3.1, is the
--                   second guard). Member of pg_monitor: without it pg_stat_replication shows state and
--                   sync_state empty to this role, and referralctl status could not show the replication state.
--
-- Schema changes need referral_owner's rights. referrald creates its tables itself, as store.postgresql.user, the
-- first time an instance starts on the empty database, and runs later migrations when it holds the lease after an
-- upgrade. Do those starts with a login that is a member of referral_owner (for example a "referral_migrate" role,
-- used only then), and run the instances as "referral" day to day: an existing store opens without CREATE rights.
-- Run this file again afterwards so the new tables get their grants (and "audit" its restriction).

SELECT 'CREATE ROLE referral_owner NOLOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'referral_owner') \gexec
SELECT 'CREATE ROLE referral LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'referral') \gexec
ALTER ROLE referral LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE referral CONNECTION LIMIT 20;
GRANT pg_monitor TO referral;

SELECT 'CREATE DATABASE referral OWNER referral_owner ENCODING ''UTF8'' TEMPLATE template0'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'referral') \gexec
ALTER DATABASE referral OWNER TO referral_owner;
REVOKE ALL ON DATABASE referral FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE referral TO referral;

\connect referral

-- Nothing in "public" for anyone; the broker's tables live in "referral", found first by search_path.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS referral AUTHORIZATION referral_owner;
ALTER SCHEMA referral OWNER TO referral_owner;
REVOKE ALL ON SCHEMA referral FROM PUBLIC;
GRANT USAGE ON SCHEMA referral TO referral;
ALTER ROLE referral IN DATABASE referral SET search_path = referral;

-- Tables the owner creates later (migrations) get row rights for the broker at once ...
ALTER DEFAULT PRIVILEGES FOR ROLE referral_owner IN SCHEMA referral
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO referral;
ALTER DEFAULT PRIVILEGES FOR ROLE referral_owner IN SCHEMA referral
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO referral;
-- ... and so do the tables that exist now.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA referral TO referral;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA referral TO referral;

-- The audit trail: SELECT and INSERT only, for the runtime role. Given again on every run of this file, since
-- the default privileges above would grant UPDATE and DELETE to a newly created audit table.
DO $$
BEGIN
    IF to_regclass('referral.audit') IS NOT NULL THEN
        REVOKE ALL ON referral.audit FROM referral;
        GRANT SELECT, INSERT ON referral.audit TO referral;
    END IF;
END
$$;

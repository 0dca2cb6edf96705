-- Run as an administrator on the ticketing database, then give each role a
-- password and point each service's DATABASE_URL at its own role:
--   reseller-service: postgres://ticketing_reseller:...@host/ticketing
--   admin-service:    postgres://ticketing_admin:...@host/ticketing
-- Each service applies its own migrations at start-up.
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'ticketing_reseller') THEN CREATE ROLE "ticketing_reseller" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS; END IF; END $$;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS "reseller" AUTHORIZATION "ticketing_reseller";
ALTER SCHEMA "reseller" OWNER TO "ticketing_reseller";
REVOKE ALL ON SCHEMA "reseller" FROM PUBLIC;
ALTER ROLE "ticketing_reseller" SET search_path = "reseller";
-- ALTER ROLE ticketing_reseller PASSWORD '...';
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'ticketing_admin') THEN CREATE ROLE "ticketing_admin" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS; END IF; END $$;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS "admin" AUTHORIZATION "ticketing_admin";
ALTER SCHEMA "admin" OWNER TO "ticketing_admin";
REVOKE ALL ON SCHEMA "admin" FROM PUBLIC;
ALTER ROLE "ticketing_admin" SET search_path = "admin";
-- ALTER ROLE ticketing_admin PASSWORD '...';


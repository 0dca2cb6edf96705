-- Development passwords for docker-compose only. Never use these elsewhere.
ALTER ROLE ticketing_reseller PASSWORD 'reseller-dev-password';
ALTER ROLE ticketing_admin PASSWORD 'admin-dev-password';
-- The streaming replica of the `replica` profile connects as this role.
CREATE ROLE replicator REPLICATION LOGIN PASSWORD 'replicator-dev-password';

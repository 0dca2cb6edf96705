-- Reseller accounts: the tenants of reseller-service. Every other table of
-- this schema that holds a reseller's data is keyed by reseller_id first.
CREATE TABLE reseller.resellers (
    reseller_id       uuid        PRIMARY KEY,
    name              text        NOT NULL,
    contact_email     text        NOT NULL,
    billing           jsonb       NOT NULL,
    status            text        NOT NULL DEFAULT 'pending'
                                  CHECK (status IN ('pending', 'active', 'suspended')),
    suspension_reason text,
    version           bigint      NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

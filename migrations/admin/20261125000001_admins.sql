-- Platform admins. E-mail addresses are unique without regard to case.
CREATE TABLE admin.admins (
    admin_id      uuid        PRIMARY KEY,
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('owner', 'support', 'viewer')),
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX admins_email_key ON admin.admins (lower(email));

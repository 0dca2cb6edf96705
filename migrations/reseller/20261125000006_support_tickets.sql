-- Support tickets: a reseller's conversation with the platform's admins
-- (issue #6). Resellers open and read their own tickets; admin-service works
-- the queue of every reseller through the internal API (platform scope).

-- order_id is checked against reseller.orders by the service rather than by
-- a foreign key: orders are a projection of the ingest, whose tables should
-- stay free to change shape without dragging the support tables along.
CREATE TABLE reseller.support_tickets (
    reseller_id uuid        NOT NULL REFERENCES reseller.resellers (reseller_id),
    ticket_id   uuid        NOT NULL,
    subject     text        NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
    category    text        NOT NULL
                            CHECK (category IN ('refund', 'complaint', 'technical', 'billing', 'other')),
    status      text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    order_id    uuid,
    -- An admin of admin-service; another service's id, so no foreign key.
    assignee_id uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    PRIMARY KEY (reseller_id, ticket_id),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
-- The internal API finds a ticket by its id alone.
CREATE UNIQUE INDEX support_tickets_ticket_id_key ON reseller.support_tickets (ticket_id);
-- Keyset orders: a reseller's tickets newest first (and the internal queue
-- filtered by reseller); the queue oldest first, whole or by status; an
-- admin's tickets.
CREATE INDEX support_tickets_by_reseller
    ON reseller.support_tickets (reseller_id, created_at, ticket_id);
CREATE INDEX support_tickets_queue
    ON reseller.support_tickets (created_at, ticket_id);
CREATE INDEX support_tickets_queue_by_status
    ON reseller.support_tickets (status, created_at, ticket_id);
CREATE INDEX support_tickets_by_assignee
    ON reseller.support_tickets (assignee_id, created_at, ticket_id)
    WHERE assignee_id IS NOT NULL;

CREATE TABLE reseller.support_messages (
    reseller_id uuid        NOT NULL,
    ticket_id   uuid        NOT NULL,
    message_id  uuid        NOT NULL,
    author      text        NOT NULL CHECK (author IN ('reseller', 'admin', 'platform')),
    admin_id    uuid,
    body        text        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, ticket_id, message_id),
    FOREIGN KEY (reseller_id, ticket_id) REFERENCES reseller.support_tickets (reseller_id, ticket_id),
    -- An admin's message names the admin; the others name nobody.
    CHECK ((author = 'admin') = (admin_id IS NOT NULL))
);

-- The internal API lists shows across resellers in id order.
CREATE INDEX shows_by_id ON reseller.shows (show_id);

ALTER TABLE reseller.support_tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.support_tickets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.support_tickets USING (reseller.row_visible(reseller_id));

ALTER TABLE reseller.support_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.support_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.support_messages USING (reseller.row_visible(reseller_id));

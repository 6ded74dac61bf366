-- A contract's history: who ran each import and rollback, and a log of the
-- steps the other records do not hold (`securemig pricing undo`, and steps of
-- unattended runners), read by `securemig pricing history`.
-- Actors are "user@host" (or SECUREMIG_ACTOR). Nothing here holds prices,
-- factors or row values. The names do not start with re_, so dumps of
-- public.re_* never include them.
ALTER TABLE pricing_imports
    ADD COLUMN run_by text NULL,
    ADD COLUMN rolled_back_by text NULL;

CREATE TABLE pricing_events (
    id uuid PRIMARY KEY,
    contract_code varchar(80) NOT NULL,
    step text NOT NULL,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    status text NULL,
    migration text NULL,
    environment text NULL,
    details jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT pricing_events_step_check CHECK (step ~ '^[a-z][a-z0-9-]{0,39}$'),
    CONSTRAINT pricing_events_details_check CHECK (jsonb_typeof(details) = 'object')
);
CREATE INDEX pricing_events_contract_code_idx ON pricing_events (contract_code, at);

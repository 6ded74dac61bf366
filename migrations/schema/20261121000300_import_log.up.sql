-- The import log: one row per `securemig pricing import` run, written in its
-- own short transactions (so a failed import is still logged): inserted as
-- 'started', then updated to 'imported' or 'failed'; `pricing rollback` sets
-- 'rolled-back'. A row left 'started' belongs to an interrupted run.
-- The name does not start with re_, so dumps of public.re_* never include it.
-- error holds a redacted message only: never prices, factors or row values.
CREATE TABLE pricing_imports (
    id uuid PRIMARY KEY,
    contract_code varchar(80) NOT NULL,
    contract_name varchar(80) NOT NULL,
    workbook_name text NOT NULL,
    workbook_sha256 char(64) NOT NULL,
    rate_areas_name text NULL,
    rate_areas_sha256 char(64) NULL,
    tool_version text NOT NULL,
    replace boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'started',
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz NULL,
    rolled_back_at timestamptz NULL,
    parse_ms bigint NULL,
    import_ms bigint NULL,
    row_counts jsonb NOT NULL DEFAULT '{}',
    problems integer NOT NULL DEFAULT 0,
    error text NULL,
    CONSTRAINT pricing_imports_status_check
        CHECK (status IN ('started', 'imported', 'failed', 'rolled-back')),
    CONSTRAINT pricing_imports_finished_check
        CHECK ((status = 'started') = (finished_at IS NULL)),
    CONSTRAINT pricing_imports_rolled_back_check
        CHECK ((status = 'rolled-back') = (rolled_back_at IS NOT NULL)),
    CONSTRAINT pricing_imports_workbook_sha256_check CHECK (workbook_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT pricing_imports_rate_areas_sha256_check CHECK (rate_areas_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT pricing_imports_durations_check CHECK (parse_ms >= 0 AND import_ms >= 0),
    CONSTRAINT pricing_imports_row_counts_check CHECK (jsonb_typeof(row_counts) = 'object'),
    CONSTRAINT pricing_imports_problems_check CHECK (problems >= 0)
);
CREATE INDEX pricing_imports_contract_code_idx ON pricing_imports (contract_code, started_at);

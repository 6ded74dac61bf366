-- Where each workbook row of an import came from, kept per import, so the
-- spot-check report can name the exact cell ('sheet'!cell) of any price of
-- any imported contract: the staging tables hold only the latest import.
--
-- One row per row key of a price sheet (not per price): a price's column
-- follows from its key through the template's fixed layout, its row is the
-- Excel row recorded here. source names the workbook table ('2a', '2b',
-- '2c pack', '2c sit', '3a'-'3e', '4a ms', '4a cs', '4a transition',
-- '5a domestic', '5a intl', '5a additional', '5b'); key_a and key_b are the
-- row's natural key as staged (service area, schedule and service, origin
-- and destination, rate area, contract year, market and service; '' when
-- unused); source_row is the first Excel row with that key.
--
-- The importer writes the rows inside its import transaction (COPY); they
-- go with the contract when `pricing rollback` removes it or `--replace`
-- re-imports it. The name does not start with re_, so dumps of public.re_*
-- never include it.
CREATE TABLE pricing_import_sources (
    import_id uuid NOT NULL REFERENCES pricing_imports (id) ON DELETE CASCADE,
    source text NOT NULL,
    key_a text NOT NULL,
    key_b text NOT NULL,
    source_row integer NOT NULL,
    CONSTRAINT pricing_import_sources_pkey PRIMARY KEY (import_id, source, key_a, key_b),
    CONSTRAINT pricing_import_sources_source_row_check CHECK (source_row > 0)
);

-- Where each workbook row of an import came from, kept per import, so the
-- spot-check report can name the exact cell ('sheet'!cell) of any price of
-- any imported contract: the staging tables hold only the latest import.
--
-- One row per import and workbook table (not per price): a price's column
-- follows from its key through the template's fixed layout, its row is the
-- Excel row recorded here. source names the workbook table ('2a', '2b',
-- '2c pack', '2c sit', '3a'-'3e', '4a ms', '4a cs', '4a transition',
-- '5a domestic', '5a intl', '5a additional', '5b'); key_a[i] and key_b[i]
-- are the natural key of one of its rows as staged (service area, schedule
-- and service, origin and destination, rate area, contract year, market and
-- service; '' when unused) and source_row[i] the first Excel row with that
-- key. Arrays keep an import to 16 small rows however large the workbook;
-- unnest(key_a, key_b, source_row) lists them.
--
-- The importer writes the rows inside its import transaction (COPY); they
-- go with the contract when `pricing rollback` removes it or `--replace`
-- re-imports it. The name does not start with re_, so dumps of public.re_*
-- never include it.
CREATE TABLE pricing_import_sources (
    import_id uuid NOT NULL REFERENCES pricing_imports (id) ON DELETE CASCADE,
    source text NOT NULL,
    key_a text[] NOT NULL,
    key_b text[] NOT NULL,
    source_row integer[] NOT NULL,
    CONSTRAINT pricing_import_sources_pkey PRIMARY KEY (import_id, source),
    CONSTRAINT pricing_import_sources_lengths_check
        CHECK (cardinality(key_b) = cardinality(key_a) AND cardinality(source_row) = cardinality(key_a)),
    CONSTRAINT pricing_import_sources_source_row_check CHECK (0 < ALL (source_row))
);

-- pricing_import_sources (20261204000200) held one row per workbook row key:
-- 12,000 rows per full-size import and 290,000 at 25 times that size, each
-- with an index entry and a foreign-key check. It now holds one row per
-- import and workbook table, the keys and their Excel rows as arrays: 16 small
-- rows per import however large the workbook; unnest(key_a, key_b,
-- source_row) lists them. Rows already recorded are kept.
--
-- source names the workbook table ('2a', '2b', '2c pack', '2c sit',
-- '3a'-'3e', '4a ms', '4a cs', '4a transition', '5a domestic', '5a intl',
-- '5a additional', '5b'); key_a[i] and key_b[i] are the natural key of one of
-- its rows as staged ('' when unused) and source_row[i] the first Excel row
-- with that key. The importer writes the rows in its import transaction
-- (COPY); they go with the contract when `pricing rollback` removes it or
-- `--replace` re-imports it.
ALTER TABLE pricing_import_sources RENAME TO pricing_import_source_keys;
ALTER TABLE pricing_import_source_keys RENAME CONSTRAINT pricing_import_sources_pkey TO pricing_import_source_keys_pkey;

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

INSERT INTO pricing_import_sources (import_id, source, key_a, key_b, source_row)
SELECT import_id, source,
       array_agg(key_a ORDER BY source_row, key_a, key_b),
       array_agg(key_b ORDER BY source_row, key_a, key_b),
       array_agg(source_row ORDER BY source_row, key_a, key_b)
  FROM pricing_import_source_keys
 GROUP BY import_id, source;

DROP TABLE pricing_import_source_keys;

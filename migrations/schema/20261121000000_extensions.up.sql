-- Extensions the rate-engine schema needs.
-- btree_gist: the per-contract contract-year date-range exclusion constraint.
CREATE EXTENSION IF NOT EXISTS btree_gist;

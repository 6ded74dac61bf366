-- The rate-engine (re_*) tables of docs/ghc-pricing-template.md Part 4.
--
-- Conventions: every table has id uuid PRIMARY KEY, created_at and updated_at.
-- Every column is NOT NULL unless stated otherwise. IDs are deterministic
-- (UUIDv5 from the contract code and the row's natural key) and written by the
-- importer; the database generates none. Foreign keys have no ON DELETE
-- action: a contract is removed child-first, in foreign-key order, by
-- `securemig pricing rollback`. Every foreign-key column that is not the
-- leading column of a unique key has its own index, so that deleting parents
-- never scans a price table.

-- Services: a lookup seeded here and never written by the importer.
-- The ids are UUIDv5(namespace 72a357ed-6cff-5018-9652-59cc37947698,
-- "re_services/" || code), so every database has the same ids and dumped
-- price rows resolve in any target.
CREATE TABLE re_services (
    id uuid PRIMARY KEY,
    code varchar(20) NOT NULL,
    name varchar(80) NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_services_code_key UNIQUE (code)
);

INSERT INTO re_services (id, code, name, created_at, updated_at) VALUES
    ('c2befbf8-a8d0-52d4-afb1-2f1ff2770138', 'DSH', 'Domestic shorthaul', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('5afabbbe-20cb-589d-8e02-a78e3a25c319', 'DOP', 'Domestic origin price', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('6a0d5489-27d2-5a4b-a6a8-8976eaac46cf', 'DDP', 'Domestic destination price', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('f6cd5f25-a241-5649-98ea-ada8c4de0b3e', 'DOFSIT', 'Domestic origin 1st day SIT', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('6cac1055-25c9-5e8a-a925-c4c5e356fe02', 'DDFSIT', 'Domestic destination 1st day SIT', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('05a8ca2b-f181-599b-9112-8791c22f2a5a', 'DOASIT', 'Domestic origin add''l days SIT', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('6aeaf5c8-a72d-55f6-b558-bde1e5bca430', 'DDASIT', 'Domestic destination add''l days SIT', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('a7f8769d-f8de-51af-9034-3b04b43635f0', 'DPK', 'Domestic packing', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('3897cf37-8b00-560b-a96c-0eae8867b05a', 'DUPK', 'Domestic unpacking', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('91fc60a2-a073-5c65-8795-093e91a85a49', 'DOPSIT', 'Domestic origin SIT pickup', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('0d61a017-b464-5d18-9087-3e902bdd37f3', 'DDDSIT', 'Domestic destination SIT delivery', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('65e7c66a-85ae-5c54-9a44-06d59bf3f699', 'DCRT', 'Domestic crating', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('272037a8-d91d-573a-8c3e-00c0b5424f42', 'DCRTSA', 'Domestic crating - standalone', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('4fef6675-01a2-5f0a-adda-417f475ec272', 'DUCRT', 'Domestic uncrating', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('7972bfb6-78cd-5325-bfdb-54f8ad903694', 'DDSHUT', 'Domestic destination shuttle service', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('8d0c7551-d946-5fb8-a7a5-e85384e84ba0', 'DOSHUT', 'Domestic origin shuttle service', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('c8af6b95-0948-5cb9-a1ca-2fbd09a561ed', 'ISLH', 'International shipping & linehaul', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('afc18eb8-2ef2-5d5e-9ccf-5a4a5a4b45d6', 'UBP', 'International UB price', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('30361fda-1aa0-5ea7-a36c-036f420dbbce', 'IHPK', 'International HHG pack', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('aee8eda4-53ed-50bb-a602-311eb1c06cda', 'IHUPK', 'International HHG unpack', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('99e594f8-70ff-56e5-99d2-542767427750', 'IUBPK', 'International UB pack', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('b56be480-e9f2-53ad-afa2-2d3c47042a81', 'IUBUPK', 'International UB unpack', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('c20f81de-691e-5e44-85e9-99b70eaa3dde', 'IOFSIT', 'International origin 1st day SIT', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('c80c29c1-0317-5042-a49f-d8fbd627a3b1', 'IDFSIT', 'International destination 1st day SIT', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('4051b2fe-b469-571c-bebd-91773a213c51', 'IOASIT', 'International origin add''l days SIT', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('5a96048d-b2cb-58f1-bb83-51d109c01eb2', 'IDASIT', 'International destination add''l days SIT', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('53f9d579-5181-53df-8ddb-6def7bcf1907', 'IOPSIT', 'International origin SIT pickup', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('0c37eb91-6038-5cfa-acc5-c42a5a51fb89', 'IDDSIT', 'International destination SIT delivery', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('88feb11f-d291-5d19-8dd6-9903728e6fc3', 'ICRT', 'International crating', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('bf97d5ff-7b69-5bcb-933d-e40e39377eab', 'ICRTSA', 'International crating - standalone', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('3b47c6c2-ed47-5934-a169-51bed8109df3', 'IUCRT', 'International uncrating', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('5cf6c691-a2c2-51fb-93b2-6b03d37e608f', 'IDSHUT', 'International destination shuttle service', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('93168fa7-4373-5dc8-ae38-964cb4e42e96', 'IOSHUT', 'International origin shuttle service', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('09c9e3f5-5ded-530a-98d3-078ed0394709', 'MS', 'Shipment management services', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('88dc051e-0cc9-584e-a62e-a1798b55bddc', 'CS', 'Counseling services', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('3935e06d-81f1-5e88-bb24-6cb14e8f5fb9', 'DMHF', 'Domestic mobile home factor', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('58159d18-7c95-56f0-b578-9cfd18267aa8', 'DBTF', 'Domestic tow away boat factor', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('7588057b-1d61-5d32-9cd1-98a7b2519f00', 'IBTF', 'International tow away boat factor', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('37f65892-fa34-55ed-b62f-13a06a7885e7', 'DBHF', 'Domestic haul away boat factor', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('d02c7d8f-4111-5ecb-a9dd-b1d7d994c338', 'IBHF', 'International haul away boat factor', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('ec74a97b-1a08-5e5e-b85c-84db3306b321', 'DNPK', 'Domestic NTS packing factor', '2026-11-21 00:00:00', '2026-11-21 00:00:00'),
    ('f1e12109-081e-5178-bc8d-1062577049c4', 'INPK', 'International NTS packing factor', '2026-11-21 00:00:00', '2026-11-21 00:00:00');

-- Contracts: one row per import.
CREATE TABLE re_contracts (
    id uuid PRIMARY KEY,
    code varchar(80) NOT NULL,
    name varchar(80) NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_contracts_code_key UNIQUE (code),
    CONSTRAINT re_contracts_code_check CHECK (code ~ '^[A-Za-z0-9_-]+$')
);

-- Contract years (5b). The date ranges of one contract never overlap; other
-- contracts may reuse the same dates (the reference applied the exclusion
-- across all contracts).
CREATE TABLE re_contract_years (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    name varchar(80) NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    escalation numeric(6,5) NOT NULL,
    escalation_compounded numeric(6,5) NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_contract_years_contract_id_name_key UNIQUE (contract_id, name),
    CONSTRAINT re_contract_years_dates_check CHECK (end_date > start_date),
    CONSTRAINT re_contract_years_escalation_check CHECK (escalation > 0),
    CONSTRAINT re_contract_years_escalation_compounded_check CHECK (escalation_compounded > 0),
    CONSTRAINT re_contract_years_daterange_excl EXCLUDE USING gist (
        contract_id WITH =,
        daterange(start_date, end_date, '[]') WITH &&
    )
);

-- Rate areas: domestic price areas (3b/3c) and international ones (1b).
CREATE TABLE re_rate_areas (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    is_oconus boolean NOT NULL,
    code varchar(20) NOT NULL,
    name varchar(80) NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_rate_areas_contract_id_code_key UNIQUE (contract_id, code)
);

-- Domestic service areas (1b numbers, schedules from 2b).
CREATE TABLE re_domestic_service_areas (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    service_area varchar(80) NOT NULL,
    services_schedule integer NOT NULL,
    sit_pd_schedule integer NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_domestic_service_areas_contract_id_service_area_key UNIQUE (contract_id, service_area),
    CONSTRAINT re_domestic_service_areas_service_area_check CHECK (service_area ~ '^[0-9]{3}$'),
    CONSTRAINT re_domestic_service_areas_services_schedule_check CHECK (services_schedule BETWEEN 1 AND 3),
    CONSTRAINT re_domestic_service_areas_sit_pd_schedule_check CHECK (sit_pd_schedule BETWEEN 1 AND 3)
);

-- Zip3s (1b) with their rate area from the reference CSV. A zip3 spanning
-- several rate areas has no rate area of its own (see re_zip5_rate_areas).
CREATE TABLE re_zip3s (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    zip3 varchar(3) NOT NULL,
    base_point_city varchar(80) NOT NULL,
    state varchar(80) NOT NULL,
    domestic_service_area_id uuid NOT NULL REFERENCES re_domestic_service_areas (id),
    rate_area_id uuid NULL REFERENCES re_rate_areas (id),
    has_multiple_rate_areas boolean NOT NULL DEFAULT false,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_zip3s_contract_id_zip3_key UNIQUE (contract_id, zip3),
    CONSTRAINT re_zip3s_zip3_check CHECK (zip3 ~ '^[0-9]{3}$'),
    CONSTRAINT re_zip3s_rate_area_check CHECK ((rate_area_id IS NULL) = has_multiple_rate_areas)
);
CREATE INDEX re_zip3s_domestic_service_area_id_idx ON re_zip3s (domestic_service_area_id);
CREATE INDEX re_zip3s_rate_area_id_idx ON re_zip3s (rate_area_id);

-- Zip5 → rate area (reference CSV zip5 lines).
CREATE TABLE re_zip5_rate_areas (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    zip5 text NOT NULL,
    rate_area_id uuid NOT NULL REFERENCES re_rate_areas (id),
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_zip5_rate_areas_contract_id_zip5_key UNIQUE (contract_id, zip5),
    CONSTRAINT re_zip5_rate_areas_zip5_check CHECK (zip5 ~ '^[0-9]{5}$')
);
CREATE INDEX re_zip5_rate_areas_rate_area_id_idx ON re_zip5_rate_areas (rate_area_id);

-- 2a: domestic linehaul prices, in millicents.
CREATE TABLE re_domestic_linehaul_prices (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    weight_lower integer NOT NULL,
    weight_upper integer NOT NULL,
    miles_lower integer NOT NULL,
    miles_upper integer NOT NULL,
    is_peak_period boolean NOT NULL,
    domestic_service_area_id uuid NOT NULL REFERENCES re_domestic_service_areas (id),
    price_millicents integer NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_domestic_linehaul_prices_unique_key UNIQUE (contract_id, weight_lower, weight_upper,
        miles_lower, miles_upper, is_peak_period, domestic_service_area_id),
    CONSTRAINT re_domestic_linehaul_prices_price_millicents_check CHECK (price_millicents >= 0),
    CONSTRAINT re_domestic_linehaul_prices_weight_check CHECK (weight_upper > weight_lower AND weight_lower >= 0),
    CONSTRAINT re_domestic_linehaul_prices_miles_check CHECK (miles_upper > miles_lower AND miles_lower >= 0)
);
CREATE INDEX re_domestic_linehaul_prices_domestic_service_area_id_idx
    ON re_domestic_linehaul_prices (domestic_service_area_id);

-- 2b: domestic service-area prices, in cents.
CREATE TABLE re_domestic_service_area_prices (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    service_id uuid NOT NULL REFERENCES re_services (id),
    is_peak_period boolean NOT NULL,
    domestic_service_area_id uuid NOT NULL REFERENCES re_domestic_service_areas (id),
    price_cents integer NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_domestic_service_area_prices_unique_key UNIQUE (contract_id, service_id,
        is_peak_period, domestic_service_area_id),
    CONSTRAINT re_domestic_service_area_prices_price_cents_check CHECK (price_cents > 0)
);
CREATE INDEX re_domestic_service_area_prices_domestic_service_area_id_idx
    ON re_domestic_service_area_prices (domestic_service_area_id);

-- 2c: domestic pack/unpack and SIT pickup/delivery prices by schedule.
CREATE TABLE re_domestic_other_prices (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    service_id uuid NOT NULL REFERENCES re_services (id),
    is_peak_period boolean NOT NULL,
    schedule integer NOT NULL,
    price_cents integer NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_domestic_other_prices_unique_key UNIQUE (contract_id, service_id, is_peak_period, schedule),
    CONSTRAINT re_domestic_other_prices_schedule_check CHECK (schedule BETWEEN 1 AND 3),
    CONSTRAINT re_domestic_other_prices_price_cents_check CHECK (price_cents > 0)
);

-- 3a, 3b, 3c, 3e: international linehaul (ISLH) and UB (UBP) prices.
CREATE TABLE re_intl_prices (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    service_id uuid NOT NULL REFERENCES re_services (id),
    is_peak_period boolean NOT NULL,
    origin_rate_area_id uuid NOT NULL REFERENCES re_rate_areas (id),
    destination_rate_area_id uuid NOT NULL REFERENCES re_rate_areas (id),
    per_unit_cents integer NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_intl_prices_unique_key UNIQUE (contract_id, service_id, is_peak_period,
        origin_rate_area_id, destination_rate_area_id),
    CONSTRAINT re_intl_prices_per_unit_cents_check CHECK (per_unit_cents >= 0)
);
CREATE INDEX re_intl_prices_origin_rate_area_id_idx ON re_intl_prices (origin_rate_area_id);
CREATE INDEX re_intl_prices_destination_rate_area_id_idx ON re_intl_prices (destination_rate_area_id);

-- 3d: other international prices. is_less_50_miles: IOPSIT true, IDDSIT
-- false, NULL for the others. NULLS NOT DISTINCT so the NULL rows are unique
-- too (PostgreSQL 15).
CREATE TABLE re_intl_other_prices (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    service_id uuid NOT NULL REFERENCES re_services (id),
    is_peak_period boolean NOT NULL,
    rate_area_id uuid NOT NULL REFERENCES re_rate_areas (id),
    per_unit_cents integer NOT NULL,
    is_less_50_miles boolean NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_intl_other_prices_unique_key UNIQUE NULLS NOT DISTINCT (contract_id, service_id,
        is_peak_period, rate_area_id, is_less_50_miles),
    CONSTRAINT re_intl_other_prices_per_unit_cents_check CHECK (per_unit_cents >= 0)
);
CREATE INDEX re_intl_other_prices_rate_area_id_idx ON re_intl_other_prices (rate_area_id);

-- 4a: task-order fees (MS, CS) per contract year.
CREATE TABLE re_task_order_fees (
    id uuid PRIMARY KEY,
    contract_year_id uuid NOT NULL REFERENCES re_contract_years (id),
    service_id uuid NOT NULL REFERENCES re_services (id),
    price_cents integer NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_task_order_fees_unique_key UNIQUE (contract_year_id, service_id),
    CONSTRAINT re_task_order_fees_price_cents_check CHECK (price_cents > 0)
);

-- 4a: the one-time transition price (OURS: the reference never imported it).
CREATE TABLE re_contract_transition_prices (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    description varchar(255) NOT NULL,
    price_cents integer NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_contract_transition_prices_contract_id_key UNIQUE (contract_id),
    CONSTRAINT re_contract_transition_prices_price_cents_check CHECK (price_cents > 0)
);

-- 5a domestic accessorials, per services schedule.
CREATE TABLE re_domestic_accessorial_prices (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    service_id uuid NOT NULL REFERENCES re_services (id),
    services_schedule integer NOT NULL,
    per_unit_cents integer NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_domestic_accessorial_prices_unique_key UNIQUE (contract_id, service_id, services_schedule),
    CONSTRAINT re_domestic_accessorial_prices_services_schedule_check CHECK (services_schedule BETWEEN 1 AND 3),
    CONSTRAINT re_domestic_accessorial_prices_per_unit_cents_check CHECK (per_unit_cents > 0)
);

-- 5a international accessorials, per market (C = CONUS, O = OCONUS).
CREATE TABLE re_intl_accessorial_prices (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    service_id uuid NOT NULL REFERENCES re_services (id),
    market varchar(1) NOT NULL,
    per_unit_cents integer NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_intl_accessorial_prices_unique_key UNIQUE (contract_id, service_id, market),
    CONSTRAINT re_intl_accessorial_prices_market_check CHECK (market IN ('C', 'O')),
    CONSTRAINT re_intl_accessorial_prices_per_unit_cents_check CHECK (per_unit_cents >= 0)
);

-- 5a additional: shipment-type factors, per market.
CREATE TABLE re_shipment_type_prices (
    id uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES re_contracts (id),
    service_id uuid NOT NULL REFERENCES re_services (id),
    market varchar(1) NOT NULL,
    factor numeric(4,2) NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    CONSTRAINT re_shipment_type_prices_unique_key UNIQUE (contract_id, service_id, market),
    CONSTRAINT re_shipment_type_prices_market_check CHECK (market IN ('C', 'O')),
    CONSTRAINT re_shipment_type_prices_factor_check CHECK (factor > 0)
);

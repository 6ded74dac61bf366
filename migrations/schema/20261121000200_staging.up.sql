-- The 18 staging tables of docs/ghc-pricing-template.md Part 3.2.
--
-- Every sheet column is text NOT NULL (a blank cell is ''), holding what the
-- CSV export shows. stage_row is the 1-based position in sheet order, the
-- primary key and the only ordering ever used; source_row is the Excel row the
-- record came from. Staging tables hold the current import only: the importer
-- clears and fills them inside its import transaction.

-- 1b C–F
CREATE TABLE stage_domestic_service_areas (
    base_point_city text NOT NULL,
    state text NOT NULL,
    service_area_number text NOT NULL,
    zip3s text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 1b J–K
CREATE TABLE stage_international_service_areas (
    rate_area text NOT NULL,
    rate_area_id text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 2a
CREATE TABLE stage_domestic_linehaul_prices (
    service_area_number text NOT NULL,
    origin_service_area text NOT NULL,
    services_schedule text NOT NULL,
    season text NOT NULL,
    weight_lower text NOT NULL,
    weight_upper text NOT NULL,
    miles_lower text NOT NULL,
    miles_upper text NOT NULL,
    escalation_number text NOT NULL,
    rate text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 2b
CREATE TABLE stage_domestic_service_area_prices (
    service_area_number text NOT NULL,
    service_area_name text NOT NULL,
    services_schedule text NOT NULL,
    sit_pickup_delivery_schedule text NOT NULL,
    season text NOT NULL,
    shorthaul_price text NOT NULL,
    origin_destination_price text NOT NULL,
    origin_destination_sit_first_day_warehouse text NOT NULL,
    origin_destination_sit_addl_days text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 2c pack
CREATE TABLE stage_domestic_other_pack_prices (
    services_schedule text NOT NULL,
    service_provided text NOT NULL,
    non_peak_price_per_cwt text NOT NULL,
    peak_price_per_cwt text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 2c SIT
CREATE TABLE stage_domestic_other_sit_prices (
    sit_pickup_delivery_schedule text NOT NULL,
    service_provided text NOT NULL,
    non_peak_price_per_cwt text NOT NULL,
    peak_price_per_cwt text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 3a
CREATE TABLE stage_oconus_to_oconus_prices (
    origin_intl_price_area_id text NOT NULL,
    origin_intl_price_area text NOT NULL,
    destination_intl_price_area_id text NOT NULL,
    destination_intl_price_area text NOT NULL,
    season text NOT NULL,
    hhg_shipping_linehaul_price text NOT NULL,
    ub_price text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 3b
CREATE TABLE stage_conus_to_oconus_prices (
    origin_domestic_price_area_code text NOT NULL,
    origin_domestic_price_area text NOT NULL,
    destination_intl_price_area_id text NOT NULL,
    destination_intl_price_area text NOT NULL,
    season text NOT NULL,
    hhg_shipping_linehaul_price text NOT NULL,
    ub_price text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 3c
CREATE TABLE stage_oconus_to_conus_prices (
    origin_intl_price_area_id text NOT NULL,
    origin_intl_price_area text NOT NULL,
    destination_domestic_price_area_area text NOT NULL,
    destination_domestic_price_area text NOT NULL,
    season text NOT NULL,
    hhg_shipping_linehaul_price text NOT NULL,
    ub_price text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 3d
CREATE TABLE stage_other_intl_prices (
    rate_area_code text NOT NULL,
    rate_area_name text NOT NULL,
    hhg_origin_pack_price text NOT NULL,
    hhg_destination_unpack_price text NOT NULL,
    ub_origin_pack_price text NOT NULL,
    ub_destination_unpack_price text NOT NULL,
    origin_destination_sit_first_day_warehouse text NOT NULL,
    origin_destination_sit_addl_days text NOT NULL,
    sit_lte_50_miles text NOT NULL,
    sit_gt_50_miles text NOT NULL,
    season text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 3e
CREATE TABLE stage_non_standard_locn_prices (
    origin_id text NOT NULL,
    origin_area text NOT NULL,
    destination_id text NOT NULL,
    destination_area text NOT NULL,
    move_type text NOT NULL,
    season text NOT NULL,
    hhg_price text NOT NULL,
    ub_price text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 4a management
CREATE TABLE stage_shipment_management_services_prices (
    contract_year text NOT NULL,
    price_per_task_order text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 4a counseling
CREATE TABLE stage_counseling_services_prices (
    contract_year text NOT NULL,
    price_per_task_order text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 4a transition
CREATE TABLE stage_transition_prices (
    contract_year text NOT NULL,
    price_total_cost text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 5a domestic
CREATE TABLE stage_domestic_move_accessorial_prices (
    services_schedule text NOT NULL,
    service_provided text NOT NULL,
    price_per_unit text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 5a international
CREATE TABLE stage_international_move_accessorial_prices (
    market text NOT NULL,
    service_provided text NOT NULL,
    price_per_unit text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 5a additional
CREATE TABLE stage_domestic_international_additional_prices (
    market text NOT NULL,
    shipment_type text NOT NULL,
    factor text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

-- 5b H–K
CREATE TABLE stage_price_escalation_discounts (
    contract_year text NOT NULL,
    forecasting_adjustment text NOT NULL,
    discount text NOT NULL,
    price_escalation text NOT NULL,
    stage_row integer PRIMARY KEY CHECK (stage_row > 0),
    source_row integer NOT NULL CHECK (source_row > 0)
);

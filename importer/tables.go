// Package importer loads a parsed pricing workbook into the staging tables
// and derives every rate-engine (re_*) table from it, in one transaction,
// with COPY (docs/ghc-pricing-template.md Parts 3.2 and 4). It also keeps the
// import log (pricing_imports), lists contracts and imports, and rolls a
// contract back.
//
// Every problem the derivation reveals (a missing service area, rate area,
// service code or contract year, a duplicate natural key, an existing
// contract code, a reference-CSV gap) is collected and returned together in
// a *ProblemsError, each naming its workbook cell or reference-CSV line;
// nothing is written then. Problems never quote prices, factors or
// escalations.
package importer

// ContractTables lists the rate-engine tables that hold contract data, in
// foreign-key order (parents first): the order to load them in, and the
// reverse of the order to delete them in. re_services is a reference table
// and not listed.
var ContractTables = []string{
	"re_contracts",
	"re_contract_years",
	"re_rate_areas",
	"re_domestic_service_areas",
	"re_zip3s",
	"re_zip5_rate_areas",
	"re_domestic_linehaul_prices",
	"re_domestic_service_area_prices",
	"re_domestic_other_prices",
	"re_intl_prices",
	"re_intl_other_prices",
	"re_task_order_fees",
	"re_contract_transition_prices",
	"re_domestic_accessorial_prices",
	"re_intl_accessorial_prices",
	"re_shipment_type_prices",
}

// columns lists the COPY columns of each contract table, in table order.
// Every table ends with created_at, updated_at.
var columns = map[string][]string{
	"re_contracts":      {"id", "code", "name", "created_at", "updated_at"},
	"re_contract_years": {"id", "contract_id", "name", "start_date", "end_date", "escalation", "escalation_compounded", "created_at", "updated_at"},
	"re_rate_areas":     {"id", "contract_id", "is_oconus", "code", "name", "created_at", "updated_at"},
	"re_domestic_service_areas": {"id", "contract_id", "service_area", "services_schedule", "sit_pd_schedule",
		"created_at", "updated_at"},
	"re_zip3s": {"id", "contract_id", "zip3", "base_point_city", "state", "domestic_service_area_id", "rate_area_id",
		"has_multiple_rate_areas", "created_at", "updated_at"},
	"re_zip5_rate_areas": {"id", "contract_id", "zip5", "rate_area_id", "created_at", "updated_at"},
	"re_domestic_linehaul_prices": {"id", "contract_id", "weight_lower", "weight_upper", "miles_lower", "miles_upper",
		"is_peak_period", "domestic_service_area_id", "price_millicents", "created_at", "updated_at"},
	"re_domestic_service_area_prices": {"id", "contract_id", "service_id", "is_peak_period", "domestic_service_area_id",
		"price_cents", "created_at", "updated_at"},
	"re_domestic_other_prices": {"id", "contract_id", "service_id", "is_peak_period", "schedule", "price_cents",
		"created_at", "updated_at"},
	"re_intl_prices": {"id", "contract_id", "service_id", "is_peak_period", "origin_rate_area_id",
		"destination_rate_area_id", "per_unit_cents", "created_at", "updated_at"},
	"re_intl_other_prices": {"id", "contract_id", "service_id", "is_peak_period", "rate_area_id", "per_unit_cents",
		"is_less_50_miles", "created_at", "updated_at"},
	"re_task_order_fees":             {"id", "contract_year_id", "service_id", "price_cents", "created_at", "updated_at"},
	"re_contract_transition_prices":  {"id", "contract_id", "description", "price_cents", "created_at", "updated_at"},
	"re_domestic_accessorial_prices": {"id", "contract_id", "service_id", "services_schedule", "per_unit_cents", "created_at", "updated_at"},
	"re_intl_accessorial_prices":     {"id", "contract_id", "service_id", "market", "per_unit_cents", "created_at", "updated_at"},
	"re_shipment_type_prices":        {"id", "contract_id", "service_id", "market", "factor", "created_at", "updated_at"},
}

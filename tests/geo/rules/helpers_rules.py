"""Shared helpers for the rule-check tests (plain module, imported by the tests)."""

from __future__ import annotations

from suigeo.geo.rules import check

AS_OF = "2024-06-30"  # all four rule sets in force

# A village-industrial project that meets every rule comfortably (values checked by hand:
# plot ratio 240000/60000 = 4.0; ancillary 48000/240000 = 20%; living 24000/240000 = 10%;
# standalone land 3000/60000 = 5%; strata 600 m² units; transfer 72000/(240000-48000) = 37.5%).
VILLAGE = {
    "id": "V1",
    "site_area_m2": 60000,
    "central_urban": False,
    "counted_gfa_m2": 240000,
    "ancillary_gfa_m2": 48000,
    "living_service_gfa_m2": 24000,
    "ancillary_standalone_land_m2": 3000,
    "special_process": False,
    "strata_min_unit_m2": 600,
    "strata_exception": False,
    "strata_transfer_gfa_m2": 72000,
    "ancillary_strata_alone_gfa_m2": 0,  # (十三): no ancillary space subdivided alone
    "legacy_construction_land_m2": 2000,  # (七): offset 50% = 1000 m²
    "quota_offset_m2": 1000,
    "building_height_m": 40,  # (十): under the 50 m limit
    "height_limit_m": 50,
    "strata_transfer_date": "2018-01-01",  # (十三): re-transfer after 6 years
    "strata_retransfer_date": "2024-01-01",
}


def outcome(ruleset: str, project: dict, rule: str, as_of: str = AS_OF) -> tuple[str, float, str]:
    """(status, value, reason) of one rule for one project."""
    res = check(project, ruleset, as_of=as_of, allow_expired=True)
    frame = res.to_frame().set_index("rule")
    row = frame.loc[rule]
    return str(row["status"]), float(row["value"]), str(row["reason"])


def village(**over) -> dict:
    p = dict(VILLAGE)
    p.update(over)
    return p

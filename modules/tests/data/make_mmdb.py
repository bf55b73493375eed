"""Writes the small MaxMind DB files the geoip_* module tests read.

Run once with the PyPI packages mmdb-writer (0.2.7) and netaddr installed:

    python modules/tests/data/make_mmdb.py

The records use documentation address ranges (RFC 5737 / RFC 3849) and the
field layout of the GeoLite2 City, Country and ASN databases, so any
MaxMind DB reader (geoip2 in Python, maxminddb in Rust) reads them as it
would read the real files.
"""

import os

from mmdb_writer import MMDBWriter
from netaddr import IPSet

HERE = os.path.dirname(os.path.abspath(__file__))

EUROPE = {"code": "EU", "geoname_id": 6255148, "names": {"en": "Europe", "de": "Europa"}}
GERMANY = {"geoname_id": 2921044, "iso_code": "DE", "names": {"en": "Germany", "de": "Deutschland"}}
NORTH_AMERICA = {"code": "NA", "geoname_id": 6255149, "names": {"en": "North America"}}
UNITED_STATES = {"geoname_id": 6252001, "iso_code": "US", "names": {"en": "United States"}}

BERLIN = {
    "city": {"geoname_id": 2950159, "names": {"en": "Berlin", "de": "Berlin"}},
    "continent": EUROPE,
    "country": GERMANY,
    "registered_country": GERMANY,
    "location": {"accuracy_radius": 20, "latitude": 52.5244, "longitude": 13.4105, "time_zone": "Europe/Berlin"},
    "postal": {"code": "10115"},
    "subdivisions": [{"geoname_id": 2950157, "iso_code": "BE", "names": {"en": "Land Berlin", "de": "Berlin"}}],
}
# A record with the sparse data MaxMind gives many ranges: a country and a
# coarse location, no city, postal code or subdivision.
US_ONLY = {
    "continent": NORTH_AMERICA,
    "country": UNITED_STATES,
    "registered_country": UNITED_STATES,
    "location": {"accuracy_radius": 1000, "latitude": 37.751, "longitude": -97.822, "time_zone": "America/Chicago"},
}
# A range known only by its continent.
EUROPE_ONLY = {"continent": EUROPE}


def write(name, database_type, networks):
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type=database_type,
        languages=["en", "de"],
        description={lang: f"misp-modules-stack test {database_type} database" for lang in ("en", "de")},
    )
    for cidrs, record in networks:
        writer.insert_network(IPSet(cidrs), record)
    writer.to_db_file(os.path.join(HERE, name))


def country_part(record):
    return {k: v for k, v in record.items() if k in ("continent", "country", "registered_country")}


write(
    "test-city.mmdb",
    "GeoLite2-City",
    [(["192.0.2.0/24", "2001:db8::/48"], BERLIN), (["198.51.100.0/24"], US_ONLY), (["203.0.113.0/25"], EUROPE_ONLY)],
)
write(
    "test-country.mmdb",
    "GeoLite2-Country",
    [
        (["192.0.2.0/24", "2001:db8::/48"], country_part(BERLIN)),
        (["198.51.100.0/24"], country_part(US_ONLY)),
        (["203.0.113.0/25"], EUROPE_ONLY),
    ],
)
write(
    "test-asn.mmdb",
    "GeoLite2-ASN",
    [
        (["192.0.2.0/24"], {"autonomous_system_number": 64496, "autonomous_system_organization": "Example Transit GmbH"}),
        (["2001:db8::/32"], {"autonomous_system_number": 64497, "autonomous_system_organization": "Example Six e.V."}),
        (["198.51.100.0/24"], {"autonomous_system_number": 64511}),
    ],
)

"""Writes the small IPGeolocation.io-style MMDB databases the ipgeolocation tests read.

Run once with the PyPI packages mmdb-writer (0.2.7) and netaddr installed:

    python modules/tests/data/ipgeolocation/make_mmdb.py

Each database follows the record layout of one IPGeolocation.io product (names per
language, Security booleans stored as text, abuse contacts joined with commas, AS numbers
as doubles), so the module reads them as it would read the real files. The build time is
fixed so that the files, and the dates the module reports, do not change between runs.
"""

import os
import types
from datetime import datetime, timezone

import mmdb_writer
from mmdb_writer import MMDBWriter
from netaddr import IPSet

HERE = os.path.dirname(os.path.abspath(__file__))
BUILT = datetime(2026, 9, 30, tzinfo=timezone.utc).timestamp()
mmdb_writer.time = types.SimpleNamespace(time=lambda: BUILT)


def write(folder, name, database_type, ip_version, networks):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    writer = MMDBWriter(
        ip_version=ip_version,
        ipv4_compatible=ip_version == 6,
        database_type=database_type,
        languages=["en"],
        description={"en": f"misp-modules-stack test {database_type}"},
    )
    for cidr, record in networks.items():
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(os.path.join(HERE, folder, name))


write(
    "combined",
    "db-ip-location.mmdb",
    "ipgeolocation.io Database",
    6,
    {
        "91.128.0.0/14": {
            "location": {
                "country": {"code2": "SE", "name": {"en": "Sweden", "de": "Schweden"}},
                "state": {"code": "SE-AB", "name": {"en": "Stockholm County", "sv": "Stockholms län"}},
                "city": {"name": {"en": "Stockholm"}},
                "zipcode": "164 40",
                "latitude": "59.40510",
                "longitude": "17.95510",
                "accuracy_radius": "4.395",
            },
            "asn": {"as_number": "1257", "organization": "Tele2 Sverige AB", "country": "SE"},
            "company": {"name": {"en": "Tele2 Sverige AB"}, "domain": "tele2.com", "type": "ISP"},
            "abuse": {
                "emails": "abuse@tele2.com, hostmaster@tele2.com",
                "phone_numbers": "+46856264210, +46856264211",
            },
        },
        "185.220.101.0/24": {
            "location": {"country": {"code2": "DE", "name": {"en": "Germany"}}, "city": {"name": {"en": "Berlin"}}},
            "asn": {"as_number": 208294.0, "organization": "Example Hosting GmbH", "country": "DE"},
        },
        "2a00:1450::/32": {
            "location": {"country": {"code2": "IE", "name": {"en": "Ireland"}}, "city": {"name": {"en": "Dublin"}}}
        },
    },
)
write(
    "combined",
    "db-ip-security.mmdb",
    "ipgeolocation.io IP-Security Database",
    4,
    {
        "185.220.101.0/24": {
            "threat_score": 95,
            "is_tor": "true",
            "is_vpn": "false",
            "is_anonymous": "true",
            "is_known_attacker": "true",
            "proxy_provider_names": [],
            "vpn_provider_names": [],
            "vpn_confidence_score": 0,
            "cloud_provider_name": "",
        }
    },
)
# The first Security database marked VPN exits with proxy_type.
write(
    "single-purpose",
    "db-ip-security.mmdb",
    "ipgeolocation.io IP-Security Database",
    4,
    {
        "45.80.0.0/24": {
            "is_proxy": "true",
            "proxy_type": "VPN",
            "proxy_provider": "Nord VPN",
            "is_anonymous": "true",
            "threat_score": 40,
        },
        "45.81.0.0/24": {"is_proxy": "true", "proxy_type": "PROXY", "proxy_provider": "FleetProxy", "threat_score": 45},
    },
)
write(
    "single-purpose",
    "db-residential-proxy.mmdb",
    "ipgeolocation.io Residential Database",
    4,
    {"1.0.141.172/32": {"proxy_provider": "ProxyShare", "last_seen": "2026-08-19"}},
)
write(
    "single-purpose",
    "db-ip-hosting.mmdb",
    "ipgeolocation.io IP Hosting Database",
    4,
    {"104.16.0.0/13": {"hosting_provider": "Cloudflare, Inc."}},
)

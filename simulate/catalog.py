"""Static reference data the simulator draws from: networks, clients, identities, models.

Autonomous systems are real ones (hosting providers vs residential and mobile
ISPs) with IPv4/IPv6 prefixes of the kind each really announces, so that IP,
ASN and country always agree for one address. The prefixes are illustrative:
consistent per ASN, not a copy of a routing table. User agents are the strings
the official SDKs, raw HTTP libraries and browsers really send; each carries
the kind a detector should infer from it, recorded in the manifest for tests.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AutonomousSystem:
    asn: int
    name: str
    hosting: bool  # datacenter / cloud / hosting provider (vs residential or mobile ISP)
    v4: tuple[tuple[str, str], ...]  # (prefix, country)
    v6: tuple[tuple[str, str], ...] = ()


HOSTING_ASES: tuple[AutonomousSystem, ...] = (
    AutonomousSystem(
        16509,
        "Amazon AWS",
        True,
        (
            ("3.80.0.0/12", "US"),
            ("52.0.0.0/11", "US"),
            ("18.184.0.0/15", "DE"),
            ("13.208.0.0/16", "JP"),
        ),
        (("2600:1f00::/24", "US"),),
    ),
    AutonomousSystem(
        14618,
        "Amazon AWS (us-east-1)",
        True,
        (("54.144.0.0/12", "US"), ("3.208.0.0/12", "US")),
        (("2600:1f18::/32", "US"),),
    ),
    AutonomousSystem(15169, "Google", True, (("34.64.0.0/11", "US"),), (("2600:1900::/28", "US"),)),
    AutonomousSystem(
        396982,
        "Google Cloud",
        True,
        (("35.184.0.0/13", "US"), ("34.140.0.0/14", "BE"), ("34.84.0.0/14", "JP")),
        (("2600:1901::/32", "US"),),
    ),
    AutonomousSystem(
        8075,
        "Microsoft Azure",
        True,
        (("20.36.0.0/14", "US"), ("40.112.0.0/13", "NL"), ("52.224.0.0/11", "US")),
        (("2603:1030::/32", "US"),),
    ),
    AutonomousSystem(
        14061,
        "DigitalOcean",
        True,
        (
            ("159.89.0.0/16", "US"),
            ("167.99.0.0/16", "DE"),
            ("134.209.0.0/16", "GB"),
            ("128.199.0.0/16", "SG"),
        ),
        (("2a03:b0c0::/32", "NL"),),
    ),
    AutonomousSystem(
        16276,
        "OVH",
        True,
        (
            ("51.75.0.0/16", "FR"),
            ("54.36.0.0/16", "FR"),
            ("147.135.0.0/16", "US"),
            ("51.79.0.0/16", "CA"),
        ),
        (("2001:41d0::/32", "FR"),),
    ),
    AutonomousSystem(
        24940,
        "Hetzner",
        True,
        (("95.216.0.0/16", "FI"), ("88.198.0.0/16", "DE"), ("49.12.0.0/14", "DE")),
        (("2a01:4f8::/32", "DE"),),
    ),
    AutonomousSystem(
        63949,
        "Linode (Akamai)",
        True,
        (("172.104.0.0/15", "US"), ("139.162.0.0/16", "GB")),
        (("2600:3c00::/27", "US"),),
    ),
    AutonomousSystem(
        20473,
        "Vultr (Choopa)",
        True,
        (
            ("45.32.0.0/16", "US"),
            ("45.63.0.0/16", "JP"),
            ("149.28.0.0/16", "SG"),
            ("207.148.64.0/18", "US"),
        ),
        (("2001:19f0::/32", "US"),),
    ),
    AutonomousSystem(
        9009,
        "M247",
        True,
        (
            ("89.187.160.0/19", "GB"),
            ("146.70.0.0/16", "NL"),
            ("185.153.176.0/22", "RO"),
            ("37.120.192.0/19", "DE"),
            ("193.27.12.0/22", "US"),
        ),
        (("2a0d:5600::/29", "GB"),),
    ),
    AutonomousSystem(
        31898,
        "Oracle Cloud",
        True,
        (("129.146.0.0/16", "US"), ("152.67.0.0/16", "KR"), ("132.145.0.0/16", "GB")),
        (("2603:c020::/27", "US"),),
    ),
    AutonomousSystem(
        45102,
        "Alibaba Cloud",
        True,
        (("47.74.0.0/15", "SG"), ("47.88.0.0/14", "US"), ("8.208.0.0/14", "GB")),
        (("2408:4000::/22", "CN"),),
    ),
)

RESIDENTIAL_ASES: tuple[AutonomousSystem, ...] = (
    AutonomousSystem(
        7922,
        "Comcast",
        False,
        (("73.0.0.0/8", "US"), ("24.0.0.0/12", "US")),
        (("2601::/20", "US"),),
    ),
    AutonomousSystem(
        7018,
        "AT&T",
        False,
        (("99.0.0.0/10", "US"), ("107.192.0.0/12", "US")),
        (("2600:1700::/28", "US"),),
    ),
    AutonomousSystem(
        701,
        "Verizon",
        False,
        (("71.160.0.0/11", "US"), ("108.0.0.0/12", "US")),
        (("2600:4040::/26", "US"),),
    ),
    AutonomousSystem(
        20115,
        "Charter",
        False,
        (("97.80.0.0/12", "US"), ("24.176.0.0/13", "US")),
        (("2603:6000::/20", "US"),),
    ),
    AutonomousSystem(
        3320,
        "Deutsche Telekom",
        False,
        (("79.192.0.0/10", "DE"), ("87.128.0.0/10", "DE")),
        (("2003::/19", "DE"),),
    ),
    AutonomousSystem(
        2856,
        "BT",
        False,
        (("86.128.0.0/10", "GB"), ("81.128.0.0/11", "GB")),
        (("2a00:23c0::/26", "GB"),),
    ),
    AutonomousSystem(
        3215,
        "Orange",
        False,
        (("90.0.0.0/9", "FR"), ("86.192.0.0/11", "FR")),
        (("2a01:cb00::/24", "FR"),),
    ),
    AutonomousSystem(
        3352,
        "Telefonica",
        False,
        (("88.0.0.0/11", "ES"), ("83.32.0.0/11", "ES")),
        (("2a0c:5a80::/29", "ES"),),
    ),
    AutonomousSystem(
        4134,
        "China Telecom",
        False,
        (("58.32.0.0/11", "CN"), ("113.64.0.0/10", "CN")),
        (("240e::/20", "CN"),),
    ),
    AutonomousSystem(
        2516,
        "KDDI",
        False,
        (("106.128.0.0/11", "JP"), ("182.248.0.0/14", "JP")),
        (("2001:268::/32", "JP"),),
    ),
    AutonomousSystem(
        9498,
        "Bharti Airtel",
        False,
        (("122.160.0.0/12", "IN"), ("182.64.0.0/12", "IN")),
        (("2401:4900::/32", "IN"),),
    ),
    AutonomousSystem(
        3209,
        "Vodafone Germany",
        False,
        (("88.64.0.0/12", "DE"), ("94.216.0.0/13", "DE")),
        (("2a02:8100::/27", "DE"),),
    ),
    AutonomousSystem(
        5089, "Virgin Media", False, (("82.0.0.0/11", "GB"),), (("2a02:c7c::/30", "GB"),)
    ),
    AutonomousSystem(812, "Rogers", False, (("99.224.0.0/11", "CA"),), (("2607:fea8::/29", "CA"),)),
    AutonomousSystem(
        1221, "Telstra", False, (("101.160.0.0/11", "AU"),), (("2001:8003::/32", "AU"),)
    ),
    AutonomousSystem(
        4766, "Korea Telecom", False, (("211.192.0.0/10", "KR"),), (("2001:e60::/27", "KR"),)
    ),
    AutonomousSystem(
        28573, "Claro Brasil", False, (("177.32.0.0/12", "BR"),), (("2804:14c::/31", "BR"),)
    ),
    AutonomousSystem(12389, "Rostelecom", False, (("95.24.0.0/13", "RU"),), ()),
    AutonomousSystem(
        6830, "Liberty Global", False, (("84.24.0.0/13", "NL"),), (("2001:1c00::/23", "NL"),)
    ),
)

# Research and education networks: a campus egress /24 and researchers' labs.
CAMPUS_ASES: tuple[AutonomousSystem, ...] = (
    AutonomousSystem(32, "Stanford University", False, (("171.64.0.0/14", "US"),), ()),
    AutonomousSystem(25, "UC Berkeley", False, (("128.32.0.0/16", "US"),), ()),
    AutonomousSystem(786, "Jisc (UK universities)", False, (("131.111.0.0/16", "GB"),), ()),
    AutonomousSystem(553, "BelWue (German universities)", False, (("129.206.0.0/16", "DE"),), ()),
)

# Corporate networks behind NAT: business lines of large carriers.
ENTERPRISE_ASES: tuple[AutonomousSystem, ...] = (
    AutonomousSystem(7018, "AT&T", False, (("12.0.0.0/9", "US"),), ()),
    AutonomousSystem(701, "Verizon Business", False, (("65.192.0.0/11", "US"),), ()),
    AutonomousSystem(3320, "Deutsche Telekom", False, (("217.0.0.0/13", "DE"),), ()),
    AutonomousSystem(2856, "BT", False, (("193.113.0.0/16", "GB"),), ()),
    AutonomousSystem(3215, "Orange Business", False, (("193.252.0.0/16", "FR"),), ()),
)

# Residential-proxy exit networks used by the distributed campaign: many ISPs,
# many countries, so that little is reused.
RESIDENTIAL_PROXY_ASES = RESIDENTIAL_ASES
# Datacenter proxy providers used by the aggressive campaign.
DATACENTER_PROXY_ASNS: tuple[int, ...] = (9009, 16276, 24940, 14061, 20473, 63949, 45102)
# Cloud providers SaaS backends and batch jobs run on.
CLOUD_ASNS: tuple[int, ...] = (16509, 14618, 396982, 15169, 8075, 31898)

# Where each country's requests land: the producer's edge region (an extra field).
COUNTRY_REGION: dict[str, str] = {
    "US": "us-east-1",
    "CA": "us-east-1",
    "BR": "sa-east-1",
    "GB": "eu-west-2",
    "IE": "eu-west-1",
    "FR": "eu-west-3",
    "DE": "eu-central-1",
    "NL": "eu-west-1",
    "BE": "eu-west-1",
    "ES": "eu-south-2",
    "FI": "eu-north-1",
    "RO": "eu-central-1",
    "RU": "eu-central-1",
    "CN": "ap-east-1",
    "JP": "ap-northeast-1",
    "KR": "ap-northeast-2",
    "IN": "ap-south-1",
    "SG": "ap-southeast-1",
    "AU": "ap-southeast-2",
}

# Hours to add to UTC for a person in that country (rounded; diurnal profiles are local).
COUNTRY_UTC_OFFSET: dict[str, int] = {
    "US": -6,
    "CA": -5,
    "BR": -3,
    "GB": 0,
    "IE": 0,
    "FR": 1,
    "DE": 1,
    "NL": 1,
    "BE": 1,
    "ES": 1,
    "FI": 2,
    "RO": 2,
    "RU": 3,
    "CN": 8,
    "JP": 9,
    "KR": 9,
    "IN": 5,
    "SG": 8,
    "AU": 10,
}

WEBMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "proton.me",
    "icloud.com",
    "qq.com",
    "163.com",
    "gmx.de",
    "web.de",
    "yandex.ru",
    "naver.com",
    "mail.ru",
    "orange.fr",
)
# Webmail share by home country, roughly; residents mostly use their local providers.
COUNTRY_WEBMAIL: dict[str, tuple[str, ...]] = {
    "CN": ("qq.com", "163.com", "gmail.com"),
    "DE": ("gmx.de", "web.de", "gmail.com", "outlook.com"),
    "RU": ("yandex.ru", "mail.ru", "gmail.com"),
    "KR": ("naver.com", "gmail.com"),
    "FR": ("orange.fr", "gmail.com", "outlook.com"),
}

UNIVERSITY_DOMAINS: tuple[str, ...] = (
    "stanford.edu",
    "berkeley.edu",
    "cam.ac.uk",
    "uni-heidelberg.de",
    "mit.edu",
    "ethz.ch",
    "utoronto.ca",
    "u-tokyo.ac.jp",
    "tsinghua.edu.cn",
    "iitb.ac.in",
)

COMPANY_WORDS_A: tuple[str, ...] = (
    "blue",
    "north",
    "bright",
    "quant",
    "vertex",
    "lumen",
    "harbor",
    "cedar",
    "atlas",
    "nova",
    "pixel",
    "summit",
    "orbit",
    "delta",
    "iron",
    "sage",
    "crimson",
    "silver",
    "river",
    "alpine",
    "echo",
    "zen",
    "polar",
    "copper",
    "maple",
    "tidal",
    "solid",
    "swift",
    "clear",
    "prime",
)
COMPANY_WORDS_B: tuple[str, ...] = (
    "labs",
    "works",
    "soft",
    "data",
    "health",
    "logic",
    "stack",
    "metrics",
    "bank",
    "cloud",
    "systems",
    "analytics",
    "legal",
    "media",
    "retail",
    "logistics",
    "insure",
    "learn",
    "ai",
    "hq",
)
COMPANY_TLDS: tuple[str, ...] = ("com", "io", "ai", "co", "de", "co.uk", "fr", "net", "app", "dev")

# (user agent string, kind) -- kind: official_sdk, http_client, browser
OFFICIAL_SDK_AGENTS: tuple[str, ...] = (
    "anthropic-python/0.49.0",
    "anthropic-python/0.52.2",
    "anthropic-python/0.57.1",
    "anthropic-typescript/0.39.0",
    "anthropic-typescript/0.52.0",
    "anthropic-go/1.4.0",
    "anthropic-java/2.1.0",
    "anthropic-ruby/1.0.0",
)
HTTP_CLIENT_AGENTS: tuple[str, ...] = (
    "python-requests/2.31.0",
    "python-requests/2.32.3",
    "python-httpx/0.27.2",
    "Python/3.11 aiohttp/3.9.5",
    "curl/8.5.0",
    "curl/7.81.0",
    "Go-http-client/2.0",
    "Go-http-client/1.1",
    "axios/1.7.7",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "okhttp/4.12.0",
)
BROWSER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
)
USER_AGENT_KINDS: dict[str, str] = {
    **dict.fromkeys(OFFICIAL_SDK_AGENTS, "official_sdk"),
    **dict.fromkeys(HTTP_CLIENT_AGENTS, "http_client"),
    **dict.fromkeys(BROWSER_AGENTS, "browser"),
}

# The provider's model line-up. The new model appears on the release day.
MODEL_LARGE = "nimbus-3-pro"
MODEL_SMALL = "nimbus-3-lite"
MODEL_LEGACY = "nimbus-2.5-pro"
MODEL_NEW = "nimbus-4-pro"
MODELS_BEFORE_RELEASE: tuple[str, ...] = (MODEL_LARGE, MODEL_SMALL, MODEL_LEGACY)

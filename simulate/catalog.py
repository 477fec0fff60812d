"""Static reference data the simulator draws from: networks, countries, clients, models.

Autonomous systems are real ones, each with the kind of network it is
(``cloud``, ``hosting`` for VPS and dedicated-server providers, ``vpn`` for
consumer VPN and proxy exits, ``edge`` for security and privacy relays that
many unrelated people share, ``isp`` for fixed-line and ``mobile`` for mobile
carriers, ``campus``, ``business``). Their IPv4/IPv6 prefixes are
illustrative: consistent per ASN and country and never overlapping between
ASNs (tests check it), not a copy of a routing table. Hosting networks are
many on purpose: a provider's curated datacenter list never holds the long
tail of small hosts that proxy sellers rent from. Carrier-grade NAT is a
property of the access network (``cgnat``): mobile carriers and several
fixed-line ISPs (DS-Lite cable, Indian and Brazilian fibre) put thousands of
subscribers behind each public IPv4 address. User agents are the strings the
official SDKs, raw HTTP libraries, browsers and apps really send.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

CLOUD, HOSTING, VPN, EDGE, ISP, MOBILE, CAMPUS, BUSINESS = (
    "cloud",
    "hosting",
    "vpn",
    "edge",
    "isp",
    "mobile",
    "campus",
    "business",
)
HOSTING_KINDS = frozenset({CLOUD, HOSTING, VPN, EDGE})


@dataclass(frozen=True)
class AutonomousSystem:
    asn: int
    name: str
    kind: str
    v4: tuple[tuple[str, str], ...]  # (prefix, country)
    v6: tuple[tuple[str, str], ...] = ()
    cgnat: bool = False  # subscribers share public IPv4 addresses (carrier-grade NAT)

    @property
    def hosting(self) -> bool:
        return self.kind in HOSTING_KINDS


def _as(asn: int, name: str, kind: str, v4, v6=(), cgnat: bool = False) -> AutonomousSystem:
    return AutonomousSystem(asn, name, kind, tuple(v4), tuple(v6), cgnat)


# --- hosting: clouds, VPS and dedicated hosts, VPN exits, shared edges -------------------
CLOUD_ASES: tuple[AutonomousSystem, ...] = (
    _as(
        16509,
        "Amazon AWS",
        CLOUD,
        [
            ("3.80.0.0/12", "US"),
            ("52.0.0.0/11", "US"),
            ("18.184.0.0/15", "DE"),
            ("13.208.0.0/16", "JP"),
            ("13.232.0.0/14", "IN"),
        ],
        [("2600:1f00::/28", "US")],
    ),
    _as(
        14618,
        "Amazon AWS (us-east-1)",
        CLOUD,
        [("54.144.0.0/12", "US"), ("3.208.0.0/12", "US")],
        [("2600:1f18::/32", "US")],
    ),
    _as(15169, "Google", CLOUD, [("34.96.0.0/12", "US")], [("2001:4860::/32", "US")]),
    _as(
        396982,
        "Google Cloud",
        CLOUD,
        [("35.184.0.0/13", "US"), ("34.140.0.0/14", "BE"), ("34.84.0.0/14", "JP")],
        [("2600:1901::/32", "US")],
    ),
    _as(
        8075,
        "Microsoft Azure",
        CLOUD,
        [("20.36.0.0/14", "US"), ("40.112.0.0/13", "NL"), ("52.224.0.0/11", "US")],
        [("2603:1030::/32", "US")],
    ),
    _as(
        31898,
        "Oracle Cloud",
        CLOUD,
        [("129.146.0.0/16", "US"), ("152.67.0.0/16", "KR"), ("132.145.0.0/16", "GB")],
        [("2603:c020::/27", "US")],
    ),
    _as(
        45102,
        "Alibaba Cloud (intl)",
        CLOUD,
        [("47.74.0.0/15", "SG"), ("47.88.0.0/14", "US"), ("8.208.0.0/14", "GB")],
        [("2408:4000::/22", "CN")],
    ),
    _as(37963, "Alibaba Cloud (CN)", CLOUD, [("47.96.0.0/12", "CN")]),
    _as(132203, "Tencent Cloud (intl)", CLOUD, [("43.128.0.0/14", "SG"), ("43.152.0.0/14", "JP")]),
    _as(136907, "Huawei Cloud", CLOUD, [("119.8.0.0/16", "SG"), ("159.138.0.0/16", "HK")]),
    _as(38365, "Baidu Cloud", CLOUD, [("180.76.0.0/16", "CN")]),
    _as(135377, "UCloud", CLOUD, [("106.75.0.0/16", "CN")]),
    _as(
        40509,
        "Fly.io",
        CLOUD,
        [("66.241.124.0/22", "US"), ("37.16.0.0/20", "DE")],
        [("2a09:8280::/29", "US")],
    ),
)
HOSTING_ASES: tuple[AutonomousSystem, ...] = (
    _as(
        14061,
        "DigitalOcean",
        HOSTING,
        [
            ("159.89.0.0/16", "US"),
            ("167.99.0.0/16", "DE"),
            ("134.209.0.0/16", "GB"),
            ("128.199.0.0/16", "SG"),
        ],
        [("2a03:b0c0::/32", "NL")],
    ),
    _as(
        16276,
        "OVH",
        HOSTING,
        [
            ("51.75.0.0/16", "FR"),
            ("54.36.0.0/16", "FR"),
            ("147.135.0.0/16", "US"),
            ("51.79.0.0/16", "CA"),
        ],
        [("2001:41d0::/32", "FR")],
    ),
    _as(
        24940,
        "Hetzner",
        HOSTING,
        [("95.216.0.0/16", "FI"), ("88.198.0.0/16", "DE"), ("49.12.0.0/14", "DE")],
        [("2a01:4f8::/32", "DE")],
    ),
    _as(
        63949,
        "Linode (Akamai)",
        HOSTING,
        [("172.104.0.0/15", "US"), ("139.162.0.0/16", "GB")],
        [("2600:3c00::/27", "US")],
    ),
    _as(
        20473,
        "Vultr (Choopa)",
        HOSTING,
        [
            ("45.32.0.0/16", "US"),
            ("45.63.0.0/16", "JP"),
            ("149.28.0.0/16", "SG"),
            ("207.148.64.0/18", "US"),
        ],
        [("2001:19f0::/32", "US")],
    ),
    _as(
        51167,
        "Contabo",
        HOSTING,
        [("62.171.128.0/17", "DE"), ("161.97.64.0/18", "DE"), ("144.126.128.0/18", "US")],
    ),
    _as(
        12876,
        "Scaleway",
        HOSTING,
        [("51.15.0.0/16", "FR"), ("163.172.0.0/16", "FR")],
        [("2001:bc8::/32", "FR")],
    ),
    _as(197540, "netcup", HOSTING, [("37.120.160.0/19", "DE"), ("185.228.136.0/22", "DE")]),
    _as(8560, "IONOS", HOSTING, [("217.160.0.0/16", "DE"), ("74.208.0.0/16", "US")]),
    _as(47583, "Hostinger", HOSTING, [("46.202.0.0/17", "LT"), ("89.116.0.0/17", "US")]),
    _as(36352, "ColoCrossing", HOSTING, [("192.3.0.0/16", "US"), ("198.23.128.0/17", "US")]),
    _as(8100, "QuadraNet", HOSTING, [("104.129.0.0/18", "US"), ("96.44.128.0/18", "US")]),
    _as(29802, "HIVELOCITY", HOSTING, [("66.165.224.0/19", "US")]),
    _as(53667, "FranTech (BuyVM)", HOSTING, [("209.141.32.0/19", "US"), ("104.244.72.0/21", "LU")]),
    _as(60781, "LeaseWeb NL", HOSTING, [("85.17.0.0/16", "NL"), ("5.79.64.0/18", "NL")]),
    _as(30633, "LeaseWeb USA", HOSTING, [("23.105.128.0/18", "US")]),
    _as(49981, "WorldStream", HOSTING, [("109.236.80.0/20", "NL")]),
    _as(62240, "Clouvider", HOSTING, [("185.245.80.0/22", "GB"), ("91.199.118.0/24", "GB")]),
    _as(44477, "Stark Industries", HOSTING, [("45.142.212.0/22", "NL"), ("94.156.64.0/22", "DE")]),
    _as(9370, "Sakura Internet", HOSTING, [("133.242.0.0/16", "JP")]),
    _as(7506, "GMO Internet", HOSTING, [("150.95.0.0/16", "JP")]),
    _as(3258, "xTom", HOSTING, [("103.114.160.0/22", "HK"), ("185.222.216.0/22", "JP")]),
    _as(25820, "IT7 Networks", HOSTING, [("104.224.128.0/18", "US")]),
    _as(40065, "CNSERVERS", HOSTING, [("154.83.0.0/16", "US"), ("156.241.0.0/16", "HK")]),
    _as(64050, "BGP Consultancy", HOSTING, [("103.151.172.0/22", "HK")]),
    _as(36007, "Kamatera", HOSTING, [("185.167.96.0/22", "IL"), ("82.166.0.0/20", "US")]),
)
VPN_ASES: tuple[AutonomousSystem, ...] = (
    _as(
        9009,
        "M247",
        VPN,
        [
            ("146.70.0.0/16", "NL"),
            ("185.153.176.0/22", "RO"),
            ("37.120.192.0/19", "DE"),
            ("193.27.12.0/22", "US"),
        ],
        [("2a0d:5600::/29", "GB")],
    ),
    _as(
        60068,
        "Datacamp (CDN77)",
        VPN,
        [("89.187.160.0/19", "GB"), ("143.244.32.0/19", "US"), ("212.102.32.0/19", "DE")],
    ),
    _as(136787, "TEFINCOM (NordVPN)", VPN, [("194.5.52.0/22", "US"), ("185.216.32.0/22", "DE")]),
    _as(147049, "Packethub", VPN, [("185.245.84.0/22", "US"), ("194.35.232.0/22", "GB")]),
    _as(203020, "HostRoyale", VPN, [("45.86.200.0/22", "US"), ("193.9.112.0/22", "NL")]),
    _as(212238, "Datacamp (2)", VPN, [("156.146.32.0/19", "US"), ("169.150.192.0/19", "JP")]),
)
# Shared edges: a security proxy or privacy relay puts many unrelated people on one address.
EDGE_ASES: tuple[AutonomousSystem, ...] = (
    _as(
        53813,
        "Zscaler",
        EDGE,
        [("165.225.0.0/17", "US"), ("165.225.128.0/18", "DE"), ("165.225.192.0/18", "GB")],
    ),
    _as(22616, "Zscaler (SJC)", EDGE, [("136.226.0.0/16", "US"), ("147.161.128.0/17", "IN")]),
    _as(55256, "Netskope", EDGE, [("163.116.128.0/17", "US")]),
    _as(
        13335,
        "Cloudflare (WARP)",
        EDGE,
        [("104.28.0.0/16", "US"), ("172.69.0.0/16", "DE")],
        [("2a09:bac0::/29", "US")],
    ),
    _as(
        36183,
        "Akamai (iCloud Private Relay)",
        EDGE,
        [("172.224.0.0/14", "US"), ("146.75.128.0/17", "GB")],
        [("2a02:26f7::/32", "US")],
    ),
)

# --- access networks ---------------------------------------------------------------------
ISP_ASES: tuple[AutonomousSystem, ...] = (
    _as(7922, "Comcast", ISP, [("73.0.0.0/8", "US"), ("24.0.0.0/12", "US")], [("2601::/20", "US")]),
    _as(
        7018,
        "AT&T",
        ISP,
        [("99.0.0.0/10", "US"), ("107.192.0.0/12", "US")],
        [("2600:1700::/28", "US")],
    ),
    _as(
        701,
        "Verizon",
        ISP,
        [("71.160.0.0/11", "US"), ("108.0.0.0/12", "US")],
        [("2600:4040::/26", "US")],
    ),
    _as(
        20115,
        "Charter Spectrum",
        ISP,
        [("97.80.0.0/12", "US"), ("24.176.0.0/13", "US")],
        [("2603:6000::/20", "US")],
    ),
    _as(22773, "Cox", ISP, [("68.0.0.0/13", "US")], [("2600:8800::/28", "US")]),
    _as(812, "Rogers", ISP, [("99.224.0.0/11", "CA")], [("2607:fea8::/29", "CA")]),
    _as(6327, "Shaw", ISP, [("70.64.0.0/11", "CA")]),
    _as(8151, "Telmex", ISP, [("187.128.0.0/10", "MX")], cgnat=True),
    _as(28573, "Claro NET", ISP, [("177.32.0.0/12", "BR")], [("2804:14c::/31", "BR")], cgnat=True),
    _as(
        3320,
        "Deutsche Telekom",
        ISP,
        [("79.192.0.0/10", "DE"), ("87.128.0.0/10", "DE")],
        [("2003::/19", "DE")],
    ),
    _as(
        3209,
        "Vodafone Germany (cable, DS-Lite)",
        ISP,
        [("88.64.0.0/12", "DE"), ("94.216.0.0/13", "DE")],
        [("2a02:8100::/27", "DE")],
        cgnat=True,
    ),
    _as(
        2856,
        "BT",
        ISP,
        [("86.128.0.0/10", "GB"), ("81.128.0.0/11", "GB")],
        [("2a00:23c0::/26", "GB")],
    ),
    _as(5089, "Virgin Media", ISP, [("82.0.0.0/11", "GB")], [("2a02:c7c::/30", "GB")]),
    _as(
        3215,
        "Orange",
        ISP,
        [("90.0.0.0/9", "FR"), ("86.192.0.0/11", "FR")],
        [("2a01:cb00::/24", "FR")],
    ),
    _as(12322, "Free", ISP, [("78.192.0.0/10", "FR")], [("2a01:e00::/26", "FR")]),
    _as(
        3352,
        "Telefonica Spain",
        ISP,
        [("88.0.0.0/11", "ES"), ("83.32.0.0/11", "ES")],
        [("2a0c:5a80::/29", "ES")],
    ),
    _as(3269, "Telecom Italia", ISP, [("79.0.0.0/10", "IT")], [("2001:b07::/32", "IT")]),
    _as(1136, "KPN", ISP, [("77.160.0.0/12", "NL")], [("2a02:a400::/25", "NL")]),
    _as(6830, "Liberty Global (Ziggo)", ISP, [("84.24.0.0/13", "NL")], [("2001:1c00::/23", "NL")]),
    _as(5617, "Orange Polska", ISP, [("83.0.0.0/11", "PL")]),
    _as(3303, "Swisscom", ISP, [("83.76.0.0/14", "CH")], [("2a02:1210::/28", "CH")]),
    _as(9121, "Turk Telekom", ISP, [("85.96.0.0/12", "TR")], cgnat=True),
    _as(12389, "Rostelecom", ISP, [("95.24.0.0/13", "RU")]),
    _as(
        4134,
        "China Telecom",
        ISP,
        [("58.32.0.0/11", "CN"), ("113.64.0.0/10", "CN")],
        [("240e::/20", "CN")],
        cgnat=True,
    ),
    _as(4713, "NTT OCN", ISP, [("153.128.0.0/9", "JP")], [("2400:4050::/30", "JP")]),
    _as(
        2516,
        "KDDI",
        ISP,
        [("106.128.0.0/11", "JP"), ("182.248.0.0/14", "JP")],
        [("2001:268::/32", "JP")],
    ),
    _as(4766, "Korea Telecom", ISP, [("211.192.0.0/10", "KR")], [("2001:e60::/27", "KR")]),
    _as(9318, "SK Broadband", ISP, [("1.224.0.0/11", "KR")]),
    _as(
        9498,
        "Bharti Airtel (fixed)",
        ISP,
        [("122.160.0.0/12", "IN"), ("182.64.0.0/12", "IN")],
        [("2401:4900::/32", "IN")],
        cgnat=True,
    ),
    _as(9829, "BSNL", ISP, [("117.192.0.0/10", "IN")], cgnat=True),
    _as(7713, "Telkom Indonesia (IndiHome)", ISP, [("36.64.0.0/11", "ID")], cgnat=True),
    _as(45899, "VNPT", ISP, [("14.160.0.0/11", "VN")], cgnat=True),
    _as(9299, "PLDT", ISP, [("112.200.0.0/13", "PH")], cgnat=True),
    _as(1221, "Telstra", ISP, [("101.160.0.0/11", "AU")], [("2001:8003::/32", "AU")]),
    _as(4804, "Optus", ISP, [("49.176.0.0/12", "AU")]),
    _as(9506, "Singtel", ISP, [("116.86.0.0/15", "SG")]),
)
MOBILE_ASES: tuple[AutonomousSystem, ...] = (
    _as(
        21928,
        "T-Mobile US",
        MOBILE,
        [("172.32.0.0/11", "US")],
        [("2607:fb90::/28", "US")],
        cgnat=True,
    ),
    _as(
        6167,
        "Verizon Wireless",
        MOBILE,
        [("174.192.0.0/10", "US")],
        [("2600:1000::/28", "US")],
        cgnat=True,
    ),
    _as(
        20057,
        "AT&T Mobility",
        MOBILE,
        [("166.128.0.0/11", "US")],
        [("2600:380::/26", "US")],
        cgnat=True,
    ),
    _as(25135, "Vodafone UK", MOBILE, [("82.132.128.0/17", "GB")], cgnat=True),
    _as(12576, "EE", MOBILE, [("31.94.0.0/16", "GB")], [("2a01:4c8::/29", "GB")], cgnat=True),
    _as(
        6805,
        "Telefonica Germany (O2)",
        MOBILE,
        [("89.204.128.0/17", "DE")],
        [("2a02:3030::/29", "DE")],
        cgnat=True,
    ),
    _as(
        51207,
        "Free Mobile",
        MOBILE,
        [("37.160.0.0/12", "FR")],
        [("2a04:cec0::/29", "FR")],
        cgnat=True,
    ),
    _as(
        55836,
        "Reliance Jio",
        MOBILE,
        [("49.32.0.0/11", "IN")],
        [("2409:4000::/22", "IN")],
        cgnat=True,
    ),
    _as(45609, "Airtel Mobile", MOBILE, [("106.192.0.0/12", "IN")], cgnat=True),
    _as(17676, "SoftBank", MOBILE, [("126.0.0.0/8", "JP")], [("2400:2200::/28", "JP")], cgnat=True),
    _as(
        9605, "NTT Docomo", MOBILE, [("49.96.0.0/12", "JP")], [("2001:240::/32", "JP")], cgnat=True
    ),
    _as(9644, "SK Telecom", MOBILE, [("223.32.0.0/11", "KR")], cgnat=True),
    _as(
        26599,
        "Vivo (Telefonica Brasil)",
        MOBILE,
        [("177.128.0.0/11", "BR")],
        [("2804:18::/32", "BR")],
        cgnat=True,
    ),
    _as(28403, "Telcel", MOBILE, [("189.203.0.0/16", "MX")], cgnat=True),
    _as(23693, "Telkomsel", MOBILE, [("114.120.0.0/13", "ID")], cgnat=True),
    _as(132199, "Globe Telecom", MOBILE, [("112.198.0.0/16", "PH")], cgnat=True),
    _as(7552, "Viettel", MOBILE, [("27.64.0.0/12", "VN")], cgnat=True),
    _as(16135, "Turkcell", MOBILE, [("178.240.0.0/12", "TR")], cgnat=True),
    _as(8359, "MTS", MOBILE, [("83.149.0.0/17", "RU")], cgnat=True),
    _as(
        9808,
        "China Mobile",
        MOBILE,
        [("111.0.0.0/10", "CN")],
        [("2409:8000::/20", "CN")],
        cgnat=True,
    ),
    _as(4837, "China Unicom", MOBILE, [("112.224.0.0/11", "CN")], cgnat=True),
    _as(4760, "Vodafone Italia", MOBILE, [("2.32.0.0/13", "IT")], cgnat=True),
    _as(12430, "Vodafone Spain", MOBILE, [("31.4.128.0/17", "ES")], cgnat=True),
    _as(5432, "Proximus", MOBILE, [("81.240.0.0/13", "BE")], cgnat=True),
    _as(4609, "Telstra Mobile", MOBILE, [("1.128.0.0/11", "AU")], cgnat=True),
    _as(12912, "T-Mobile Polska", MOBILE, [("37.47.0.0/16", "PL")], cgnat=True),
    _as(15895, "Kyivstar", MOBILE, [("46.211.0.0/16", "UA")], cgnat=True),
    _as(577, "Bell Mobility", MOBILE, [("184.144.0.0/13", "CA")], cgnat=True),
    _as(852, "Telus Mobility", MOBILE, [("70.32.0.0/11", "CA")], cgnat=True),
    _as(31615, "Odido (T-Mobile NL)", MOBILE, [("62.140.128.0/17", "NL")], cgnat=True),
    _as(6730, "Sunrise", MOBILE, [("212.98.0.0/17", "CH")], cgnat=True),
    _as(4657, "StarHub", MOBILE, [("121.6.0.0/15", "SG")], cgnat=True),
)
CAMPUS_ASES: tuple[AutonomousSystem, ...] = (
    _as(32, "Stanford University", CAMPUS, [("171.64.0.0/14", "US")]),
    _as(25, "UC Berkeley", CAMPUS, [("128.32.0.0/16", "US")]),
    _as(3, "MIT", CAMPUS, [("18.0.0.0/11", "US")]),
    _as(786, "Jisc (UK universities)", CAMPUS, [("131.111.0.0/16", "GB")]),
    _as(553, "BelWue (German universities)", CAMPUS, [("129.206.0.0/16", "DE")]),
    _as(559, "SWITCH (Swiss universities)", CAMPUS, [("129.132.0.0/16", "CH")]),
    _as(2200, "RENATER", CAMPUS, [("193.48.0.0/14", "FR")]),
    _as(2907, "SINET (Japanese universities)", CAMPUS, [("133.11.0.0/16", "JP")]),
    _as(4538, "CERNET", CAMPUS, [("166.111.0.0/16", "CN")]),
    _as(55824, "NKN (Indian institutes)", CAMPUS, [("14.139.0.0/16", "IN")]),
    _as(1916, "RNP (Brazilian universities)", CAMPUS, [("143.106.0.0/16", "BR")]),
)
# Business lines of large carriers: offices and coworking spaces behind their own NAT.
BUSINESS_ASES: tuple[AutonomousSystem, ...] = (
    _as(7018, "AT&T Business", BUSINESS, [("12.0.0.0/9", "US")]),
    _as(701, "Verizon Business", BUSINESS, [("65.192.0.0/11", "US")]),
    _as(174, "Cogent", BUSINESS, [("38.0.0.0/9", "US")]),
    _as(6461, "Zayo", BUSINESS, [("64.125.0.0/16", "US")]),
    _as(3320, "Deutsche Telekom Business", BUSINESS, [("217.0.0.0/13", "DE")]),
    _as(2856, "BT Business", BUSINESS, [("193.113.0.0/16", "GB")]),
    _as(3215, "Orange Business", BUSINESS, [("193.252.0.0/16", "FR")]),
    _as(1136, "KPN Business", BUSINESS, [("145.7.0.0/16", "NL")]),
    _as(2516, "KDDI Business", BUSINESS, [("210.130.0.0/16", "JP")]),
    _as(9498, "Airtel Business", BUSINESS, [("125.16.0.0/14", "IN")]),
    _as(9506, "Singtel Business", BUSINESS, [("203.116.0.0/16", "SG")]),
)

ALL_SYSTEMS: tuple[AutonomousSystem, ...] = (
    CLOUD_ASES
    + HOSTING_ASES
    + VPN_ASES
    + EDGE_ASES
    + ISP_ASES
    + MOBILE_ASES
    + CAMPUS_ASES
    + BUSINESS_ASES
)
# Carriers appear twice (consumer and business lines): one record per (asn, kind).
ASN_KIND: dict[int, str] = {}
for _system in ALL_SYSTEMS:
    ASN_KIND.setdefault(_system.asn, _system.kind)


@cache
def systems(*kinds: str, country: str | None = None) -> tuple[AutonomousSystem, ...]:
    """Systems of the given kinds (announcing a prefix in ``country`` when given)."""
    chosen = tuple(s for s in ALL_SYSTEMS if s.kind in kinds)
    if country is None:
        return chosen
    return tuple(s for s in chosen if any(c == country for _, c in s.v4))


# --- countries ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Country:
    code: str
    utc_offset: int  # hours to add to UTC for local time (rounded; diurnal profiles are local)
    language: str  # the language most residents write in
    region: str  # the producer's edge region that serves it (an extra request field)
    webmail: tuple[str, ...]
    weight: float  # share of the provider's ordinary users
    non_english_share: float  # share of requests its residents write in their own language


_GLOBAL_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com", "proton.me")
COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in (
        Country("US", -6, "en", "us-east-1", _GLOBAL_MAIL, 0.27, 0.03),
        Country("CA", -5, "en", "us-east-1", _GLOBAL_MAIL, 0.03, 0.08),
        Country(
            "MX", -6, "es", "us-east-1", ("gmail.com", "hotmail.com", "outlook.com"), 0.02, 0.55
        ),
        Country(
            "BR",
            -3,
            "pt",
            "sa-east-1",
            ("gmail.com", "hotmail.com", "outlook.com", "uol.com.br"),
            0.05,
            0.55,
        ),
        Country("GB", 0, "en", "eu-west-2", (*_GLOBAL_MAIL, "btinternet.com"), 0.07, 0.0),
        Country(
            "FR",
            1,
            "fr",
            "eu-west-3",
            ("gmail.com", "orange.fr", "outlook.fr", "free.fr"),
            0.05,
            0.45,
        ),
        Country(
            "DE",
            1,
            "de",
            "eu-central-1",
            ("gmx.de", "web.de", "gmail.com", "outlook.de", "t-online.de"),
            0.07,
            0.4,
        ),
        Country("NL", 1, "nl", "eu-west-1", ("gmail.com", "outlook.com", "ziggo.nl"), 0.02, 0.15),
        Country("BE", 1, "fr", "eu-west-1", ("gmail.com", "skynet.be", "outlook.com"), 0.01, 0.3),
        Country("CH", 1, "de", "eu-central-1", ("gmail.com", "bluewin.ch", "proton.me"), 0.01, 0.3),
        Country("ES", 1, "es", "eu-south-2", ("gmail.com", "hotmail.es", "outlook.es"), 0.04, 0.5),
        Country("IT", 1, "it", "eu-south-1", ("gmail.com", "libero.it", "hotmail.it"), 0.03, 0.5),
        Country("PL", 1, "pl", "eu-central-1", ("gmail.com", "wp.pl", "onet.pl"), 0.02, 0.4),
        Country("UA", 2, "ru", "eu-central-1", ("gmail.com", "ukr.net"), 0.01, 0.4),
        Country(
            "TR", 3, "tr", "eu-central-1", ("gmail.com", "hotmail.com", "yandex.com"), 0.02, 0.5
        ),
        Country("RU", 3, "ru", "eu-central-1", ("yandex.ru", "mail.ru", "gmail.com"), 0.01, 0.7),
        Country(
            "IN",
            5,
            "en",
            "ap-south-1",
            ("gmail.com", "outlook.com", "yahoo.co.in", "rediffmail.com"),
            0.09,
            0.05,
        ),
        Country("ID", 7, "id", "ap-southeast-1", ("gmail.com", "yahoo.co.id"), 0.02, 0.4),
        Country("VN", 7, "vi", "ap-southeast-1", ("gmail.com", "yahoo.com.vn"), 0.02, 0.5),
        Country("PH", 8, "en", "ap-southeast-1", ("gmail.com", "yahoo.com"), 0.01, 0.05),
        Country(
            "SG",
            8,
            "en",
            "ap-southeast-1",
            ("gmail.com", "outlook.com", "singnet.com.sg"),
            0.01,
            0.05,
        ),
        Country(
            "CN", 8, "zh", "ap-east-1", ("qq.com", "163.com", "126.com", "gmail.com"), 0.01, 0.8
        ),
        Country("HK", 8, "zh", "ap-east-1", ("gmail.com", "yahoo.com.hk", "outlook.com"), 0.0, 0.4),
        Country(
            "JP",
            9,
            "ja",
            "ap-northeast-1",
            ("gmail.com", "yahoo.co.jp", "docomo.ne.jp", "icloud.com"),
            0.05,
            0.7,
        ),
        Country("KR", 9, "ko", "ap-northeast-2", ("naver.com", "gmail.com", "daum.net"), 0.03, 0.6),
        Country("AU", 10, "en", "ap-southeast-2", (*_GLOBAL_MAIL, "bigpond.com"), 0.03, 0.0),
        # Hosting-only countries: some prefixes of hosts and relays live there.
        Country("FI", 2, "en", "eu-north-1", ("gmail.com",), 0.0, 0.0),
        Country("LT", 2, "en", "eu-north-1", ("gmail.com",), 0.0, 0.0),
        Country("LU", 1, "fr", "eu-central-1", ("gmail.com",), 0.0, 0.0),
        Country("RO", 2, "en", "eu-central-1", ("gmail.com",), 0.0, 0.0),
        Country("IL", 2, "en", "eu-central-1", ("gmail.com",), 0.0, 0.0),
    )
}
HOME_COUNTRIES: tuple[str, ...] = tuple(c for c, info in COUNTRIES.items() if info.weight > 0)
HOME_WEIGHTS: tuple[float, ...] = tuple(COUNTRIES[c].weight for c in HOME_COUNTRIES)

UNIVERSITY_DOMAINS: dict[str, tuple[str, ...]] = {
    "US": ("stanford.edu", "berkeley.edu", "mit.edu", "umich.edu", "utexas.edu"),
    "GB": ("cam.ac.uk", "ox.ac.uk", "ucl.ac.uk"),
    "DE": ("uni-heidelberg.de", "tum.de", "uni-mannheim.de"),
    "CH": ("ethz.ch", "epfl.ch"),
    "FR": ("sorbonne-universite.fr", "univ-grenoble-alpes.fr"),
    "JP": ("u-tokyo.ac.jp", "kyoto-u.ac.jp"),
    "CN": ("tsinghua.edu.cn", "pku.edu.cn"),
    "IN": ("iitb.ac.in", "iisc.ac.in"),
    "BR": ("usp.br", "unicamp.br"),
}

# Identity: company names for sign-up email domains (not prompt text).
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
# Cheap TLDs that operators register throw-away catch-all domains on.
THROWAWAY_TLDS: tuple[str, ...] = ("xyz", "top", "shop", "online", "site", "icu", "click", "store")

# --- clients ------------------------------------------------------------------------------
OFFICIAL_SDK_AGENTS: tuple[str, ...] = (
    "anthropic-python/0.49.0",
    "anthropic-python/0.52.2",
    "anthropic-python/0.57.1",
    "anthropic-python/0.60.0",
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
    "python-httpx/0.28.1",
    "Python/3.11 aiohttp/3.9.5",
    "Python/3.12 aiohttp/3.10.10",
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
MOBILE_BROWSER_AGENTS: tuple[str, ...] = BROWSER_AGENTS[3:]
# Browser automation: what a scripted browser farm sends.
HEADLESS_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/131.0.0.0 Safari/537.36",
)
# Third-party apps and frameworks people run with their own key.
APP_AGENTS: tuple[str, ...] = (
    "LangChain/0.3.7 anthropic-python/0.52.2",
    "llama-index/0.12.2",
    "litellm/1.52.0",
    "OpenWebUI/0.4.8",
    "Raycast/1.86.0",
    "continue/0.8.60 (vscode)",
    "CFNetwork/1568.200.51 Darwin/24.1.0",
)
USER_AGENT_KINDS: dict[str, str] = {
    **dict.fromkeys(OFFICIAL_SDK_AGENTS, "official_sdk"),
    **dict.fromkeys(HTTP_CLIENT_AGENTS, "http_client"),
    **dict.fromkeys(BROWSER_AGENTS, "browser"),
    **dict.fromkeys(HEADLESS_AGENTS, "browser"),
    **dict.fromkeys(APP_AGENTS, "app"),
}

# --- models -------------------------------------------------------------------------------
# The provider's model line-up. The new model appears on the release day.
MODEL_LARGE = "nimbus-3-pro"
MODEL_SMALL = "nimbus-3-lite"
MODEL_LEGACY = "nimbus-2.5-pro"
MODEL_NEW = "nimbus-4-pro"
MODELS_BEFORE_RELEASE: tuple[str, ...] = (MODEL_LARGE, MODEL_SMALL, MODEL_LEGACY)
MODELS: tuple[str, ...] = (MODEL_LARGE, MODEL_SMALL, MODEL_LEGACY, MODEL_NEW)

"""Regenerate the shipped layer files in ``layers/data/`` from the compiled place list.

Run from the repository root (the team's shared folder sits beside it)::

    python -m layers._build --places ../shared/places.csv

Inputs: ``places.csv`` (WGS84 lon/lat of every place, with source and confidence; CGCS2000
and WGS84 agree to well under a metre, far below every ``accuracy_m`` here, so the values
are used as CGCS2000 unchanged), ``layers/data/extra_places.csv`` (places the shared list
lacks, same columns) and the policy tables below (transcribed from the documents named in
each ``source``). Output: one GeoJSON file per layer, deterministic (sorted keys, fixed
float format) so a rebuild shows up as a clean diff. The package never reads ``places.csv``
at run time.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

# --- documents (short id -> citation) --------------------------------------------------
MEIZHOU = "MEIZHOU-2022 穗府办〔2022〕20号"
QINGYUAN = "QINGYUAN-2013 广州—清远对口帮扶总体工作方案(2013-2020年)"
GUANGQING = "GUANGQING-2022 穗府办〔2022〕26号"
NORTH8 = "NORTH8-2023 穗府办函〔2023〕73号"
PEOPLE_2020 = (
    "中国新闻网 2020-11-25 via jx.people.com.cn/n2/2020/1125/c347922-34436906.html "
    "(广清城际 38.2 km 6 stations max 200 km/h; 东环城际 22.6 km 4 stations max 160 km/h); "
    "opening 2020-11-30 per 羊城晚报 www.163.com/dy/article/FTM4RCL00550AXYG.html"
)
SOUTH_EXT_2026 = (
    "news.hcygmm.com/zhishi/33468.html (2026-01-28: 广清城际南延线 opened, about 22 km, "
    "stations 广州白云、白云湖、江高、神山, through-running with 花都—飞霞)"
)
GUANGSHAN_2023 = (
    "羊城晚报 2023-09-14 news.ycwb.com/2023-09/14/content_52200944.htm (广汕高铁: 350 km/h, 8 "
    "stations 新塘、增城、罗浮山、博罗、惠州南、惠东、深汕、汕尾); "
    "sz.citys114.com/jt/2023914/19110.htm (202 km; due to open 2023-09-30)"
)
GUANGSHAN_EIA_2016 = (
    "新浪广东 2016-08-06 via guangzhou.baogaosu.com (广汕客专 second EIA notice: stations "
    "增城 north of 石滩, 罗浮山 east of 长宁镇, 博罗 at 罗阳镇, 惠城南 north of 三栋镇); "
    "EIA works list as quoted in an undated news digest (address not kept): "
    "赣深铁路惠州北站至广汕铁路广州方向 "
    "上、下行联络线单线26公里"
)
HUIZHOU_SOUTH_WIKI = "Wikipedia (zh): 惠州南站 (on 广汕铁路, 惠城区三栋镇, opened 2023-09-26)"
GANSHEN_2021 = (
    "南方日报 2021-12-10 via pggs.com.cn/zixun/baoyingxinwen/2021/1210/54887.html (赣深高铁 "
    "opened; Huizhou stations 博罗北、惠州北、仲恺; 惠州北 linked to 广汕高铁 by a connecting "
    "line); baike.baidu.hk 惠州北站 (opened 2021-12-10 with the 赣深 section); "
    "0752haofang.com 2021-12-06 and m.tus8.com 2016-07-01 (436.37 km, 350 km/h design speed); "
    "OpenStreetMap station order via footpoint-atlas (龙川西、河源东、博罗北、惠州北: no stop "
    "between 龙川西 and 河源东)"
)
PLACES_MD = "places.md (team compilation of public pages)"
MEILONG_2024 = (
    "界面新闻 2024-09 (戈振伟) via cndobest.cn/?detail.html?id=838824006 (梅龙高铁 opened "
    "9月14日; 梅州西 to 龙川西 / 广州东 / 深圳北 fastest 29 min / 1 h 47 min / 1 h 36 min); "
    "opening-day report via webtest.ltd/html/68d999121.html (G8494 广州东→梅州西 and G8491 "
    "梅州西→广州东 left at 11:30 on 9月14日)"
)
GANSHEN_SPEED_2021 = (
    "人民日报 2021-12-11 via life0731.com/read-3010.html (赣深高铁 opened 2021-12-10, "
    "design 350 km/h, 初期运营时速300公里)"
)
GUANGQING_THROUGH_2020 = (
    "南方日报 2020-11-28 (广州地铁集团: 广清城际、广州东环城际 采用“清城—花都—白云机场北”"
    "贯通运营; 清城—花都 all-stop 33 min, 花都—白云机场北 all-stop 21 min), text as quoted "
    "in a search result, address not kept"
)

# --- accuracy: how the confidence of a coordinate becomes metres ------------------------
ACCURACY_BY_CONFIDENCE = {"high": 500.0, "medium": 5000.0, "low": 5000.0}
# medium points that are a town standing in for a nearby station: a few km, not several
TOWN_FOR_STATION_M = 3000.0
ACCURACY_OVERRIDE = {
    "huadu_ic_stn": (
        500.0,
        "intercity 花都站 adjoins the west side of 广州北站 (羊城晚报 2020-12)",
    ),
    "gz_south_stn": (700.0, "Wikipedia and OSM points differ by about 630 m"),
    "gz_east_stn": (700.0, "two Wikipedia revisions differ by about 600 m"),
    "canton_tower": (2000.0, "value from memory of a Wikipedia infobox, not read from a page"),
    "scbg_conghua": (40000.0, "district seat standing in for a site anywhere in Conghua"),
    "longmen_stn": (10000.0, "planned station, own estimate of the county seat, unverified"),
    "qingyuan_ic_stn": (1000.0, "the high-speed station's point stands in for one beside it"),
    "boluo_stn": (8000.0, "county seat standing in; the station is reported 7.5 km south-west"),
}
# facts found while building that the places.csv note does not carry
NOTE_APPEND = {
    "qingyuan_ic_stn": "the 2020 opening reports end phase 1 at 清城 (6 stations, 38.2 km); "
    "whether any line serves an intercity 清远站 was not verified, so it is on no line",
    "zengcheng_stn": "on 广汕高铁 (in service); also a placeholder on the planned 广河高铁",
    "xintang_stn": "on 广汕高铁 (in service); also a placeholder on the planned 广河高铁",
}


def accuracy_for(row: dict) -> tuple[float, str]:
    """Metres of honest positional accuracy for a place row, and the rule used."""
    if row["id"] in ACCURACY_OVERRIDE:
        return ACCURACY_OVERRIDE[row["id"]]
    note = row.get("note", "")
    m = re.search(r"\+/-\s*(\d+(?:\.\d+)?)\s*km", note)
    if m:
        return float(m.group(1)) * 1000.0, "the note's stated +/- bound"
    m = re.search(r"within ~\s*(\d+(?:\.\d+)?)\s*km|~\s*\d+-(\d+)\s*km", note)
    if m:
        return float(m.group(1) or m.group(2)) * 1000.0, "the note's stated distance"
    conf = row["confidence"]
    if conf == "medium" and row["kind"] == "station":
        return TOWN_FOR_STATION_M, "medium: a town seat standing in for its station"
    if conf == "medium":
        return ACCURACY_BY_CONFIDENCE[conf], "medium: a town or county seat standing in"
    if conf == "low":
        return ACCURACY_BY_CONFIDENCE[conf], "low: own estimate, a few km"
    return ACCURACY_BY_CONFIDENCE[conf], "high: the place's own point from a cited source"


# --- policy tables ----------------------------------------------------------------------
TOWNS = {
    # id: (district, roles and brands, forest parks nearby (ids))
    "timian": (
        "花都区",
        "五环步道; 水墨丹青乡村振兴示范带; 宏裕智汇产业园 (大健康美妆); 古茶园",
        "wangzishan",
    ),
    "aotou": ("从化区", "农文旅学旅游度假基地; 明珠工业园 (从化经济开发区)", ""),
    "wenquan": ("从化区", '"温泉之都"; 石海工业园 (绿色食品)', "shimen_nfp;scbg_conghua"),
    "liangkou": ("从化区", "穗港赛马产业经济圈; 国家版本馆广州分馆", "liuxihe_nfp;shimen_nfp"),
    "lutian": ("从化区", "红色文化传承地", "liuxihe_nfp"),
    "paitan": (
        "增城区",
        '文旅体融合的"广东乌镇"; 派潭生命健康特色小镇',
        "baijianghu",
    ),
    "zhengguo": ("增城区", '"文化古镇，绿美山城"', ""),
    "xiaolou": ("增城区", '"仙姑故里、小楼人家"', ""),
}

MEIZHOU_PARKS = {
    # id: (paired Guangzhou district, host county, output20, output25, firms20, firms25,
    #      fai20, fai25)  -- 附件2
    "gz_meizhou_park": ("广州市", "梅县区", 40.10, 160, 12, 20, 16.50, 50),
    "zc_meijiang_park": ("增城区", "梅江区", 86.54, 150, 17, 20, 8.01, 100),
    "zc_meixian_park": ("增城区", "梅县区", 48.95, 80, 6, 30, 18.47, 50),
    "th_xingning_park": ("天河区", "兴宁市", 28.36, 100, 9, 20, 11.91, 25),
    "ns_pingyuan_park": ("南沙区", "平远县", 29.27, 50, 10, 20, 8.92, 60),
    "ns_jiaoling_park": ("南沙区", "蕉岭县", 68.84, 100, 6, 11, 11.88, 65),
    "hz_fengshun_park": ("海珠区", "丰顺县", 53.59, 100, 13, 30, 24.26, 35),
    "hz_dabu_park": ("海珠区", "大埔县", 8.81, 40, 1, 5, 6.92, 120),
    "py_wuhua_park": ("番禺区", "五华县", 27.11, 50, 4, 5, 33.22, 35),
}
GUANGMEI_AREAS = (76.10, 37.23, 25.36)  # planned total, construction land, in plan period km2

QINGYUAN_PARKS = {
    # id: (platform type, host county, paired district, basis of the pairing)
    "guangqing_park": ("三园一城", "清城区", "越秀区", "host county 清城 paired with 越秀 (2013)"),
    "guangfo_fogang_park": (
        "三园一城;六大平台",
        "佛冈县",
        "白云区",
        "host county 佛冈 paired with 白云 (2013)",
    ),
    "guangde_yingde_park": (
        "三园一城;六大平台",
        "英德市",
        "白云区",
        "host county 英德 paired with 白云 (2013); the 广德 partner is not named in domain.md",
    ),
    "kg_logistics_city": ("三园一城", "", "", "host district not verified, so no pairing given"),
    "gz_qy_transfer_park": (
        "六大平台",
        "清城区",
        "越秀区",
        "host county 清城 paired with 越秀 (2013)",
    ),
    "by_yingde_transfer_park": (
        "六大平台",
        "英德市",
        "白云区",
        "named partner 白云; 白云→英德 (2013)",
    ),
    "hd_qingxin_transfer_park": (
        "六大平台",
        "清新区",
        "花都区",
        "named partner 花都; 花都→清新 (2013)",
    ),
    "lianzhou_ethnic_park": (
        "六大平台",
        "连州市",
        "荔湾区",
        "host city 连州 paired with 荔湾 (2013)",
    ),
    "gd_voc_edu_city": ("省职教城", "清城区", "", "a provincial project, no district pairing"),
}

FOREST = {
    # id: (district, class, class basis)
    "wangzishan": ("花都区", "city", "class inferred: not named 国家; level not stated in sources"),
    "shimen_nfp": ("从化区", "national", "国家森林公园 in its name"),
    "liuxihe_nfp": ("从化区", "national", "国家森林公园 in its name"),
    "baijianghu": ("增城区", "city", "class inferred: not named 国家; level not stated in sources"),
    "scbg_conghua": ("从化区", "national", "part of 华南国家植物园 (a national botanical garden)"),
}

HUB_KIND = {
    "baiyun_airport": "airport",
    "canton_tower": "city_centre",
    "qingyuan_centre": "city_centre",
    "meizhou_centre": "city_centre",
    "chimelong_qy": "theme_park",
    "sunac_gz": "theme_park",
}
HUB_SOURCE = {
    "chimelong_qy": GUANGQING + " (theme parks named in the plan)",
    "sunac_gz": GUANGQING + " (theme parks named in the plan)",
    "baiyun_airport": GUANGQING + " (Bay Area hubs; 1-2-3 工作圈)",
}

LINES = [
    {
        "id": "guangqing_ic",
        "name_zh": "广清城际（一期 花都—清城）",
        "name_en": "Guangzhou-Qingyuan intercity, phase 1 (Huadu-Qingcheng)",
        "kind": "intercity",
        "status": "in_service",
        "design_speed_kmh": 200.0,
        "length_km_published": 38.2,
        "stations": ["huadu_ic_stn", "shiling_stn", "yinzhan_stn", "longtang_stn", "qingcheng_stn"],
        "opened": "2020-11-30",
        "source": f"{GUANGQING} (rail corridors); {PEOPLE_2020}; {PLACES_MD}",
        "as_of": "2020-11-30",
        "confidence": "high",
        "note": "6 stations as opened: 花都、乐同、狮岭、银盏、龙塘镇、清城; 乐同 not drawn "
        "(position not found). places.md lists 清远 after 清城 in phase 1, but the opening "
        "reports end phase 1 at 清城 (38.2 km); the intercity 清远站 is kept as a station "
        "with no line.",
    },
    {
        "id": "guangqing_ic_north",
        "name_zh": "广清城际北延线（清城—飞霞）",
        "name_en": "Guangzhou-Qingyuan intercity, northern extension (Qingcheng-Feixia)",
        "kind": "intercity",
        "status": "in_service",
        "design_speed_kmh": 200.0,
        "length_km_published": float("nan"),
        "stations": ["qingcheng_stn", "zhouxin_stn", "feixia_stn"],
        "opened": "2024-12-28",
        "source": f"{GUANGQING} (phase 2: 清远—省职教城); Wikipedia (en): Feixia railway station; "
        f"{PLACES_MD}",
        "as_of": "2024-12-28",
        "confidence": "medium",
        "note": "full station list not verified: 洲心 precedes 飞霞 (Wikipedia); other stops, "
        "if any, not drawn. Design speed not found: phase 1's 200 km/h used.",
    },
    {
        "id": "guangqing_ic_south",
        "name_zh": "广清城际南延线（广州白云—花都）",
        "name_en": "Guangzhou-Qingyuan intercity, southern extension (Guangzhou Baiyun-Huadu)",
        "kind": "intercity",
        "status": "under_construction",
        "design_speed_kmh": 200.0,
        "length_km_published": 22.0,
        "stations": ["gz_baiyun_stn", "jianggao_stn", "huadu_ic_stn"],
        "opened": "",
        "source": f"{GUANGQING} (phase 2: 广州白云—广州北); {PLACES_MD}; {SOUTH_EXT_2026}",
        "as_of": "2022-09-21",
        "confidence": "medium",
        "note": "status as of GUANGQING-2022 and places.md: under construction. A single, "
        "non-official news page reports it open on 2026-01-28; not verified, so the line stays "
        "under construction (included with --include-planned). Stops 白云湖 and 神山 not drawn "
        "(positions not found). Design speed not found: phase 1's 200 km/h used.",
    },
    {
        "id": "donghuan_ic",
        "name_zh": "广州东环城际（花都—白云机场北）",
        "name_en": "Guangzhou East Ring intercity (Huadu-Baiyun Airport North)",
        "kind": "intercity",
        "status": "in_service",
        "design_speed_kmh": 160.0,
        "length_km_published": 22.6,
        "stations": ["huadu_ic_stn", "huashan_stn", "airport_north_stn"],
        "opened": "2020-11-30",
        "source": f"{GUANGQING} (东环城际 花都站—白云机场北站); {PEOPLE_2020}",
        "as_of": "2020-11-30",
        "confidence": "medium",
        "note": "4 stations 花都、花城街、花山镇、白云机场北; 花城街 not drawn (position not "
        "found). 160 km/h is the reported maximum speed. The section 白云机场北—番禺(广州南) "
        "opened 2025-09-29 (57.8 km, Ming Pao 2025-09-29) is not drawn.",
    },
    {
        "id": "guangshan_hsr",
        "name_zh": "广汕高铁（新塘—惠州南段）",
        "name_en": "Guangzhou-Shanwei high-speed railway (Xintang-Huizhou South)",
        "kind": "high_speed",
        "status": "in_service",
        "design_speed_kmh": 350.0,
        "length_km_published": float("nan"),
        "stations": [
            "xintang_stn",
            "zengcheng_stn",
            "luofushan_stn",
            "boluo_stn",
            "huizhou_south_stn",
        ],
        "opened": "2023-09-26",
        "source": f"{NORTH8} (connect the towns with 新塘站); {GUANGSHAN_2023}; "
        f"{GUANGSHAN_EIA_2016}; {HUIZHOU_SOUTH_WIKI} (opening day)",
        "as_of": "2023-09-26",
        "confidence": "medium",
        "note": "only 新塘 to 惠州南 is drawn (the line runs on via 惠东、深汕 to 汕尾, 202 km in "
        "all, so no published length for this section). 新塘、增城、罗浮山 and 博罗 are town seats "
        "standing in for their stations. Opening day 2023-09-26 from the 惠州南站 page.",
    },
    {
        "id": "guangshan_huizhou_north_link",
        "name_zh": "广汕铁路惠州北联络线（罗浮山方向—惠州北）",
        "name_en": "Guangzhou-Shanwei HSR link line to Huizhou North",
        "kind": "high_speed",
        "status": "in_service",
        "design_speed_kmh": float("nan"),
        "length_km_published": float("nan"),
        "stations": ["luofushan_stn", "huizhou_north_stn"],
        "opened": "2023-09-26",
        "source": f"{GUANGSHAN_EIA_2016}; {GANSHEN_2021} (惠州北 linked to 广汕高铁)",
        "as_of": "2023-09-26",
        "confidence": "low",
        "note": "the link the Guangzhou-Heyuan-Meizhou trains take from 广汕高铁 to 赣深高铁: "
        "built in the 广汕 project (26 km single track each way from 惠州北 to the 广汕 line, "
        "Guangzhou direction); opening with 广汕高铁 on 2023-09-26 assumed, not read. The "
        "junction east of 罗浮山 was not located, so it is drawn from 罗浮山站 and the 26 km "
        "is not used as its length; trains are not known to stop at 罗浮山. Design speed not "
        "found (the engine's default for high-speed lines applies).",
    },
    {
        "id": "jingguang_hsr",
        "name_zh": "京广高铁（韶关—广州南段）",
        "name_en": "Beijing-Guangzhou high-speed railway (Shaoguan-Guangzhou South)",
        "kind": "high_speed",
        "status": "in_service",
        "design_speed_kmh": 350.0,
        "length_km_published": 210.0,
        "stations": [
            "shaoguan_stn",
            "yingde_west_stn",
            "qingyuan_hsr_stn",
            "gz_north_stn",
            "gz_south_stn",
        ],
        "opened": "",
        "source": f"{GUANGQING} (backbone of the 1-hour circle); {PLACES_MD} (km posts "
        "758/826/885/922/968); 中长期铁路网规划 (2016) for the speed class",
        "as_of": "2022-09-21",
        "confidence": "high",
        "note": "designed for 350 km/h, operated at 300 km/h; published length = difference "
        "of the km posts 968 - 758. Ordered by km post (north to south).",
    },
    {
        "id": "ganshen_hsr",
        "name_zh": "赣深高铁（惠州北—龙川西段）",
        "name_en": "Ganzhou-Shenzhen high-speed railway (Huizhou North-Longchuan West)",
        "kind": "high_speed",
        "status": "in_service",
        "design_speed_kmh": 350.0,
        "length_km_published": float("nan"),
        "stations": [
            "huizhou_north_stn",
            "boluo_north_stn",
            "heyuan_east_stn",
            "longchuan_west_stn",
        ],
        "opened": "2021-12-10",
        "source": f"{MEIZHOU} (Guangzhou-Meizhou 1.5 h by HSR); {GANSHEN_2021}; {PLACES_MD}",
        "as_of": "2021-12-10",
        "confidence": "high",
        "note": "only the section the Guangzhou-Meizhou path uses, south to north (the line "
        "runs 436.37 km from 赣州西 to 深圳北, so no published length for this section). "
        "Design speed 350 km/h in three reports; places.md had 250 km/h from one source. A "
        "东源 stop named in 2016 plans is not on the OpenStreetMap line and is not drawn.",
    },
    {
        "id": "meilong_hsr",
        "name_zh": "梅龙高铁（龙川西—梅州西）",
        "name_en": "Meizhou-Longchuan high-speed railway",
        "kind": "high_speed",
        "status": "in_service",
        "design_speed_kmh": 350.0,
        "length_km_published": 94.0,
        "stations": ["longchuan_west_stn", "wuhua_stn", "xingning_south_stn", "meizhou_west_stn"],
        "opened": "2024-09-14",
        "source": f"{MEIZHOU} (龙岩—梅州—龙川 HSR; 双龙高铁(梅龙段)); {MEILONG_2024}; {PLACES_MD}",
        "as_of": "2024-09-14",
        "confidence": "medium",
        "note": "about 94 km (98 km in the opening report); opened 2024-09-14; 五华站 is in "
        "华城镇. Operating speed not found (the engine uses the design speed, within its cap).",
    },
    {
        "id": "guanghe_hsr",
        "name_zh": "广河高铁（规划）",
        "name_en": "Guangzhou-Heyuan high-speed railway (planned)",
        "kind": "high_speed",
        "status": "planned",
        "design_speed_kmh": 350.0,
        "length_km_published": float("nan"),
        "stations": ["xintang_stn", "zengcheng_stn", "longmen_stn", "heyuan_east_stn"],
        "opened": "",
        "source": f"{MEIZHOU} (广州—河源(龙川西) HSR); {PLACES_MD}",
        "as_of": "2022-08-04",
        "confidence": "low",
        "note": "PLACEHOLDER: no verified station list; 新塘、增城、龙门 are placeholders and "
        "河源东 as its Heyuan end is assumed. Design speed not found: 350 km/h placeholder "
        "(dense-corridor class of 中长期铁路网规划 2016).",
    },
    {
        "id": "meishan_hsr",
        "name_zh": "梅汕高铁",
        "name_en": "Meizhou-Shantou high-speed railway",
        "kind": "high_speed",
        "status": "in_service",
        "design_speed_kmh": 250.0,
        "length_km_published": 122.4,
        "stations": [
            "meizhou_west_stn",
            "shejiang_north_stn",
            "jianqiao_stn",
            "fengshun_east_stn",
            "jieyang_stn",
            "jieyang_airport_stn",
            "chaoshan_stn",
        ],
        "opened": "2019-10-11",
        "source": f"{MEIZHOU} (梅汕高铁); {PLACES_MD}",
        "as_of": "2019-10-11",
        "confidence": "medium",
        "note": "stations south of 畲江北 are town seats standing in for their stations",
    },
]

# Operating speeds where a source says trains run slower than the design speed; other lines
# have none (NaN) and the engine uses the design speed capped by rail.max_speed_kmh.
OPERATING_SPEED = {
    "jingguang_hsr": (300.0, f"designed for 350, operated at 300 km/h ({PLACES_MD})"),
    "ganshen_hsr": (300.0, f"{GANSHEN_SPEED_2021}; a later raise was not found"),
}

# Through services: chains of lines on which trains run on from one line to the next at a
# junction station without passengers changing trains. `lines` in running order; `via` the
# start, each junction and the end (len(lines) + 1 stations; leg k runs on lines[k] from
# via[k] to via[k+1]). Trains are assumed to run both ways. `status` is derived from the
# lines (the least advanced of them).
THROUGH_SERVICES = [
    {
        "id": "gz_meizhou_via_guangshan",
        "name_zh": "广州东—梅州西 直通动车（广汕高铁—惠州北联络线—赣深高铁—梅龙高铁）",
        "name_en": "Guangzhou East-Meizhou West through trains via Guangshan, Ganshen, Meilong",
        "lines": ["guangshan_hsr", "guangshan_huizhou_north_link", "ganshen_hsr", "meilong_hsr"],
        "via": [
            "xintang_stn",
            "luofushan_stn",
            "huizhou_north_stn",
            "longchuan_west_stn",
            "meizhou_west_stn",
        ],
        "opened": "2024-09-14",
        "source": f"{MEILONG_2024}; {GUANGSHAN_EIA_2016} (link 惠州北—广汕 for the Guangzhou "
        f"direction); {GANSHEN_2021}",
        "as_of": "2024-09-14",
        "confidence": "medium",
        "note": "through trains 广州东—梅州西 (e.g. G8494 / G8491) run from the opening of "
        "梅龙高铁; the route 广汕 → 惠州北联络线 → 赣深 → 梅龙 is inferred (the link is the "
        "line built for the Guangzhou direction; no report read names the route). "
        "广州东—新塘 is not drawn.",
    },
    {
        "id": "guanghe_meizhou_planned",
        "name_zh": "广河高铁接梅龙高铁（规划）",
        "name_en": "Planned Guangzhou-Heyuan HSR joined to the Meizhou-Longchuan HSR",
        "lines": ["guanghe_hsr", "ganshen_hsr", "meilong_hsr"],
        "via": ["xintang_stn", "heyuan_east_stn", "longchuan_west_stn", "meizhou_west_stn"],
        "opened": "",
        "source": f"{MEIZHOU} (广州—河源(龙川西) HSR joined to 龙岩—梅州—龙川 HSR; "
        "Guangzhou-Meizhou in 1.5 hours)",
        "as_of": "2022-08-04",
        "confidence": "low",
        "note": "the plan joins 广河高铁 (to 河源, 龙川西) to 梅龙高铁 as one route; the shipped "
        "广河高铁 is a placeholder ending at 河源东, so 赣深 河源东—龙川西 stands in for the rest "
        "of the join (assumption).",
    },
    {
        "id": "qingcheng_airport_north",
        "name_zh": "广清城际—广州东环城际 贯通运营（清城—花都—白云机场北）",
        "name_en": "Guangqing and East Ring intercity through service (Qingcheng-Airport North)",
        "lines": ["guangqing_ic", "donghuan_ic"],
        "via": ["qingcheng_stn", "huadu_ic_stn", "airport_north_stn"],
        "opened": "2020-11-30",
        "source": f"{GUANGQING_THROUGH_2020}; {PEOPLE_2020}",
        "as_of": "2020-11-30",
        "confidence": "medium",
        "note": "through running announced by the operator before the opening; the quoted "
        "report's address was not kept.",
    },
    {
        "id": "baiyun_feixia",
        "name_zh": "广清城际 南延线—一期—北延线 贯通运营（广州白云—花都—清城—飞霞）",
        "name_en": "Guangqing intercity through service (Guangzhou Baiyun-Huadu-Feixia)",
        "lines": ["guangqing_ic_south", "guangqing_ic", "guangqing_ic_north"],
        "via": ["gz_baiyun_stn", "huadu_ic_stn", "qingcheng_stn", "feixia_stn"],
        "opened": "2026-01-28",
        "source": SOUTH_EXT_2026,
        "as_of": "2026-01-28",
        "confidence": "low",
        "note": "single, non-official source: the south extension runs through with 花都—飞霞.",
    },
]

KM_POSTS = {
    "shaoguan_stn": 758,
    "yingde_west_stn": 826,
    "qingyuan_hsr_stn": 885,
    "gz_north_stn": 922,
    "gz_south_stn": 968,
}
INTERCHANGE = {
    "huadu_ic_stn": "gz_north_stn",
    "gz_north_stn": "huadu_ic_stn",
    "qingyuan_ic_stn": "qingyuan_hsr_stn",
    "qingyuan_hsr_stn": "qingyuan_ic_stn",
    "yinzhan_stn": "yinzhanao_stn",
    "yinzhanao_stn": "yinzhan_stn",
}
# stations on no shipped line that are known to be open (conventional or terminal stations);
# the intercity 清远站 is not among them: whether a line serves it was not verified
EXISTING_OFF_LINE = ("gz_stn", "gz_east_stn", "yinzhanao_stn")
STATUS_RANK = {"in_service": 0, "under_construction": 1, "planned": 2}

# Short names people type (lookup). Automatic ones are added by _auto_aliases().
ALIASES = {
    "gz_meizhou_park": ["广梅产业园", "广州(梅州)产业园", "Guangmei Industrial Park"],
    "gz_south_stn": ["Guangzhou South", "广州南"],
    "gz_north_stn": ["Guangzhou North", "广州北"],
    "gz_baiyun_stn": ["Guangzhou Baiyun", "白云站"],
    "gz_east_stn": ["Guangzhou East", "广州东"],
    "gz_stn": ["Guangzhou Station", "广州火车站"],
    "baiyun_airport": ["白云机场", "Baiyun Airport", "CAN"],
    "canton_tower": ["广州塔", "Canton Tower", "广州中心", "Guangzhou centre"],
    "qingyuan_centre": ["清远市中心", "清远市", "Qingyuan centre"],
    "meizhou_centre": ["梅州市中心", "梅州市", "Meizhou centre"],
    "chimelong_qy": ["清远长隆", "Chimelong Qingyuan"],
    "sunac_gz": ["融创文旅城", "Sunac Guangzhou"],
    "gd_voc_edu_city": ["省职教城", "省职业教育城"],
    "feixia_stn": ["飞霞站", "省职教城站", "Feixia"],
    "huadu_ic_stn": ["花都站", "Huadu"],
    "qingyuan_ic_stn": ["清远站（广清城际）"],
    "airport_north_stn": ["白云机场北站", "Baiyun Airport North"],
    "guangqing_ic": ["广清城际", "Guangqing intercity"],
    "jingguang_hsr": ["京广高铁"],
    "meishan_hsr": ["梅汕高铁"],
    "meilong_hsr": ["梅龙高铁", "双龙高铁(梅龙段)"],
    "guanghe_hsr": ["广河高铁"],
    "guangshan_hsr": ["广汕高铁"],
    "ganshen_hsr": ["赣深高铁"],
    "guangshan_huizhou_north_link": ["惠州北联络线"],
    "huizhou_north_stn": ["惠州北"],
    "boluo_north_stn": ["博罗北"],
    "donghuan_ic": ["东环城际", "广州东环城际"],
    "guangqing_ic_north": ["广清城际北延线"],
    "guangqing_ic_south": ["广清城际南延线"],
    "lianzhou_ethnic_park": ["清远民族工业园"],
    "scbg_conghua": ["华南国家植物园从化示范区"],
    "lutian": ["Lutian"],
}


# automatic aliases that would read as something else ("Guangzhou" is the city, not 广州站)
AUTO_ALIAS_BLOCK = {"Guangzhou"}


def _auto_aliases(row: dict) -> list[str]:
    out = []
    zh = row["name_zh"]
    base = re.sub(r"（[^）]*）$", "", zh)
    if base != zh:
        out.append(base)
    for town_suffix in ("镇",):
        if "区" in base and base.endswith(town_suffix):
            short = base.split("区", 1)[1]
            out += [short, short[:-1]]
    en = row["name_en"]
    for suffix in (" railway station", " station"):
        if en.endswith(suffix):
            if en[: -len(suffix)] not in AUTO_ALIAS_BLOCK:
                out.append(en[: -len(suffix)])
            break
    if row["kind"] == "town":
        out.append(en.split(" Town")[0])
    return out


# --- assembly ---------------------------------------------------------------------------
def _read_places(paths: list[Path]) -> dict[str, dict]:
    places: dict[str, dict] = {}
    for path in paths:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = csv.reader(fh)
            header = next(rows)
            src = header.index("source")
            for lineno, cells in enumerate(rows, start=2):
                extra = len(cells) - len(header)
                if extra > 0:
                    # places.csv has rows whose unquoted source holds a comma
                    # ("Wikipedia (en): Qingyuan, infobox coordinates"): rejoin it.
                    cells[src : src + extra + 1] = [",".join(cells[src : src + extra + 1])]
                if len(cells) != len(header):
                    raise SystemExit(
                        f"{path}:{lineno}: {len(cells)} fields, expected {len(header)}"
                    )
                row = dict(zip(header, cells, strict=True))
                if row["id"] in places:
                    raise SystemExit(f"{path}: duplicate id {row['id']!r}")
                places[row["id"]] = row
    return places


def _base(row: dict, *, kind: str, attr_source: str, as_of: str) -> dict:
    acc, rule = accuracy_for(row)
    pos_src = row["source"].strip() or "own estimate (no source)"
    note = row["note"].strip()
    if row["id"] in NOTE_APPEND:
        note = f"{note}; {NOTE_APPEND[row['id']]}" if note else NOTE_APPEND[row["id"]]
    if rule.startswith(("medium", "low")) or row["id"] in ACCURACY_OVERRIDE:
        note = f"{note}; accuracy: {rule}" if note else f"accuracy: {rule}"
    aliases = ALIASES.get(row["id"], []) + _auto_aliases(row)
    seen: list[str] = []
    for a in aliases:
        if a not in seen and a not in (row["name_zh"], row["name_en"], row["id"]):
            seen.append(a)
    return {
        "id": row["id"],
        "name_zh": row["name_zh"],
        "name_en": row["name_en"],
        "kind": kind,
        "source": f"position: {pos_src}; attributes: {attr_source}",
        "accuracy_m": acc,
        "as_of": as_of,
        "confidence": row["confidence"],
        "note": note,
        "aliases": ";".join(seen),
        "_lonlat": (float(row["lon"]), float(row["lat"])),
    }


SEAT_WORDS = (
    "county seat",
    "district seat",
    "city seat",
    "city point",
    "municipal government",
    "Meijiang District",
)


def _at_seat(note: str) -> bool:
    """True when the note says the point is a county/district/city seat standing in."""
    return any(w in note for w in SEAT_WORDS)


def build_towns(places: dict[str, dict]) -> list[dict]:
    out = []
    for tid, (district, roles, parks) in TOWNS.items():
        f = _base(
            places[tid],
            kind="town",
            attr_source=f"{NORTH8} (brands and roles; forest parks)",
            as_of="2023-12-31",
        )
        f |= {"district": district, "roles_brands": roles, "forest_parks_nearby": parks}
        out.append(f)
    return out


def build_meizhou(places: dict[str, dict]) -> list[dict]:
    out = []
    for pid, (pair, host, o20, o25, f20, f25, i20, i25) in MEIZHOU_PARKS.items():
        src = f"{MEIZHOU} 附件2 (indicators); pairings in the plan text"
        areas = (float("nan"),) * 3
        if pid == "gz_meizhou_park":
            src += "; planned areas in the plan text on 广梅产业园"
            areas = GUANGMEI_AREAS
        f = _base(places[pid], kind="co_built_park", attr_source=src, as_of="2022-08-04")
        f |= {
            "paired_district": pair,
            "host_county": host,
            "at_county_seat": _at_seat(f["note"]),
            "output_2020_yi": float(o20),
            "output_2025_yi": float(o25),
            "firms_over_1yi_2020": int(f20),
            "firms_over_1yi_2025": int(f25),
            "fai_2020_yi": float(i20),
            "fai_2025_yi": float(i25),
            "planned_area_km2": areas[0],
            "construction_land_km2": areas[1],
            "construction_land_in_period_km2": areas[2],
        }
        out.append(f)
    return out


def build_qingyuan(places: dict[str, dict]) -> list[dict]:
    out = []
    for pid, (ptype, host, pair, basis) in QINGYUAN_PARKS.items():
        f = _base(
            places[pid],
            kind="co_built_park",
            attr_source=f"{GUANGQING} (三园一城, "
            f"six platforms, 省职业教育城); {QINGYUAN} (pairings)",
            as_of="2022-09-21",
        )
        note = f["note"]
        f |= {
            "platform_type": ptype,
            "in_three_parks_one_city": "三园一城" in ptype,
            "in_six_platforms": "六大平台" in ptype,
            "host_county": host,
            "paired_district": pair,
            "pairing_basis": basis,
            "at_county_seat": _at_seat(note),
        }
        out.append(f)
    return out


def build_forest(places: dict[str, dict]) -> list[dict]:
    out = []
    for pid, (district, cls, basis) in FOREST.items():
        row = places[pid]
        f = _base(row, kind=row["kind"], attr_source=f"{NORTH8} (forest parks)", as_of="2023-12-31")
        f |= {"district": district, "park_class": cls, "class_basis": basis}
        out.append(f)
    return out


def build_hubs(places: dict[str, dict]) -> list[dict]:
    out = []
    for hid, kind in HUB_KIND.items():
        src = HUB_SOURCE.get(hid, f"{GUANGQING} / {MEIZHOU} (city centres as circle anchors)")
        out.append(_base(places[hid], kind=kind, attr_source=src, as_of="2022-09-21"))
    return out


def build_stations(places: dict[str, dict]) -> list[dict]:
    served: dict[str, list[tuple[str, int, str]]] = {}
    as_of: dict[str, str] = {}
    for line in LINES:
        for i, sid in enumerate(line["stations"], start=1):
            served.setdefault(sid, []).append((line["id"], i, line["status"]))
            as_of[sid] = max(as_of.get(sid, ""), line["as_of"])
    out = []
    for sid, row in places.items():
        if row["kind"] != "station":
            continue
        on = served.get(sid, [])
        status = min((s for _, _, s in on), key=STATUS_RANK.get, default="unknown")
        if not on and sid in EXISTING_OFF_LINE:
            status = "in_service"
        f = _base(
            row,
            kind="station",
            attr_source=f"line membership and order: {PLACES_MD}; see each line's source",
            as_of=as_of.get(sid, "2024-12-28"),
        )
        if not on:
            extra = "not on a shipped line"
            f["note"] = f"{f['note']}; {extra}" if f["note"] else extra
        f |= {
            "lines": ";".join(lid for lid, _, _ in on),
            "line_order": ";".join(f"{lid}:{i}" for lid, i, _ in on),
            "status": status,
            "km_posts": f"jingguang_hsr:{KM_POSTS[sid]}" if sid in KM_POSTS else "",
            "interchange": INTERCHANGE.get(sid, ""),
        }
        out.append(f)
    return out


def build_lines(stations: list[dict]) -> list[dict]:
    pos = {s["id"]: s["_lonlat"] for s in stations}
    acc = {s["id"]: s["accuracy_m"] for s in stations}
    out = []
    for line in LINES:
        missing = [s for s in line["stations"] if s not in pos]
        if missing:
            raise SystemExit(f"line {line['id']}: stations without a position: {missing}")
        f = {k: v for k, v in line.items() if k != "stations"}
        f["stations"] = ";".join(line["stations"])
        op, op_src = OPERATING_SPEED.get(line["id"], (float("nan"), ""))
        f["operating_speed_kmh"] = op
        if op_src:
            f["note"] += f" Operating speed {op:g} km/h: {op_src}."
        f["schematic"] = True
        f["accuracy_m"] = max(acc[s] for s in line["stations"])
        f["note"] = "SCHEMATIC: straight segments between stations, not the track. " + f["note"]
        f["aliases"] = ";".join(ALIASES.get(line["id"], []))
        f["_coords"] = [pos[s] for s in line["stations"]]
        out.append(f)
    return out


THROUGH_FIELDS = (
    "id",
    "name_zh",
    "name_en",
    "status",
    "lines",
    "via",
    "stops",
    "opened",
    "source",
    "as_of",
    "confidence",
    "note",
)


def _leg(line: dict, a: str, b: str, service: str) -> list[str]:
    """Stations of ``line`` from ``a`` to ``b`` inclusive, in running order."""
    st = line["stations"]
    if a not in st or b not in st or a == b:
        raise SystemExit(f"through service {service}: {a}..{b} is not a leg of {line['id']}")
    i, j = st.index(a), st.index(b)
    return st[i : j + 1] if i < j else st[j : i + 1][::-1]


def build_through() -> list[dict]:
    """Rows of the through-service table, checked against the lines (each leg on its line)."""
    by_id = {line["id"]: line for line in LINES}
    out = []
    for svc in THROUGH_SERVICES:
        lines, via = svc["lines"], svc["via"]
        if len(via) != len(lines) + 1 or any(lid not in by_id for lid in lines):
            raise SystemExit(f"through service {svc['id']}: needs known lines and len(via) + 1")
        stops = [via[0]]
        for k, lid in enumerate(lines):
            stops += _leg(by_id[lid], via[k], via[k + 1], svc["id"])[1:]
        status = max((by_id[lid]["status"] for lid in lines), key=STATUS_RANK.get)
        row = {**svc, "lines": ";".join(lines), "via": ";".join(via), "stops": ";".join(stops)}
        out.append({k: status if k == "status" else row[k] for k in THROUGH_FIELDS})
    return out


def write_table(name: str, rows: list[dict], out_dir: Path) -> Path:
    """A plain UTF-8 CSV table (no geometry), one row per dict, columns THROUGH_FIELDS."""
    path = out_dir / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=THROUGH_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


# --- writing ----------------------------------------------------------------------------
def _num(v: float) -> float:
    return round(v, 6)


def _feature(f: dict) -> dict:
    props = {
        k: (None if isinstance(v, float) and v != v else v)
        for k, v in f.items()
        if not k.startswith("_")
    }
    if "_coords" in f:
        geom = {"type": "LineString", "coordinates": [[_num(x), _num(y)] for x, y in f["_coords"]]}
    else:
        x, y = f["_lonlat"]
        geom = {"type": "Point", "coordinates": [_num(x), _num(y)]}
    return {"type": "Feature", "properties": props, "geometry": geom}


def write_layer(name: str, features: list[dict], out_dir: Path) -> Path:
    doc = {
        "type": "FeatureCollection",
        "name": name,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        "features": [_feature(f) for f in features],
    }
    lines = [json.dumps(feat, ensure_ascii=False, sort_keys=False) for feat in doc["features"]]
    head = json.dumps({k: v for k, v in doc.items() if k != "features"}, ensure_ascii=False)
    text = head[:-1] + ',\n"features": [\n' + ",\n".join(lines) + "\n]\n}\n"
    path = out_dir / f"{name}.geojson"
    path.write_text(text, encoding="utf-8")
    return path


def build(places_csv: Path, out_dir: Path = DATA) -> dict[str, int]:
    """Rebuild every layer file; return the feature count per layer."""
    places = _read_places([places_csv, DATA / "extra_places.csv"])
    # better-sourced positions for a few places.csv rows (each note says what it replaces)
    overrides = _read_places([DATA / "place_overrides.csv"])
    unknown = set(overrides) - set(places)
    if unknown:
        raise SystemExit(f"place_overrides.csv: ids not in places.csv: {sorted(unknown)}")
    places |= overrides
    stations = build_stations(places)
    layers = {
        "north8_towns": build_towns(places),
        "meizhou_parks": build_meizhou(places),
        "qingyuan_parks": build_qingyuan(places),
        "rail_lines": build_lines(stations),
        "rail_stations": stations,
        "forest_parks": build_forest(places),
        "hubs": build_hubs(places),
    }
    owners: dict[str, set[str]] = {}
    for feats in layers.values():
        for f in feats:
            for key in [f["id"], f["name_zh"], f["name_en"], *f["aliases"].split(";")]:
                if key:
                    owners.setdefault(key.casefold(), set()).add(f["id"])
    for key, ids in sorted(owners.items()):
        if len(ids) > 1:
            print(f"note: {key!r} names {sorted(ids)} (lookup prefers ids/names over aliases)")
    for name, feats in layers.items():
        write_layer(name, feats, out_dir)
    write_table("rail_through_services", build_through(), out_dir)
    return {k: len(v) for k, v in layers.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--places", type=Path, default=Path("../shared/places.csv"))
    ap.add_argument("--out", type=Path, default=DATA)
    args = ap.parse_args()
    for name, n in build(args.places, args.out).items():
        print(f"{name:<16} {n:>3} features")


if __name__ == "__main__":
    main()

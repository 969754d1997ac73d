"""Chinese names for the sample bank: people, companies, branches, purposes."""
from __future__ import annotations

import numpy as np

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉晨浩宇欣怡子涵梓萱一诺佳琪思远嘉豪雨桐俊杰婷鹏飞海燕丹宁凯")

CITIES = [("杭州", ["西湖", "上城", "拱墅", "滨江", "萧山", "余杭"]),
          ("宁波", ["海曙", "江北", "鄞州", "北仑", "镇海", "慈溪"]),
          ("温州", ["鹿城", "龙湾", "瓯海", "瑞安", "乐清", "永嘉"]),
          ("绍兴", ["越城", "柯桥", "上虞", "诸暨", "嵊州", "新昌"]),
          ("嘉兴", ["南湖", "秀洲", "海宁", "平湖", "桐乡", "嘉善"]),
          ("金华", ["婺城", "金东", "义乌", "东阳", "永康", "兰溪"]),
          ("台州", ["椒江", "黄岩", "路桥", "温岭", "临海", "玉环"]),
          ("湖州", ["吴兴", "南浔", "德清", "长兴", "安吉", "织里"])]

COMPANY_HEADS = list("华盛恒泰鑫源宏达永兴金辉瑞丰海天明远新航中诚天宇博远凯旋东方正大隆昌富康荣成")
COMPANY_TAILS = {
    "A": "农业开发", "B": "矿业", "C": "机械制造", "D": "能源", "E": "建设工程", "F": "商贸",
    "G": "物流", "H": "餐饮管理", "I": "信息技术", "J": "投资管理", "K": "置业", "L": "商务服务",
    "M": "科技", "N": "环境工程", "O": "家政服务", "P": "教育咨询", "Q": "医疗器械", "R": "文化传媒",
    "S": "社会服务", "T": "国际合作"}
# GB/T 4754 sections and a realistic weight in a commercial bank's corporate book
INDUSTRY_WEIGHTS = {"C": 30, "F": 22, "E": 8, "G": 6, "K": 5, "L": 6, "I": 4, "A": 3, "D": 3, "H": 3,
                    "M": 3, "N": 1, "B": 1, "J": 1, "O": 1, "P": 1, "Q": 1, "R": 1, "S": 0.5, "T": 0.5}

PURPOSES = {
    "working_capital": ["采购原材料", "支付货款", "日常经营周转", "支付工程款"],
    "fixed_asset": ["厂房建设", "购置生产设备", "技术改造项目", "仓储中心建设"],
    "trade_finance": ["进口开证", "国内信用证项下融资", "订单融资", "出口押汇"],
    "personal_business": ["个体经营周转", "采购商品", "店面装修", "购置经营设备"],
    "personal_consumption": ["家庭装修", "购买汽车", "教育支出", "大额耐用消费品"],
    "mortgage": ["购买首套住房", "购买改善型住房"],
}

SUPPLIER_WORDS = ["钢材贸易", "电子元件", "化工原料", "建材销售", "纺织品", "机电设备", "物流服务", "包装材料"]


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    s = rng.choice(SURNAMES, n)
    g1 = rng.choice(GIVEN, n)
    g2 = rng.choice(GIVEN + [""] * 20, n)
    return np.char.add(np.char.add(s.astype(str), g1.astype(str)), g2.astype(str))


def company_names(rng: np.random.Generator, cities: np.ndarray, industries: np.ndarray, suffix_ids: np.ndarray) -> np.ndarray:
    h1 = rng.choice(COMPANY_HEADS, len(cities))
    h2 = rng.choice(COMPANY_HEADS, len(cities))
    tails = np.array([COMPANY_TAILS.get(i, "实业") for i in industries])
    kind = np.where(suffix_ids % 3 == 0, "股份有限公司", "有限公司")
    out = np.char.add(np.char.add(np.char.add(cities.astype(str), h1.astype(str)), h2.astype(str)), tails)
    return np.char.add(out, kind)

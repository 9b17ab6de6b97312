"""Words that name categories, moods, item fields and negation, in English and Chinese."""

from __future__ import annotations

# Surface form -> canonical categories. Longer phrases win over shorter ones.
CATEGORY_EN: dict[str, tuple[str, ...]] = {
    "action": ("action",), "adventure": ("adventure",), "adventures": ("adventure",),
    "animation": ("animation",), "animated": ("animation",), "cartoon": ("animation",),
    "cartoons": ("animation",), "anime": ("animation",),
    "biography": ("biography",), "biopic": ("biography",), "biopics": ("biography",),
    "biographical": ("biography",), "biographies": ("biography",),
    "comedy": ("comedy",), "comedies": ("comedy",), "comedic": ("comedy",),
    "rom com": ("romance", "comedy"), "romcom": ("romance", "comedy"),
    "crime": ("crime",), "gangster": ("crime",), "mafia": ("crime",), "heist": ("crime",),
    "documentary": ("documentary",), "documentaries": ("documentary",),
    "drama": ("drama",), "dramas": ("drama",),
    "family": ("family",), "family friendly": ("family",), "kids movie": ("family",),
    "fantasy": ("fantasy",),
    "historical": ("history",), "history": ("history",),
    "horror": ("horror",), "horrors": ("horror",), "scary movie": ("horror",),
    "music": ("music",), "musical": ("musical",), "musicals": ("musical",),
    "mystery": ("mystery",), "mysteries": ("mystery",), "detective": ("mystery",),
    "whodunit": ("mystery",),
    "romance": ("romance",), "romantic": ("romance",), "love story": ("romance",),
    "sci fi": ("science fiction",), "scifi": ("science fiction",),
    "science fiction": ("science fiction",), "sf": ("science fiction",),
    "sport": ("sport",), "sports movie": ("sport",),
    "thriller": ("thriller",), "thrillers": ("thriller",), "suspense": ("thriller",),
    "war": ("war",), "war movie": ("war",), "western": ("western",), "westerns": ("western",),
    "economics": ("economics",), "economic": ("economics",), "economy": ("economics",),
    "econ": ("economics",),
    "finance": ("finance",), "financial": ("finance",), "investing": ("finance",),
    "investment": ("finance",), "personal finance": ("finance",),
    "business": ("business",), "management": ("business",), "leadership": ("business",),
    "science": ("science",), "popular science": ("science",), "physics": ("science",),
    "psychology": ("psychology",),
    "fiction": ("fiction",), "novel": ("fiction",), "novels": ("fiction",),
    "literature": ("fiction",),
    "technology": ("technology",), "programming": ("technology",), "coding": ("technology",),
    "cooking": ("cooking",), "cookbook": ("cooking",), "cookbooks": ("cooking",),
    "recipes": ("cooking",),
    "children's": ("children",), "childrens": ("children",), "picture book": ("children",),
    "philosophy": ("philosophy",),
    "electronics": ("electronics",), "headphones": ("electronics",), "gadget": ("electronics",),
    "gadgets": ("electronics",), "kitchen": ("kitchen",), "stationery": ("stationery",),
}

CATEGORY_ZH: dict[str, tuple[str, ...]] = {
    "动作": ("action",), "武侠": ("action",), "功夫": ("action",), "冒险": ("adventure",),
    "动画": ("animation",), "动漫": ("animation",), "卡通": ("animation",),
    "传记": ("biography",), "喜剧": ("comedy",), "犯罪": ("crime",), "黑帮": ("crime",),
    "纪录片": ("documentary",), "剧情": ("drama",), "家庭": ("family",), "合家欢": ("family",),
    "奇幻": ("fantasy",), "魔幻": ("fantasy",), "历史": ("history",), "恐怖": ("horror",),
    "鬼片": ("horror",), "音乐": ("music",), "歌舞": ("musical",), "悬疑": ("mystery",),
    "推理": ("mystery",), "侦探": ("mystery",), "爱情": ("romance",), "浪漫": ("romance",),
    "科幻": ("science fiction",), "体育": ("sport",), "运动": ("sport",),
    "惊悚": ("thriller",), "战争": ("war",), "西部": ("western",),
    "经济": ("economics",), "经济学": ("economics",), "金融": ("finance",),
    "投资": ("finance",), "理财": ("finance",), "商业": ("business",), "管理": ("business",),
    "科学": ("science",), "科普": ("science",), "心理": ("psychology",),
    "心理学": ("psychology",), "小说": ("fiction",), "文学": ("fiction",),
    "编程": ("technology",), "计算机": ("technology",), "技术": ("technology",),
    "烹饪": ("cooking",), "菜谱": ("cooking",), "美食": ("cooking",), "儿童": ("children",),
    "童书": ("children",), "绘本": ("children",), "哲学": ("philosophy",),
    "耳机": ("electronics",), "电子": ("electronics",), "数码": ("electronics",),
    "厨房": ("kitchen",), "文具": ("stationery",),
}

# Words that name the kind of item.
DOMAIN_EN = {
    "movie": "movie", "movies": "movie", "film": "movie", "films": "movie", "flick": "movie",
    "flicks": "movie", "watch": "movie", "book": "book", "books": "book", "read": "book",
    "novel": "book", "novels": "book", "reading": "book", "cookbook": "book",
    "product": "product", "products": "product", "buy": "", "gadget": "product",
    "headphones": "product", "electronics": "product",
}
DOMAIN_ZH = {
    "电影": "movie", "影片": "movie", "片子": "movie", "片": "movie", "看": "movie",
    "书": "book", "读物": "book", "小说": "book", "绘本": "book", "读": "book",
    "耳机": "product", "产品": "product", "商品": "product",
}

# Mood words -> (mood tag, English words for the dense query).
MOOD_EN = {
    "funny": ("funny", "funny hilarious comedy"), "fun": ("fun", "fun entertaining"),
    "hilarious": ("funny", "funny hilarious comedy"), "lighthearted": ("light", "light fun"),
    "light hearted": ("light", "light fun"), "feel good": ("uplifting", "uplifting heartwarming"),
    "feel-good": ("uplifting", "uplifting heartwarming"), "uplifting": ("uplifting", "uplifting"),
    "heartwarming": ("uplifting", "heartwarming"), "dark": ("dark", "dark grim"),
    "scary": ("scary", "scary frightening"), "sad": ("sad", "sad moving tragic"),
    "moving": ("moving", "moving emotional"), "exciting": ("exciting", "exciting thrilling"),
    "thrilling": ("exciting", "thrilling exciting"), "relaxing": ("relaxing", "relaxing calm"),
    "mind bending": ("mind-bending", "mind-bending complex puzzle"),
    "thought provoking": ("thought-provoking", "thought-provoking ideas"),
    "inspiring": ("inspiring", "inspiring"), "classic": ("classic", "classic"),
}
MOOD_ZH = {
    "有趣": ("fun", "fun entertaining funny"), "好玩": ("fun", "fun entertaining"),
    "搞笑": ("funny", "funny hilarious comedy"), "轻松": ("light", "light relaxing fun"),
    "温馨": ("uplifting", "heartwarming warm"), "治愈": ("uplifting", "heartwarming healing"),
    "感人": ("moving", "moving emotional touching"), "催泪": ("sad", "sad moving tearjerker"),
    "刺激": ("exciting", "thrilling exciting intense"), "烧脑": ("mind-bending", "mind-bending complex puzzle"),
    "黑暗": ("dark", "dark grim"), "吓人": ("scary", "scary frightening"),
    "励志": ("inspiring", "inspiring uplifting"), "经典": ("classic", "classic acclaimed"),
}

# English words for Chinese terms, so the English dense index understands them.
ZH_QUERY_WORDS = {
    "太空": "space", "宇宙": "universe space", "外星": "alien", "机器人": "robot",
    "时间旅行": "time travel", "穿越": "time travel", "僵尸": "zombie", "超级英雄": "superhero",
    "监狱": "prison", "战争": "war", "爱情": "love", "友情": "friendship", "家人": "family",
    "狗": "dog", "猫": "cat", "恐龙": "dinosaur", "海洋": "ocean", "魔法": "magic",
    "赛车": "racing", "音乐": "music", "学校": "school", "青春": "youth coming of age",
    "复仇": "revenge", "香港": "hong kong", "港片": "hong kong", "日本": "japanese japan",
    "韩国": "korean korea", "国产": "chinese china", "中国": "chinese china", "法国": "french france", "间谍": "spy", "警察": "police", "黑客": "hacker", "人工智能": "artificial intelligence",
}

# Questions about an item's fields.
DETAIL_EN = {
    "director": ("who directed", "director", "directed by", "who made"),
    "cast": ("who is in", "who's in", "who stars", "starring", "cast", "actor", "actors",
             "actress", "who plays"),
    "author": ("who wrote", "author", "writer"),
    "year": ("what year", "when was", "released", "release date", "how old is"),
    "runtime": ("how long", "runtime", "length", "minutes long", "duration"),
    "price": ("how much", "price", "cost", "expensive"),
    "plot": ("about", "plot", "story", "synopsis", "summary"),
    "rating": ("rating", "rated", "score", "reviews"),
    "genre": ("genre", "what kind of"),
}
DETAIL_ZH = {
    "director": ("导演",), "cast": ("主演", "演员", "谁演", "出演", "主角"),
    "author": ("作者", "谁写"), "year": ("哪年", "上映", "年份", "出版"),
    "runtime": ("多长", "时长", "片长", "多久"), "price": ("多少钱", "价格", "价钱", "贵不贵"),
    "plot": ("讲什么", "讲的是", "剧情", "简介", "内容", "讲了"), "rating": ("评分", "口碑"),
    "genre": ("类型", "什么片"),
}

NEGATION_EN = (
    "no", "not", "without", "don't", "dont", "do not", "never", "except", "excluding",
    "exclude", "avoid", "skip", "hate", "other than", "anything but", "nothing", "isn't",
    "aren't", "rather not", "not into", "none of", "less", "dislike", "tired of", "sick of",
)
NEGATION_EN_AFTER = ("is not my", "isn't my", "are not my", "aren't my", "not for me")
NEGATION_ZH_BEFORE = (
    "不要", "不想", "不看", "别", "除了", "排除", "不喜欢", "讨厌", "不含", "不是", "受不了",
    "没兴趣", "不爱", "不考虑", "去掉", "不用",
)
NEGATION_ZH_AFTER = ("不感兴趣", "不太感兴趣", "没兴趣", "没什么兴趣", "不喜欢", "就算了", "不要", "除外")

# Relative changes: words -> (field, direction).
ADJUST_EN = {
    "newer": ("year", 1), "more recent": ("year", 1), "recent": ("year", 1), "later": ("year", 1),
    "older": ("year", -1), "earlier": ("year", -1), "cheaper": ("price", -1),
    "less expensive": ("price", -1), "more affordable": ("price", -1),
    "pricier": ("price", 1), "more expensive": ("price", 1), "shorter": ("runtime", -1),
    "longer": ("runtime", 1), "better rated": ("rating", 1), "higher rated": ("rating", 1),
}
ADJUST_ZH = {
    "新一点": ("year", 1), "新一些": ("year", 1), "近一点": ("year", 1), "最近的": ("year", 1),
    "更新的": ("year", 1), "老一点": ("year", -1), "老一些": ("year", -1), "早一点": ("year", -1),
    "便宜": ("price", -1), "实惠": ("price", -1), "贵一点": ("price", 1), "短一点": ("runtime", -1),
    "短一些": ("runtime", -1), "长一点": ("runtime", 1), "评分高": ("rating", 1),
    "评分更高": ("rating", 1),
}

ORDINALS_EN = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    "last": -1,
}
ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
DECADE_WORDS_EN = {
    "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
    "seventies": 1970, "eighties": 1980, "nineties": 1990,
}

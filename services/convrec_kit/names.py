"""Display names of categories and item fields in Chinese."""

CATEGORY_ZH = {
    "movie": "电影",
    "book": "书",
    "product": "商品",
    "action": "动作",
    "adventure": "冒险",
    "animation": "动画",
    "biography": "传记",
    "comedy": "喜剧",
    "crime": "犯罪",
    "documentary": "纪录片",
    "drama": "剧情",
    "family": "家庭",
    "fantasy": "奇幻",
    "history": "历史",
    "horror": "恐怖",
    "music": "音乐",
    "musical": "歌舞",
    "mystery": "悬疑",
    "romance": "爱情",
    "science fiction": "科幻",
    "sport": "体育",
    "thriller": "惊悚",
    "war": "战争",
    "western": "西部",
    "economics": "经济",
    "finance": "金融投资",
    "business": "商业管理",
    "science": "科学",
    "psychology": "心理学",
    "fiction": "小说文学",
    "technology": "技术",
    "cooking": "烹饪生活",
    "children": "儿童",
    "philosophy": "哲学",
    "electronics": "电子产品",
    "home": "家居",
    "kitchen": "厨房",
    "sports": "运动",
    "stationery": "文具",
}
DOMAIN_EN = {"movie": "movies", "book": "books", "product": "products", "": "picks"}
DOMAIN_ZH_MEASURE = {
    "movie": ("部", "电影"),
    "book": ("本", "书"),
    "product": ("件", "商品"),
    "": ("个", "推荐"),
}


def category_zh(name: str) -> str:
    return CATEGORY_ZH.get(name, name)

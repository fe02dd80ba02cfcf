"""Chinese (Mandarin) text front-end producing GPT-SoVITS v2 phones.

Modules: ``normalize`` (numbers, dates, units... -> characters; punctuation mapping),
``numbers`` / ``chrono`` / ``measures`` (the verbalisation rules), ``pinyin`` (pinyin -> phones),
``sandhi`` + ``sandhi_words`` (tone sandhi), ``erhua``, ``polyphones`` (opt-in corrections) and
``g2p`` (the pipeline: ``g2p_zh(text) -> ZhResult``). Importing does no work; jieba, pypinyin
and the tables load on first use.
"""

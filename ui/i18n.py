"""User-facing strings in English and Chinese.

Static labels use Gradio's :class:`gr.I18n` (the browser language picks the table; the language
switch at the top and Gradio's settings panel change it). Messages built at run time use
:func:`message` with the same keys and the session language from :func:`request_lang`: the page
keeps a ``studio_lang`` cookie in step with the displayed language, so run-time messages follow
the switch; without the cookie the browser's Accept-Language decides.

A ``gr.I18n`` value must be passed whole to a component (an I18n object inside an f-string or a
Dataframe header is not translated); Dataframe headers therefore use :func:`message`.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

import gradio as gr

from ui.strings_en import EN
from ui.strings_zh import ZH

TABLES = {"en": EN, "zh": ZH}
I18N = gr.I18n(en=EN, zh=ZH, **{"zh-CN": ZH, "zh-TW": ZH, "zh-HK": ZH})
LANG_COOKIE = "studio_lang"

# Keeps the studio_lang cookie equal to the language the page shows (Gradio sets <html lang>).
HEAD_JS = """
<script>
(() => {
  const sync = () => {
    const lang = document.documentElement.lang || navigator.language || "en";
    document.cookie = "studio_lang=" + encodeURIComponent(lang) + "; path=/; SameSite=Lax";
  };
  sync();
  new MutationObserver(sync).observe(document.documentElement, {attributes: true, attributeFilter: ["lang"]});
})();
</script>
"""


def lang_of(locale: str | None) -> str:
    """Map a browser locale such as ``zh-CN`` or ``en-US`` to one of our tables."""
    return "zh" if (locale or "").strip().lower().startswith("zh") else "en"


def request_lang(request: gr.Request | None) -> str:
    """The session language: the studio_lang cookie, else the first Accept-Language entry."""
    if request is None:
        return "en"
    headers = request.headers
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except CookieError:
        pass
    if LANG_COOKIE in cookie:
        return lang_of(cookie[LANG_COOKIE].value)
    return lang_of(headers.get("accept-language", "").split(",")[0])


def message(key: str, lang: str = "en", **values: object) -> str:
    """A translated run-time message with ``{placeholders}`` filled in."""
    table = TABLES.get(lang, EN)
    return table.get(key, EN.get(key, key)).format(**values)


def coded_message(prefix: str, code: str, values: dict, lang: str, fallback: str) -> str:
    """The words for a message the package sent as ``code`` + ``values`` (key ``prefix.code``),
    or its own English ``fallback`` when the studio has no words for that code or they do not fit."""
    key = f"{prefix}.{code}"
    if code and key in EN:
        try:
            return message(key, lang, **values)
        except (KeyError, IndexError, ValueError):
            pass
    return fallback

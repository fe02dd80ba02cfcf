"""Small helpers shared by the tabs: friendly errors, durations, speech-amount guidance."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

import gradio as gr

from gpt_sovits.errors import StudioError
from ui.i18n import message

log = logging.getLogger(__name__)

# Speech amounts (seconds) behind the guidance shown to the user.
MIN_TRAIN_SECONDS = 10.0
GOOD_SECONDS = 60.0
PLENTY_SECONDS = 180.0


@contextlib.contextmanager
def friendly_errors(lang: str, what: str) -> Iterator[None]:
    """Turn a StudioError or ValueError into a ``gr.Error`` toast that says what to do.

    ``what`` is the message key of the action (e.g. "action.clean"); the exception text (which
    already names the fix) follows it. Other exceptions are logged and shown as a generic message,
    never as a stack trace.
    """
    try:
        yield
    except gr.Error:
        raise
    except (StudioError, ValueError) as exc:
        raise gr.Error(message("error.failed", lang, action=message(what, lang), error=exc),
                       title=message("error.title", lang), print_exception=False) from None
    except Exception as exc:
        log.exception("unexpected error during %s", what)
        raise gr.Error(message("error.unexpected", lang, action=message(what, lang), error=type(exc).__name__),
                       title=message("error.title", lang), print_exception=False) from None


def gradio_progress(progress: gr.Progress) -> Callable[[float, str], None]:
    """Adapt a ``gr.Progress`` to the package's ``progress(fraction, message)`` callback."""

    def report(fraction: float, text: str) -> None:
        progress(fraction, desc=text)

    return report


def format_seconds(seconds: float, lang: str = "en") -> str:
    """``9.74`` -> ``9.7 s`` (``9.7 秒`` in Chinese); ``75.4`` -> ``1:15`` (minutes:seconds from one
    minute on)."""
    if seconds < 59.5:
        return f"{seconds:.1f} 秒" if lang == "zh" else f"{seconds:.1f} s"
    total = int(round(seconds))
    return f"{total // 60}:{total % 60:02d}"


def speech_guidance(seconds: float, lang: str) -> str:
    """One sentence on whether the amount of speech is enough (aim for 1-3 minutes)."""
    if seconds <= 0:
        key = "guide.none"
    elif seconds < MIN_TRAIN_SECONDS:
        key = "guide.too_short"
    elif seconds < GOOD_SECONDS:
        key = "guide.short"
    elif seconds <= PLENTY_SECONDS:
        key = "guide.good"
    else:
        key = "guide.plenty"
    return message(key, lang, time=format_seconds(seconds, lang))


"""``python -m gpt_sovits g2p``: show the phones of a text, or check the front-end against a file.

Examples::

    python -m gpt_sovits g2p --lang zh "今天{重|chong2}新开始。"
    python -m gpt_sovits g2p --check tests/fixtures/frontend_zh.jsonl

``--check`` reads records in the layout of ``tests/fixtures/frontend_*.jsonl`` (``id``, ``lang``,
``text``, ``phones``, ``norm_text``, ``word2ph``, optional ``version``), runs the single-language
cleaner on each and prints one line per mismatch. A record is exact when phones, norm_text and
word2ph all match. The last stdout line is a JSON summary.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", help="text to phonemize (inline overrides allowed)")
    parser.add_argument(
        "--lang",
        default="auto",
        choices=("auto", "zh", "en"),
        help="language of the text (default: auto, split by script)",
    )
    parser.add_argument("--version", default="v2", choices=("v1", "v2"), help="symbol table")
    parser.add_argument(
        "--check",
        type=Path,
        metavar="FILE.jsonl",
        help="compare against expected records instead of phonemizing TEXT",
    )
    parser.add_argument(
        "--studio",
        action="store_true",
        help="with --check: use the studio's corrections (polyphones, readable English) instead of "
        "reproducing the original front-end exactly; differences are then deliberate",
    )


def _phonemize(args: argparse.Namespace) -> int:
    from gpt_sovits.text import to_phones

    result = to_phones(args.text, args.lang, args.version)
    print(" ".join(result.phones))
    print(result.norm_text)
    for skipped in result.skipped:
        print(f"skipped {skipped.text!r} at {skipped.position} ({skipped.script})")
    print(
        json.dumps(
            {
                "phones": result.phones,
                "norm_text": result.norm_text,
                "word2ph": result.word2ph,
                "ids": result.ids,
                "runs": result.runs,
                "skipped": [vars(s) for s in result.skipped],
            },
            ensure_ascii=False,
        )
    )
    return 0


def _recorded_tagger(record: dict[str, Any]) -> Any:
    """Replay the POS tags the fixture was produced with (``pos_tag_calls``), if it has them."""
    calls = {tuple(c["tokens"]): list(c["tags"]) for c in record.get("pos_tag_calls") or []}
    if not calls:
        return None
    from gpt_sovits.text.en.pos import heuristic_tags

    return lambda tokens: calls.get(tuple(tokens)) or heuristic_tags(tokens)


def _compare(record: dict[str, Any], faithful: bool) -> tuple[bool, bool, dict[str, Any]]:
    """(exact, phones_exact, what we got) for one expected record."""
    from gpt_sovits.text import clean_text

    tagger = _recorded_tagger(record) if faithful else None
    try:
        got = clean_text(record["text"], record["lang"], record.get("version", "v2"),
                         faithful=faithful, tagger=tagger)
    except Exception as exc:  # noqa: BLE001 - any failure is a reported mismatch, not a crash
        return "error" in record, False, {"error": f"{type(exc).__name__}: {exc}"}
    result = {"phones": got.phones, "norm_text": got.norm_text, "word2ph": got.word2ph}
    phones_exact = got.phones == record.get("phones")
    exact = phones_exact and got.norm_text == record.get("norm_text")
    if record["lang"] == "zh":
        exact = exact and got.word2ph == record.get("word2ph")
    return exact, phones_exact, result


def _check(path: Path, faithful: bool) -> int:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    exact_count = phones_count = 0
    mismatches: list[str] = []
    for record in records:
        exact, phones_exact, got = _compare(record, faithful)
        exact_count += exact
        phones_count += phones_exact
        if not exact:
            mismatches.append(record["id"])
            expected = {k: record.get(k) for k in ("phones", "norm_text", "word2ph")}
            print(f"{record['id']}  text={record['text']!r}")
            print(f"  expected: {json.dumps(expected, ensure_ascii=False)}")
            print(f"  got:      {json.dumps(got, ensure_ascii=False)}")
    total = len(records)
    print(
        json.dumps(
            {
                "total": total,
                "exact": exact_count,
                "rate": round(exact_count / total, 4) if total else 0.0,
                "phones_exact": phones_count,
                "mismatches": mismatches,
            },
            ensure_ascii=False,
        )
    )
    return 0


def run(args: argparse.Namespace) -> int:
    if args.check is not None:
        return _check(args.check, not args.studio)
    if args.text is None:
        raise SystemExit("give a TEXT to phonemize or --check FILE.jsonl")
    return _phonemize(args)


def main(argv: list[str] | None = None) -> int:
    """Run this command on its own (``python -m gpt_sovits.cli.g2p``)."""
    parser = argparse.ArgumentParser(prog="python -m gpt_sovits g2p", description=__doc__.split("\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

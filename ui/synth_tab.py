"""Tab 5, Synthesize: pick a trained voice (or any voice zero-shot from a reference clip), type
text, adjust the sliders, and listen while it is generated; every take is kept for comparison
and download."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import gradio as gr
import numpy as np

from gpt_sovits.infer.asr_check import AsrCheck
from gpt_sovits.infer.options import options_for
from gpt_sovits.infer.results import AudioChunk
from gpt_sovits.voice_format import (
    REFERENCE_DOUBTS,
    REFERENCE_WAV,
    S2G_FILE,
    decoder_controls_pitch,
    read_voice_dir,
)
from gpt_sovits.voices import list_voices
from ui.common import friendly_errors
from ui.i18n import I18N, message, request_lang
from ui.players import players_html
from ui.services import Services, TabLoad
from ui.takes import save_take, take_clips

ZERO_SHOT = "__zero_shot__"
SEGMENTATIONS = ["punctuation", "every_50_chars", "every_4_sentences", "zh_period", "en_period", "none"]


def reference_warning(doubt: str, lang: str) -> str:
    """The Synthesize tab's warning for a voice whose reference clip is doubtful ("" when it is not)."""
    return f"⚠ {message(f'synth.reference_{doubt}', lang)}" if doubt in REFERENCE_DOUBTS else ""


def proofread_summary(chunks: list[AudioChunk], max_error: float, lang: str) -> str:
    """What proofreading did: how many sentences were made again and how many still miss words."""
    redone = sum(1 for c in chunks if c.retries > 0)
    doubtful = [c.text.strip() for c in chunks if c.asr_error is not None and c.asr_error > max_error]
    if not doubtful:
        return message("synth.proofread_ok", lang, redone=redone, total=len(chunks))
    quoted = [f"“{t if len(t) <= 24 else t[:23] + '…'}”" for t in doubtful]
    return message("synth.proofread_doubtful", lang, redone=redone, total=len(chunks), parts=" ".join(quoted))


def build_synth_tab(services: Services, project: gr.State) -> TabLoad:
    """Build the Synthesize tab inside the current ``gr.Tab`` context."""
    guide = gr.Markdown(elem_id="synth-guide")
    with gr.Row():
        # custom values: API clients name a voice or base without loading the page's choices first
        voice = gr.Dropdown(label=I18N("synth.voice"), choices=[], scale=2, elem_id="synth-voice",
                            allow_custom_value=True)
        base = gr.Dropdown(label=I18N("synth.base"), choices=[], scale=1, visible=False, allow_custom_value=True)
    with gr.Row():
        reference = gr.Audio(label=I18N("synth.reference"), type="filepath", sources=["upload", "microphone"],
                             interactive=False)
        reference_text = gr.Textbox(label=I18N("synth.reference_text"), lines=3, interactive=False)
    # a trained voice whose reference clip is doubtful says so (its words guide every take)
    reference_note = gr.Markdown(elem_id="synth-reference-note")
    text = gr.Textbox(label=I18N("synth.text"), lines=4, placeholder=I18N("synth.text_hint"), elem_id="synth-text")
    with gr.Row():
        language = gr.Dropdown(label=I18N("synth.language"), value="auto",
                               choices=[(I18N("labels.auto"), "auto"), ("中文", "zh"), ("English", "en")])
        # Whisper listens to every sentence and up to two more takes are made of one that misses words
        proofread = gr.Checkbox(value=False, label=I18N("synth.proofread"), info=I18N("synth.proofread_info"),
                                elem_id="synth-proofread")
    with gr.Accordion(I18N("synth.settings"), open=False):
        with gr.Row():
            # The voice-dependent sliders have no reset button of their own (it would go back to the
            # built-in defaults, not the voice's recommendation); the button below resets them.
            noise = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label=I18N("synth.noise"), buttons=[])
            length = gr.Slider(0.5, 2.0, value=1.0, step=0.05, label=I18N("synth.length"))
            pause = gr.Slider(0.0, 2.0, value=0.3, step=0.05, label=I18N("synth.pause"))
        with gr.Row():
            # only a decoder that predicts the melody (the starter base's) can move it; others grey these out
            pitch = gr.Slider(-12.0, 12.0, value=0.0, step=0.5, label=I18N("synth.pitch"),
                              info=I18N("synth.pitch_info"), buttons=[], elem_id="synth-pitch")
            intonation = gr.Slider(0.0, 2.0, value=1.0, step=0.05, label=I18N("synth.intonation"),
                                   info=I18N("synth.intonation_info"), buttons=[], elem_id="synth-intonation")
            keep_pitch = gr.Checkbox(value=True, label=I18N("synth.keep_pitch"), info=I18N("synth.keep_pitch_info"),
                                     elem_id="synth-keep-pitch")
            text_melody = gr.Checkbox(value=True, label=I18N("synth.text_melody"),
                                      info=I18N("synth.text_melody_info"), elem_id="synth-text-melody")
        with gr.Row():
            top_k = gr.Slider(1, 100, value=15, step=1, label=I18N("synth.top_k"), buttons=[], elem_id="synth-top-k")
            top_p = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label=I18N("synth.top_p"), buttons=[])
            temperature = gr.Slider(0.05, 2.0, value=1.0, step=0.05, label=I18N("synth.temperature"), buttons=[])
            repetition = gr.Slider(1.0, 2.0, value=1.35, step=0.05, label=I18N("synth.repetition"), buttons=[])
        with gr.Row():
            seed = gr.Number(value=-1, precision=0, label=I18N("synth.seed"), info=I18N("synth.seed_info"))
            segmentation = gr.Dropdown(label=I18N("synth.segmentation"), choices=SEGMENTATIONS, value="punctuation")
        recommended = gr.Button(I18N("synth.recommended"), size="sm", elem_id="synth-recommended")
    with gr.Row():
        generate = gr.Button(I18N("synth.generate"), variant="primary", elem_id="synth-generate")
        stop = gr.Button(I18N("common.stop"), variant="stop")
    status = gr.Markdown(elem_id="synth-status")
    # Gradio streams audio through ffmpeg; without it the player is refreshed after each segment.
    streaming = shutil.which("ffmpeg") is not None
    with gr.Row():
        stream = gr.Audio(label=I18N("synth.stream"), streaming=streaming, autoplay=True, interactive=False,
                          elem_id="synth-stream")
        full = gr.Audio(label=I18N("synth.full"), type="filepath", interactive=False, elem_id="synth-full")
    gr.Markdown(I18N("synth.history"))
    history = gr.HTML(elem_id="synth-history")

    def show(folder: str, current: str | None, request: gr.Request) -> tuple:
        lang = request_lang(request)
        profiles = [p for p in services.registry.profiles() if p.available]
        bases = gr.update(choices=[(p.title_in(lang), p.name) for p in profiles],
                          value=profiles[0].name if profiles else None)
        if not folder:
            return (message("common.no_project", lang), gr.update(choices=[], value=None), bases,
                    gr.update(interactive=False), players_html([], message("synth.no_takes", lang)))
        with friendly_errors(lang, "action.open"):
            voices = list_voices(services.open(folder))
            takes = take_clips(services.open(folder).root)
        names = [name for name, _ in voices]
        choices = [(m.name, name) for name, m in voices] + [(message("synth.zero_shot", lang), ZERO_SHOT)]
        value = current if current in names else (names[-1] if names else ZERO_SHOT)
        key = "synth.guide" if names else ("synth.guide_zero_shot" if profiles else "synth.guide_nothing")
        return (message(key, lang), gr.update(choices=choices, value=value), bases,
                gr.update(interactive=bool(names or profiles)), players_html(takes, message("synth.no_takes", lang)))

    def settings(recommended: dict, melody: bool) -> tuple:
        """Slider values: the defaults, overridden by what the voice (or base) reads best with; pitch
        and intonation back at neutral, usable only when the voice's decoder can move its ``melody``."""
        best = options_for(recommended)
        return (best.noise_scale, best.top_k, best.top_p, best.temperature, best.repetition_penalty,
                gr.update(value=best.pitch, interactive=melody),
                gr.update(value=best.intonation if melody else 1.0, interactive=melody),
                gr.update(value=best.keep_reference_pitch, interactive=melody),
                gr.update(value=best.text_melody, interactive=melody))

    def on_voice(folder: str, name: str | None, base_name: str | None, request: gr.Request) -> tuple:
        zero = name == ZERO_SHOT
        if zero or not folder or not name:
            return (gr.update(visible=zero), gr.update(interactive=True, value=None),
                    gr.update(interactive=True, value=""), "", *on_base(base_name if zero else None))
        path = services.open(folder).voices_dir / name
        manifest = read_voice_dir(path)
        return (gr.update(visible=False), gr.update(interactive=False, value=str(path / REFERENCE_WAV)),
                gr.update(interactive=False, value=manifest.reference_text),
                reference_warning(manifest.reference_doubt, request_lang(request)),
                *settings(manifest.synthesis, decoder_controls_pitch(path / S2G_FILE)))

    def on_base(base_name: str | None) -> tuple:
        profiles = [p for p in services.registry.profiles() if p.available]
        known = {p.name: p for p in profiles}
        # the page's first load lists the bases and picks the zero-shot voice at once: the base
        # dropdown's value is not there yet, so settle on the one the list defaults to
        chosen = known.get(base_name or "") or (profiles[0] if profiles else None)
        if chosen is None:
            return settings({}, False)
        return settings(chosen.synthesis, chosen.controls_pitch)

    def restore(folder: str, name: str | None, base_name: str | None, request: gr.Request) -> tuple:
        """The sliders back at what the chosen voice (or zero-shot base) recommends."""
        return on_voice(folder, name, base_name, request)[4:]

    def run(folder: str, name: str | None, base_name: str | None, ref: str | None, ref_text: str, words: str,
            lang_choice: str, noise_scale: float, length_scale: float, semitones: float, melody: float,
            keep: bool, tones: bool, pause_s: float, k: float, p: float,
            temp: float, rep: float, seed_value: float | None, method: str, check: bool,
            request: gr.Request) -> Iterator[tuple]:
        lang = request_lang(request)
        from gpt_sovits import SynthesisOptions, load_voice, synthesize, zero_shot_voice

        with friendly_errors(lang, "action.synthesize"):
            proj = services.open(folder)
            options = SynthesisOptions(
                noise_scale=float(noise_scale), length_scale=float(length_scale), pitch=float(semitones),
                intonation=float(melody), keep_reference_pitch=bool(keep), text_melody=bool(tones),
                top_k=int(k), top_p=float(p),
                temperature=float(temp), repetition_penalty=float(rep), seed=None if seed_value is None or seed_value < 0 else int(seed_value),
                segmentation=method, pause=float(pause_s), language=lang_choice, asr_check=bool(check))
            if name == ZERO_SHOT or not name:
                if not ref:
                    raise gr.Error(message("synth.need_reference", lang), print_exception=False)
                chosen = zero_shot_voice(base_name or "", ref, ref_text or None, registry=services.registry)
            else:
                chosen = load_voice(proj.voices_dir / name, registry=services.registry)
            flag = services.stop_flag(f"synth-{folder}")
            flag.clear()
            parts: list[np.ndarray] = []
            chunks: list[AudioChunk] = []
            used_seed = None
            checker = AsrCheck(services.asr) if options.asr_check else None
            for chunk in synthesize(chosen, words, options, asr=checker, cancel=flag.is_set):
                parts.append(chunk.audio)
                chunks.append(chunk)
                used_seed = chunk.seed if used_seed is None else used_seed
                note = message("synth.progress", lang, done=chunk.index + 1, total=chunk.count)
                playing = chunk.audio if streaming else np.concatenate(parts)
                yield note, (chunk.sample_rate, playing), gr.skip(), gr.skip()
            if not parts:
                yield message("synth.cancelled", lang), gr.skip(), gr.skip(), gr.skip()
                return
            audio = np.concatenate(parts)
            path = save_take(proj.root, audio, chosen.sample_rate,
                             {**options.to_dict(), "text": words, "voice": chosen.name, "seed": used_seed})
        done = message("synth.done", lang, seconds=f"{len(audio) / chosen.sample_rate:.1f}", seed=used_seed)
        if options.asr_check:
            done += " " + proofread_summary(chunks, checker.max_error, lang)
        yield done, gr.skip(), str(path), players_html(take_clips(proj.root), message("synth.no_takes", lang))

    def stop_synthesis(folder: str, request: gr.Request) -> str:
        if folder:
            services.stop_flag(f"synth-{folder}").set()
        return message("common.stopping", request_lang(request))

    tuned = [noise, top_k, top_p, temperature, repetition, pitch, intonation, keep_pitch, text_melody]
    voice.change(on_voice, inputs=[project, voice, base], outputs=[base, reference, reference_text, reference_note, *tuned],
                 api_name="synth_voice_details")
    base.input(on_base, inputs=base, outputs=tuned, api_name="synth_base_settings")
    recommended.click(restore, inputs=[project, voice, base], outputs=tuned, api_name="synth_recommended_settings")
    inputs = [project, voice, base, reference, reference_text, text, language, noise, length, pitch, intonation,
              keep_pitch, text_melody, pause, top_k, top_p, temperature, repetition, seed, segmentation, proofread]
    running = generate.click(run, inputs=inputs, outputs=[status, stream, full, history], api_name="synthesize",
                             concurrency_limit=1)
    stop.click(stop_synthesis, inputs=project, outputs=status, api_name="stop_synthesis", cancels=[running])
    return TabLoad(fn=show, inputs=[project, voice], outputs=[guide, voice, base, generate, history])

"""Feature extraction for training and inference (DESIGN §3).

- :mod:`.content`: the :class:`~.content.ContentEncoder` protocol, the shared audio and 50 Hz frame
  conventions, and ``build_content_encoder("hubert" | "whisper-base")``.
- :mod:`.hubert` (gsv-v2, 768-d) and :mod:`.whisper_encoder` (starter, 512-d).
- :mod:`.bert`: phone-level BERT features ``[1024, n_phones]`` (zeros where there are none).
- :mod:`.semantic`: 25 Hz semantic tokens through the base S2, and reference prompt tokens.
- :mod:`.cache` and :mod:`.stage`: the per-slice feature cache and ``extract_features``.

Importing this package does no work; import the submodules you need.
"""

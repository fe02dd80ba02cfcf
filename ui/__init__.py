"""The Gradio studio: one module per tab, each exposing ``build_<tab>_tab(services)``."""

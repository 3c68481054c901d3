"""Infra tests: the synthesized template and the nag-clean synth."""

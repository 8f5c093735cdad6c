"""Scripts that reproduce the shipped tagger weights and the measured figures."""

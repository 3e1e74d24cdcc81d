"""Matching: who should meet whom, and why.

- :mod:`~chainmatch.matching.index`: the in-memory match index built once from a store;
- :mod:`~chainmatch.matching.ranking`: the one scorer of recommendations, needs, maps and events, with explanations;
- :mod:`~chainmatch.matching.neighbours`: a firm's chain neighbours for grid chiefs;
- :mod:`~chainmatch.matching.outcomes`: learning the ranking weights from outcomes;
- :mod:`~chainmatch.matching.evaluation`: the offline measurements on real and demo data.
"""

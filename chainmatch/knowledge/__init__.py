"""The chain knowledge: what industries and products are, and who supplies whom.

- :mod:`~chainmatch.knowledge.industries`: the GB/T 4754-2017 catalogue;
- :mod:`~chainmatch.knowledge.classify`: free Chinese text → GB/T 小类 with a confidence;
- :mod:`~chainmatch.knowledge.supply`: industry → industry links (input-output table, equipment rules, chain
  templates, the KAG taxonomy);
- :mod:`~chainmatch.knowledge.text`: the one text measure of product names;
- :mod:`~chainmatch.knowledge.product_links`: product → product chains laid over a register's products.

The data they read is shipped in ``chainmatch/data`` (provenance in its README).
"""

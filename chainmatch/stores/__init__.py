"""The stores: one interface, two back ends, one contract suite (``tests/test_store_contract.py``).

- :mod:`~chainmatch.stores.base`: the :class:`~chainmatch.stores.base.Store` interface and its records
  (nodes, relationships, batches);
- :mod:`~chainmatch.stores.sqlite`: the embedded default, a durable SQLite database file;
- :mod:`~chainmatch.stores.neo4j`: Neo4j over Bolt, with the official driver;
- :mod:`~chainmatch.stores.cypher`: every Cypher statement, named, with ``$parameters`` only.
"""

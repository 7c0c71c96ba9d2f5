"""One search box over the caller's pictures (issue 22, item 2).

``text`` folds words and reads a query (Django-free); ``index`` holds the database's side
(the FTS5 table on SQLite, the GIN expression on PostgreSQL) and the statement that asks it;
``selectors`` narrows a caller's pictures by a query and its filters, ranked; ``suggestions``
offers what to search as a person types; ``pagination``, ``serializers``, ``schema`` and
``views`` are the API.
"""

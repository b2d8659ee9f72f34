"""The engine plumbing: how the course reaches an engine, starts one, and feeds it images.

Lessons and the classroom import these modules; they import nothing of the lesson API or the classroom,
only each other and the shared foundations (``errors``, ``waiting``, ``process``, ``table``, ``names``,
``parallel``). Nothing here loads a display library. See ``course/README.md`` for the map.
"""

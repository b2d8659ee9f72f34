"""The classroom: a JupyterHub that gives every learner a notebook server and an engine of their own.

It may import the lesson API and the engine plumbing; nothing outside this package imports it but the
``course`` command (``course/cli.py``). ``hub`` needs the classroom extra (JupyterHub, DockerSpawner),
so this package imports none of its modules itself. See ``course/README.md`` for the map.
"""

"""Helpers for the dockernet course: each call stands for one ``docker`` CLI command."""

from .errors import CourseError

__all__ = ["CourseError"]

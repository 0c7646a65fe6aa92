"""The one exception the generator raises for anything a spec or tool author has to fix."""


class GenerationError(Exception):
    """The spec is invalid, or a tool reported an error or a warning while generating."""

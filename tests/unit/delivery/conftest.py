from tests.unit.take_fixtures import cards, config, http, store  # noqa: F401

"""No import cycle runs through bot.request, not even one through the package's own __init__
(the grammar once imported the catalogue, which imported the grammar's VideoRequest back), which
import-linter's acyclic_siblings contract cannot see."""

from __future__ import annotations

import grimp


def cycles(graph: grimp.ImportGraph, package: str) -> list[tuple[str, ...]]:
    """Each import inside `package` whose imported module leads back to the importer."""
    modules = {package, *graph.find_descendants(package)}
    found = []
    for importer in sorted(modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & modules):
            if imported != importer and graph.chain_exists(importer=imported, imported=importer):
                found.append(graph.find_shortest_chain(importer=imported, imported=importer))
    return found


def test_bot_request_has_no_import_cycle():
    graph = grimp.build_graph("bot", include_external_packages=False)
    assert cycles(graph, "bot.request") == []


def test_the_check_sees_a_cycle_through_the_package():
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.grammar", "pkg.catalogue"):
        graph.add_module(module)
    graph.add_import(importer="pkg", imported="pkg.grammar")
    graph.add_import(importer="pkg.grammar", imported="pkg.catalogue")
    graph.add_import(importer="pkg.catalogue", imported="pkg")  # the VideoRequest annotation
    assert cycles(graph, "pkg") != []

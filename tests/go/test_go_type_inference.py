"""SetTag typing: what the declarations of the same file say about a value."""

from ast_grep_py import SgRoot

from otmigrate.languages.go.type_inference import attribute, declared_types

SOURCE = """package main

type item struct{ Price uint16 }

func loadItems() map[string]int { return nil }

func names() []string { return nil }

func f(weights []float64) {
	items := loadItems()
	for name, price := range items {
		_, _ = name, price
	}
	for i, n := range names() {
		_, _ = i, n
	}
	for _, w := range weights {
		_ = w
	}
	var it item
	_ = it
}
"""


def _attribute(expression: str) -> str | None:
    root = SgRoot(SOURCE + f"\nvar _ = {expression}\n", "go").root()
    value = root.find_all(kind="var_spec")[-1].field("value").children()[0]
    return attribute('"k"', value, declared_types(root))


def test_types_from_function_results_ranges_and_fields():
    assert _attribute("price") == 'attribute.Int("k", price)'
    assert _attribute("name") == 'attribute.String("k", name)'
    assert _attribute("n") == 'attribute.String("k", n)'
    assert _attribute("i") == 'attribute.Int("k", i)'
    assert _attribute("w") == 'attribute.Float64("k", w)'
    assert _attribute("items") is None  # a map has no attribute type
    assert _attribute("it.Price") == 'attribute.Int64("k", int64(it.Price))'
    assert _attribute("weights") == 'attribute.Float64Slice("k", weights)'
    assert _attribute("unknown") is None

"""Dependency manifests lose the legacy tracing packages and gain the OpenTelemetry ones."""

from __future__ import annotations

from otmigrate.languages.python.manifest import update_manifest


def test_requirements_txt():
    text = "flask>=3\nopentracing==2.4.0\njaeger-client==4.8.0  # tracing\nrequests\n"
    assert update_manifest("requirements.txt", text) == (
        "flask>=3\n"
        "opentelemetry-api~=1.45\n"
        "opentelemetry-sdk~=1.45\n"
        "opentelemetry-exporter-otlp-proto-http~=1.45\n"
        "opentelemetry-propagator-b3~=1.45\n"
        "opentelemetry-propagator-jaeger~=1.45\n"
        "requests\n"
    )


def test_pyproject_dependencies_keep_the_rest_of_the_file():
    text = (
        '[project]\nname = "svc"\ndependencies = [\n    "flask>=3",\n    "py_zipkin==1.2.8",\n]\n\n'
        "[tool.ruff]\nline-length = 100\n"
    )
    assert update_manifest("pyproject.toml", text) == (
        '[project]\nname = "svc"\ndependencies = [\n    "flask>=3",\n'
        '    "opentelemetry-api~=1.45",\n    "opentelemetry-sdk~=1.45",\n'
        '    "opentelemetry-exporter-otlp-proto-http~=1.45",\n'
        '    "opentelemetry-exporter-zipkin-json~=1.45",\n]\n\n'
        "[tool.ruff]\nline-length = 100\n"
    )


def test_setup_cfg_and_setup_py():
    cfg = "[options]\ninstall_requires =\n    opentracing>=2\n    six\npackages = find:\n"
    assert update_manifest("setup.cfg", cfg) == (
        "[options]\ninstall_requires =\n    opentelemetry-api~=1.45\n    opentelemetry-sdk~=1.45\n"
        "    opentelemetry-exporter-otlp-proto-http~=1.45\n    six\npackages = find:\n"
    )
    py = 'setup(\n    name="svc",\n    install_requires=[\n        "opentracing",\n    ],\n)\n'
    assert update_manifest("setup.py", py) == (
        'setup(\n    name="svc",\n    install_requires=[\n        "opentelemetry-api~=1.45",\n'
        '        "opentelemetry-sdk~=1.45",\n'
        '        "opentelemetry-exporter-otlp-proto-http~=1.45",\n    ],\n)\n'
    )


def test_manifest_without_legacy_packages_is_unchanged_and_update_is_idempotent():
    text = "flask\nopentelemetry-api~=1.45\n"
    assert update_manifest("requirements.txt", text) == text
    once = update_manifest("requirements-dev.txt", "opentracing\n")
    assert update_manifest("requirements-dev.txt", once) == once


def test_only_the_extras_the_migrated_code_imports():
    text = "jaeger-client\n"
    b3 = update_manifest("requirements.txt", text, frozenset({"opentelemetry.propagators.b3"}))
    assert "propagator-b3" in b3 and "propagator-jaeger" not in b3
    unknown = update_manifest("requirements.txt", text, frozenset())
    assert "propagator-b3" in unknown and "propagator-jaeger" in unknown

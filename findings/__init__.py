"""Published claims, one file each, checked on the results table by ``plbench findings``.

Every ``*.py`` here is imported on first use of :data:`benchmark.registry.FINDINGS` (as ``losses/``
and ``tasks/`` are); a file registers one :class:`benchmark.findings.Finding` subclass with
``@register_finding(name, citation=..., source=...)``.
"""

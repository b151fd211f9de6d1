"""Helpers shared by test modules and benchmarks. Test modules import shared code from here
(and the fakes from tests.fakes), never from another test module or from conftest.py, which
holds the fixtures only."""

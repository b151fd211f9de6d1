"""Host names split at the public suffix, offline: tldextract's bundled copy of the Public Suffix
List is used and the network is never asked for a newer one."""

from __future__ import annotations

import functools

import tldextract

from bot.text.domains import DomainParts


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.lru_cache(maxsize=4096)
def split_domain(host: str) -> DomainParts:
    result = _extractor()(host)
    return DomainParts(result.subdomain, result.domain, result.suffix)

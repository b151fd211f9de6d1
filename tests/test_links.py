"""The offline link checker, on the real Public Suffix List copy and data/links.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.content.domains import split_domain
from bot.content.models import LinkRules
from bot.core.links import FoundLink, LinkChecker, LinkReport, find_links

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def checker() -> LinkChecker:
    rules = LinkRules.model_validate(yaml.safe_load((ROOT / "data" / "links.yml").read_text()))
    return LinkChecker(rules, split_domain)


def check(checker: LinkChecker, text: str) -> LinkReport:
    links = find_links(text, split_domain)
    assert len(links) == 1, links
    return checker.check(links[0])


def keys(report: LinkReport) -> set[str]:
    return {signal.key for signal in report.signals}


@pytest.mark.parametrize(
    ("url", "signal"),
    [
        ("https://dsk-bank-online.top/vhod", "brand_name"),  # Bulgarian bank name, wrong domain
        ("https://speedy.bg.parcel-track.live/pay", "brand_name"),  # courier, deep subdomain
        ("http://nap-bg.com/refund", "brand_name"),  # tax office
        ("https://fibannk.bg/login", "lookalike"),  # one letter off
        ("https://paypa1.com/signin", "lookalike"),  # digit for a letter
        ("https://xn--pypal-4ve.com/", "mixed_script"),  # Cyrillic а in punycode
        ("https://pаypal.com/", "mixed_script"),  # the same, typed in Unicode
        ("http://192.168.10.7/login", "ip_host"),
        ("http://3232235777/x", "ip_host"),  # an IP address written as one number
        ("https://bit.ly/3xYz", "shortener"),
        ("https://parcel-redelivery.xyz/", "risky_tld"),
        ("https://www.dskbank.bg@evil-site.com/", "at_sign"),
        ("http://example.org/", "plain_http"),
        ("https://a.b.c.d.example.com/", "deep_subdomains"),
        ("https://example-shop.com/account/verify/payment", "sensitive_words"),
        ("https://example.com:8443/", "port"),
    ],
)
def test_each_warning_sign(checker: LinkChecker, url: str, signal: str) -> None:
    report = check(checker, f"is this ok {url} ?")
    assert signal in keys(report), report
    assert report.verdict in ("danger", "suspicious")


def test_scam_links_are_dangerous_and_official_ones_are_recognised(checker: LinkChecker) -> None:
    assert check(checker, "https://dsk-bank-online.top/vhod").verdict == "danger"
    assert check(checker, "https://econt-delivery.shop/pay/card").verdict == "danger"
    official = check(checker, "https://www.dskbank.bg/")
    assert official.verdict == "official" and official.brand == "DSK Bank"
    # Subdomains of an official domain are the brand's own.
    assert check(checker, "https://online.unicreditbulbank.bg/login").verdict == "official"
    assert check(checker, "https://en.wikipedia.org/wiki/Phishing").verdict == "no_signs"


def test_a_brand_word_inside_another_word_is_not_a_brand(checker: LinkChecker) -> None:
    # "nap" is the tax office's short name, but "snapchat" is not about it.
    assert "brand_name" not in keys(check(checker, "https://www.snapchat.com/"))


def test_zero_width_character_is_found_and_removed(checker: LinkChecker) -> None:
    links = find_links("look: https://dsk\u200bbank.bg/login", split_domain)
    assert links == [FoundLink("https://dskbank.bg/login", True)]
    report = checker.check(links[0])
    assert report.verdict == "danger" and "invisible" in keys(report)


def test_ten_thousand_character_url(checker: LinkChecker) -> None:
    long_path = "https://example.com/" + "a" * 10_000
    report = check(checker, long_path)
    assert "long" in keys(report)
    assert len(report.shown) <= 80
    # A host name longer than DNS allows cannot be a working address.
    report = check(checker, "https://" + "a" * 10_000 + ".com/")
    assert report.verdict == "invalid"


def test_hidden_link_shown_as_another_address(checker: LinkChecker) -> None:
    link = FoundLink("https://evil.example.net/login", False, shown_as="www.dskbank.bg")
    report = checker.check(link)
    assert "hidden_target" in keys(report) and report.verdict == "danger"


def test_finding_links_in_text() -> None:
    text = "Got this: Pay the fee at www.speedy-bg.top/pay, or see (https://econt.com). e.g. 3.5 lv"
    found = [link.url for link in find_links(text, split_domain)]
    assert found == ["www.speedy-bg.top/pay", "https://econt.com"]
    assert find_links("no links here, just words. and 1.5 numbers", split_domain) == []

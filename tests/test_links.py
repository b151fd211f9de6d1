"""The offline link checker, on the real Public Suffix List copy and data/links.yml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.content.catalog import ContentError, load_catalog
from bot.content.domains import split_domain
from bot.content.models import LinkRules
from bot.core.links import FoundLink, LinkChecker, LinkReport, find_links
from bot.core.messages import Incoming
from bot.dialogue.router import Dialogue

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
        ("https://telegrsm.org/login", "lookalike"),  # a long name, one letter replaced
        ("https://telegrarn.org/login", "lookalike"),  # "rn" for "m"
        ("https://xn--pypal-4ve.com/", "mixed_script"),  # Cyrillic а in punycode
        ("https://pаypal.com/", "mixed_script"),  # the same, typed in Unicode
        ("http://192.168.10.7/login", "ip_host"),
        ("http://3232235777/x", "ip_host"),  # an IP address written as one number
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
    assert official.verdict == "official" and official.brand is not None
    assert official.brand.name_in("en", "en") == "DSK Bank"
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


# --- hosts where anyone can make a page ---------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://t.me/sofia_runners", "messenger"),
        ("https://wa.me/359888123456", "messenger"),
        ("https://m.me/someone", "messenger"),
        ("https://paypal.me/janedoe/25", "payment_link"),
        ("https://revolut.me/janedoe", "payment_link"),
        ("https://goo.gl/abc123", "shortener"),
        ("https://bit.ly/3xYz", "shortener"),
        ("https://sites.google.com/view/my-club", "site_builder"),
        ("https://my-shop.netlify.app/", "site_builder"),
        ("https://drive.google.com/file/d/1AbC/view", "cloud_storage"),
        ("https://forms.gle/AbC123", "form"),
    ],
)
def test_user_content_hosts_get_their_own_verdict(
    checker: LinkChecker, url: str, kind: str
) -> None:
    report = check(checker, url)
    assert report.verdict == "user_content", report
    assert report.brand is None
    assert kind in keys(report)


def test_brand_domains_stay_official_beside_user_content_hosts(checker: LinkChecker) -> None:
    # drive.google.com is anyone's; google.com and its other subdomains are Google's own.
    for url, brand in (
        ("https://www.paypal.com/signin", "PayPal"),
        ("https://mail.google.com/", "Google"),
        ("https://accounts.google.com/", "Google"),
        ("https://www.revolut.com/", "Revolut"),
    ):
        report = check(checker, url)
        assert report.verdict == "official", report
        assert report.brand is not None and report.brand.name_in("en", "en") == brand


def test_a_brand_imitated_on_a_user_content_host_is_still_a_warning(
    checker: LinkChecker,
) -> None:
    # The page owner's part of the address asks for a login: not official, not just "anyone's".
    report = check(checker, "https://sites.google.com/view/dsk-bank-login")
    assert report.verdict == "suspicious", report
    assert {"site_builder", "sensitive_words"} <= keys(report)
    # A brand name in the part the page owner chose is the brand-imitation signal.
    report = check(checker, "https://t.me/dsk_bank_help")
    assert report.verdict == "suspicious" and {"messenger", "sensitive_words"} <= keys(report)
    report = check(checker, "https://dskbank-online.web.app/")
    assert report.verdict == "danger" and {"site_builder"} < keys(report), report
    assert keys(report) & {"brand_name", "lookalike"}


def _links_data() -> dict[str, object]:
    raw = yaml.safe_load((ROOT / "data" / "links.yml").read_text())
    assert isinstance(raw, dict)
    return raw


def test_a_host_cannot_be_both_a_brand_domain_and_anyones(tmp_path: Path) -> None:
    raw = _links_data()
    brands = raw["brands"]
    assert isinstance(brands, list)
    telegram = next(i for i, b in enumerate(brands) if b["domains"][0] == "telegram.org")
    brands[telegram]["domains"].append("t.me")
    with pytest.raises(ValidationError, match=rf"brands\.{telegram}\.domains: t\.me .*messenger"):
        LinkRules.model_validate(raw)
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    (data / "links.yml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    with pytest.raises(ContentError, match=r"links\.yml: .*t\.me"):
        load_catalog(data, "en")


def test_a_host_in_two_kinds_is_rejected() -> None:
    raw = _links_data()
    user_content = raw["user_content"]
    assert isinstance(user_content, dict)
    user_content["form"].append("bit.ly")
    with pytest.raises(ValidationError, match=r"bit\.ly"):
        LinkRules.model_validate(raw)


def test_every_kind_has_a_reason_in_every_language(tmp_path: Path) -> None:
    raw = _links_data()
    user_content = raw["user_content"]
    assert isinstance(user_content, dict)
    user_content["paste_site"] = ["pastebin.com"]
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    (data / "links.yml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    with pytest.raises(ContentError, match=r"link\.signal\.paste_site"):
        load_catalog(data, "en")


# --- brands: names per language, keywords, the review's additions -------------------------------


def test_a_brand_name_per_language_falls_back_to_the_default(tmp_path: Path) -> None:
    raw = _links_data()
    brands = raw["brands"]
    assert isinstance(brands, list)
    dsk = next(b for b in brands if b["domains"][0] == "dskbank.bg")
    rules = LinkRules.model_validate(raw)
    brand = next(b for b in rules.brands if b.domains[0] == "dskbank.bg")
    assert brand.name_in("bg", "en") == "Банка ДСК"
    assert brand.name_in("en", "en") == "DSK Bank"
    assert brand.name_in("de", "en") == "DSK Bank"
    # A name per language must include the default language's, or some users would see none.
    dsk["name"] = {"bg": "Банка ДСК"}
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    (data / "links.yml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    with pytest.raises(ContentError, match=r"links\.yml: brands\.\d+\.name: no name in 'en'"):
        load_catalog(data, "en")


async def test_bulgarian_users_see_bulgarian_brand_names(dialogue: Dialogue) -> None:
    outcome = await dialogue.handle(
        Incoming(12, text="https://dsk-bank-online.top/vhod", platform_language="bg")
    )
    assert "Банка ДСК" in outcome.replies[0].text
    assert "DSK Bank" not in outcome.replies[0].text
    outcome = await dialogue.handle(
        Incoming(13, text="https://www.nra.bg/", platform_language="bg")
    )
    assert "НАП" in outcome.replies[0].text
    outcome = await dialogue.handle(Incoming(14, text="https://www.dskbank.bg/"))
    assert "DSK Bank" in outcome.replies[0].text


@pytest.mark.parametrize(
    ("url", "brand"),
    [
        ("https://a1-bg.com/smetka", "A1 (formerly Mtel)"),  # the brand's name split by a hyphen
        ("https://a1bg-online.com/", "A1 (formerly Mtel)"),
        ("https://mtel-bg.net/", "A1 (formerly Mtel)"),  # the old name scam domains still use
        ("https://telenor-bg.com/", "Yettel (formerly Telenor)"),
        ("https://office365-login.com/", "Microsoft"),  # digits in a keyword
        ("https://spidi-bg.com/pratka", "Speedy"),
        ("https://kat-globi.com/", "Ministry of Interior"),
        ("https://pib-bg.com/", "Fibank"),
        ("https://obb-online.com/", "UBB"),
        ("https://epay-bg.top/", "ePay.bg"),
        ("https://temu-bg.shop/", "Temu"),
    ],
)
def test_brand_words_in_fake_addresses(checker: LinkChecker, url: str, brand: str) -> None:
    report = check(checker, url)
    names = [s.brand.name_in("en", "en") for s in report.signals if s.brand is not None]
    assert "brand_name" in keys(report) and brand in names, report


def test_a_short_brand_word_is_not_found_across_other_words(checker: LinkChecker) -> None:
    # "royal-bg" ends in "al-bg", the look-alike form of "a1-bg", but it is not A1's name.
    assert "brand_name" not in keys(check(checker, "https://royal-bg.com/"))


@pytest.mark.parametrize(
    ("url", "brand"),
    [
        ("https://www.nssi.bg/", "National Social Security Institute (NOI)"),
        ("https://ibank.bg/", "Investbank"),
        ("https://www.municipalbank.bg/", "Municipal Bank"),
        ("https://www.epay.bg/", "ePay.bg"),
        ("https://www.borica.bg/", "BORICA"),
        ("https://customs.bg/", "Customs Agency"),
        ("https://www.nhif.bg/", "National Health Insurance Fund (NZOK)"),
        ("https://www.fsc.bg/", "Financial Supervision Commission"),
        ("https://www.cpdp.bg/", "Commission for Personal Data Protection"),
        ("https://www.technopolis.bg/", "Technopolis"),
    ],
)
def test_added_brands_are_official(checker: LinkChecker, url: str, brand: str) -> None:
    report = check(checker, url)
    assert report.verdict == "official", report
    assert report.brand is not None and report.brand.name_in("en", "en") == brand


def test_noi_bg_is_not_listed_as_the_noi(checker: LinkChecker) -> None:
    assert check(checker, "https://noi.bg/").verdict != "official"


@pytest.mark.parametrize(
    "url",
    [
        "https://gov-uk-debtrelief.com/apply",  # a "government" debt write-off scheme
        "https://energy-credit.govt-help.net/pensioners",  # an energy credit for pensioners
        "https://govukpay-support.com/",  # a word starting with "gov"
        "https://uk-gov.energy-support.info/claim",
        "https://nap.gov.bg.refund-pay.top/x",  # Bulgaria's government domain as a decoy label
    ],
)
def test_a_government_name_outside_government_domains(checker: LinkChecker, url: str) -> None:
    report = check(checker, f"claim here {url}")
    assert "government_name" in keys(report) and report.verdict == "danger", report


@pytest.mark.parametrize(
    "url",
    [
        "https://www.gov.uk/vehicle-tax",  # tax and payment words on the government's own site
        "https://tax.service.gov.uk/pay",
        "https://www.irs.gov/payments",
        "https://portal.government.bg/",
        "https://egov.bg/wps/portal",
        "https://mygov.scot/council-tax",
        "https://dragov.bg/",  # a surname that ends in "gov"
        "https://governance-institute.org/",  # "govern" is not the government's name
    ],
)
def test_government_domains_and_near_words_get_no_government_name(
    checker: LinkChecker, url: str
) -> None:
    report = check(checker, f"see {url}")
    assert "government_name" not in keys(report), report
    assert "sensitive_words" not in keys(report), report


def test_a_professional_networks_name_on_another_domain(checker: LinkChecker) -> None:
    fake = check(checker, "see who viewed your profile https://linkedin-profileviews.com/see")
    assert fake.verdict == "danger" and "brand_name" in keys(fake)
    assert check(checker, "https://www.linkedin.com/in/someone").verdict == "official"


@pytest.mark.parametrize(
    "url",
    [
        "https://profile-insights-linkedln.com/",
        "https://secure-faceb0ok-login.net/",
        "https://whatsap-p.com.instagrem-help.com/",
    ],
)
def test_a_long_brand_name_one_letter_off_inside_a_host(checker: LinkChecker, url: str) -> None:
    report = check(checker, f"see {url}")
    assert report.verdict == "danger" and keys(report) & {"lookalike", "brand_name"}, report


@pytest.mark.parametrize(
    "url",
    [
        "https://cooking-classes.com/",
        "https://passbook-savings.com/",
        "https://instagraph.example.org/",
        # A word of its own two edits from a brand's address: a newspaper, not Telegram.
        "https://www.telegraph.co.uk/news/",
        # An everyday word that is a brand's keyword, inside a longer word of the host: a hotel's
        # own booking site, not Booking.com (round 9).
        "https://bookingdirect.ie/",
        "https://www.pineapple-farm.ie/",
        "https://speedyrepairs.co.uk/",
    ],
)
def test_everyday_words_near_a_brand_name_are_no_lookalike(checker: LinkChecker, url: str) -> None:
    report = check(checker, f"see {url}")
    assert not keys(report) & {"lookalike", "brand_name"}, report


@pytest.mark.parametrize(
    "url",
    [
        "https://booking-confirm-guest.com/reservation",
        "https://bookings-confirm-payment.com/",  # the plural, as a word of its own
        "https://booking.guest-verify.net/",
        "https://apple.id-verify.com/",
        "https://bookinq.com/",  # a near copy of the brand's own address, judged as before
    ],
)
def test_an_everyday_brand_keyword_as_a_word_of_its_own_is_still_the_brand(
    checker: LinkChecker, url: str
) -> None:
    report = check(checker, f"see {url}")
    assert report.verdict == "danger" and keys(report) & {"lookalike", "brand_name"}, report


def test_an_everyday_keyword_must_be_a_brand_s_keyword() -> None:
    data = yaml.safe_load((ROOT / "data" / "links.yml").read_text("utf-8"))
    data["everyday_keywords"] = ["booking", "holiday"]
    with pytest.raises(ValidationError, match="holiday"):
        LinkRules.model_validate(data)

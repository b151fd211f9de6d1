"""The offline link checker: a verdict on an address from the address alone. The bot never
fetches a link, so a verdict can only warn; it can never vouch for what a page shows.

Each finding is a Signal with a weight; the verdict is the sum. Texts live in data/ui (keys
`link.signal.<key>`), and the brands, the hosts where anyone can make a page (messengers, payment
links, shorteners, site builders...) and the risky endings in data/links.yml.

Without warning signs, an address on a brand's own domain is "official"; one on a host where
anyone can make a page is "user_content": the address is the service's, the page anyone's.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import SplitResult, unquote, urlsplit

import idna
from rapidfuzz.distance import Levenshtein

from bot.content.models import Brand, LinkRules

# The checker is given a splitter (bot/content/domains.py); its users name these from here.
from bot.text.domains import DomainParts as DomainParts
from bot.text.domains import DomainSplitter as DomainSplitter

MAX_LINKS = 3  # per message; a forwarded newsletter with forty links gets the first three
LONG_URL = 300
DEEP_SUBDOMAINS = 3
DISPLAY_CHARS = 80
MAX_HOST, MAX_LABEL = 253, 63  # DNS limits: anything longer cannot be a real address

# Characters that do not show on screen but change what an address is.
INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069"
    "\u3164\ufeff\uffa0"
)
# Letters from other scripts that look like Latin ones, and the digit swaps fake addresses use.
LOOKALIKE = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j",
        "ԁ": "d", "ԛ": "q", "ԝ": "w", "α": "a", "ο": "o", "ρ": "p", "ν": "v", "τ": "t",
        "ı": "i", "0": "o", "1": "l", "3": "e", "5": "s",
    }
)  # fmt: skip
_LINK_START = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)
_SCHEME = re.compile(r"^https?://", re.IGNORECASE)
_BARE = re.compile(r"^[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:[/?#].*)?$")
_STRIP = "\"'()[]{}<>«»„“”‘’.,;:!?"
_TOKEN = re.compile(r"[a-z0-9]+")

Verdict = Literal["danger", "suspicious", "official", "user_content", "no_signs", "invalid"]


@dataclass(frozen=True, slots=True)
class Signal:
    key: str
    weight: int
    values: dict[str, str] = field(default_factory=dict)
    brand: Brand | None = None  # named as {brand} in the reader's language


@dataclass(frozen=True, slots=True)
class LinkReport:
    shown: str  # the address as the user should see it: shortened, invisible characters marked
    host: str
    verdict: Verdict
    signals: tuple[Signal, ...] = ()
    brand: Brand | None = None  # the brand whose official domain this is, for "official"


@dataclass(frozen=True, slots=True)
class FoundLink:
    url: str  # without invisible characters
    had_invisible: bool
    shown_as: str | None = None  # the text a hidden link was shown as, if any


def strip_invisible(text: str) -> tuple[str, bool]:
    """The text without invisible characters, and whether it had any."""
    visible = "".join(ch for ch in text if ch not in INVISIBLE)
    return visible, len(visible) != len(text)


def find_links(text: str, split: DomainSplitter) -> list[FoundLink]:
    """Addresses in free text: with a scheme, starting with www., or a bare host name with a
    real public suffix ("dsk-bank.top/login")."""
    found: list[FoundLink] = []
    for raw in text.split():
        visible, had_invisible = strip_invisible(raw)
        token = visible.strip(_STRIP)
        if not token:
            continue
        if (_SCHEME.match(token) and len(token) > 8) or (
            "." in token
            and (_LINK_START.match(token) or (_BARE.match(token) and _has_suffix(token, split)))
        ):
            found.append(FoundLink(token, had_invisible))
    return found


def links_in(
    text: str, hidden: Sequence[tuple[str, str | None]], split: DomainSplitter
) -> list[FoundLink]:
    """The addresses of a message: those hidden behind its text (Telegram's text links, with the
    text they were shown as) first, then those in the text, each once."""
    found = [FoundLink(*strip_invisible(url), shown) for url, shown in hidden]
    seen = {link.url for link in found}
    for link in find_links(text, split):
        if link.url not in seen:
            found.append(link)
            seen.add(link.url)
    return found


def _has_suffix(token: str, split: DomainSplitter) -> bool:
    host = re.split(r"[/?#:]", token, maxsplit=1)[0]
    return bool(split(host.lower()).suffix)


class LinkChecker:
    def __init__(self, rules: LinkRules, split: DomainSplitter) -> None:
        self.rules = rules
        self.split = split
        # Every listed host and what it is: a brand's own domain, or a kind of host where anyone
        # can make a page. LinkRules guarantees a host is listed once.
        self._listed: dict[str, Brand | str] = {
            host: kind for kind, hosts in rules.user_content.items() for host in hosts
        }
        self._listed.update({d: b for b in rules.brands for d in b.domains})
        # Keywords in the form the host is compared in, so "a1bg" and "office365" can match.
        self._keywords = [
            (brand, tuple(k.translate(LOOKALIKE) for k in brand.keywords)) for brand in rules.brands
        ]
        self._everyday = frozenset(k.translate(LOOKALIKE) for k in rules.everyday_keywords)

    def check(self, link: FoundLink) -> LinkReport:
        url = link.url
        shown = _display(url)
        explicit_http = url.lower().startswith("http://")
        if not _SCHEME.match(url):
            url = "http://" + url
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").rstrip(".")
            port = parts.port
        except ValueError:
            return LinkReport(shown, "", "invalid")
        if not host or len(host) > MAX_HOST or any(len(x) > MAX_LABEL for x in host.split(".")):
            return LinkReport(shown, host[:DISPLAY_CHARS], "invalid")
        signals: list[Signal] = []
        if link.had_invisible:
            signals.append(Signal("invisible", 3))
        if len(link.url) > LONG_URL:
            signals.append(Signal("long", 1, {"length": str(len(link.url))}))
        if parts.username is not None or "@" in parts.netloc:
            signals.append(Signal("at_sign", 3, {"host": host}))
        if port is not None and port not in (80, 443):
            signals.append(Signal("port", 1, {"port": str(port)}))
        if explicit_http:
            signals.append(Signal("plain_http", 1))
        if link.shown_as:
            signals.extend(self._shown_elsewhere(link.shown_as, host))

        if _is_ip(host):
            signals.append(Signal("ip_host", 3, {"host": host}))
            return self._report(shown, host, signals)

        unicode_host, ascii_host = _both_forms(host)
        if unicode_host is None:
            return LinkReport(shown, host, "invalid")
        if ascii_host != unicode_host:
            signals.append(Signal("punycode", 1, {"host": unicode_host}))
            if _mixed_script(unicode_host):
                signals.append(Signal("mixed_script", 3))
        domain = self.split(ascii_host)
        if not domain.suffix:
            signals.append(Signal("no_suffix", 2))
            return self._report(shown, unicode_host, signals)

        listed, listed_host = self._listed_owner(ascii_host)
        brand = listed if isinstance(listed, Brand) else None
        user_content = isinstance(listed, str)
        if isinstance(listed, str):
            # The service's own name is no imitation (paypal.me is PayPal's); only the part the
            # page's owner chose ("dskbank-login" in dskbank-login.web.app) can imitate a brand.
            signals.append(Signal(listed, 0, {"host": listed_host}))
            chosen = unicode_host.split(".")[: -(listed_host.count(".") + 1)]
            if chosen:
                signals.extend(self._imitation(".".join(chosen), chosen[-1]))
        elif brand is None:
            signals.extend(self._imitation(unicode_host, domain.domain))
        government = self._under_government(ascii_host)
        if brand is None and not government:
            signals.extend(self._government_name(ascii_host, domain.suffix))
        # A government's own address asks for tax and payments by right (www.gov.uk/vehicle-tax).
        if brand is None and not government:
            if domain.suffix.rsplit(".", 1)[-1] in self.rules.risky_tlds:
                signals.append(Signal("risky_tld", 2, {"tld": "." + domain.suffix}))
            words = self._sensitive_words(domain.subdomain, parts)
            if words:
                signals.append(Signal("sensitive_words", 2, {"words": ", ".join(words)}))
        if domain.subdomain.count(".") + 1 >= DEEP_SUBDOMAINS and domain.subdomain:
            signals.append(Signal("deep_subdomains", 1, {"count": str(_labels(domain))}))
        return self._report(shown, unicode_host, signals, brand, user_content)

    # --- the signals ----------------------------------------------------------------------

    def _listed_owner(self, host: str) -> tuple[Brand | str | None, str]:
        """What the most specific listed host at or above `host` is, and that host: under
        google.com, drive.google.com is anyone's while mail.google.com is Google's."""
        labels = host.split(".")
        for start in range(len(labels) - 1):
            candidate = ".".join(labels[start:])
            listed = self._listed.get(candidate)
            if listed is not None:
                return listed, candidate
        return None, ""

    def _imitation(self, text: str, label: str) -> Iterable[Signal]:
        """A brand's name in `text`, or a near-copy of a brand's address in `label`, on a host
        that is not the brand's."""
        skeleton = text.lower().translate(LOOKALIKE)
        label_skeleton = _unicode_label(label.lower()).translate(LOOKALIKE)
        words = _TOKEN.findall(skeleton)
        tokens = set(words)
        # Two neighbouring words as one, so "a1-bg" and "a1.bg-online" carry the keyword "a1bg".
        tokens.update(a + b for a, b in itertools.pairwise(words))
        labels = (label_skeleton, _pairs_read_as_one(label_skeleton))
        for brand, keywords in self._keywords:
            for official in brand.domains:
                official_label = official.split(".")[0]
                if any(
                    label == official_label
                    or (
                        len(official_label) >= 5
                        and Levenshtein.distance(label, official_label)
                        <= _near_copy_edits(label, official_label)
                    )
                    for label in labels
                ):
                    yield Signal("lookalike", 3, {"official": official}, brand)
                    return
            for keyword in keywords:
                # A keyword of five letters or more inside a longer word ("dskbanklogin"), unless
                # it is an everyday word ("booking" in bookingdirect.ie): then only as a word, or
                # its plural ("bookings-confirm-payment.com").
                everyday = keyword in self._everyday
                inside = len(keyword) >= 5 and not everyday
                if (
                    keyword in tokens
                    or (inside and keyword in skeleton)
                    or (everyday and keyword + "s" in tokens)
                ):
                    yield Signal("brand_name", 3, {"official": brand.domains[0]}, brand)
                    return
                # A long brand name with one letter swapped, as a word of the host ("linkedln" in
                # profile-insights-linkedln.com): the near-copy test above only sees a host that
                # is nothing but the brand's address. Same length and eight letters or more, so
                # that everyday words ("cooking", "bookings") are not read as a brand.
                if len(keyword) >= 8 and any(
                    len(word) == len(keyword)
                    and Levenshtein.distance(word, keyword, score_cutoff=1) <= 1
                    for word in words
                ):
                    yield Signal("lookalike", 3, {"official": brand.domains[0]}, brand)
                    return

    def _under_government(self, host: str) -> bool:
        """Whether `host` is at or under a government's own domain or suffix."""
        labels = host.lower().split(".")
        return any(
            ".".join(labels[start:]) in self.rules.government_domains
            for start in range(len(labels))
        )

    def _government_name(self, host: str, suffix: str) -> Iterable[Signal]:
        """A government's name in a host outside every government's own domains: the public
        cannot register under gov.uk or .gov, so a "gov" page elsewhere borrows the trust."""
        labels = host.lower().split(".")
        # The public suffix's own labels ("gov" in a private registry's suffix) are not a word the
        # page's owner chose; everything before them is.
        chosen = labels[: len(labels) - (suffix.count(".") + 1)] if suffix else labels
        for word in _TOKEN.findall(" ".join(chosen)):
            # "govukpay", "govtrefund"; not "governor" or "governance", and not a word ending in
            # "gov" (Bulgarian surnames such as Dragov do).
            if word in self.rules.government_words or (
                word.startswith("gov")
                and len(word) > 4
                and (not word.startswith("govern") or word.startswith("government"))
            ):
                yield Signal("government_name", 3, {"host": host})
                return

    def _sensitive_words(self, subdomain: str, parts: SplitResult) -> list[str]:
        text = " ".join((subdomain, unquote(parts.path), unquote(parts.query))).lower()
        present = set(_TOKEN.findall(text))
        return sorted(present & self.rules.sensitive_words)[:4]

    def _shown_elsewhere(self, shown_as: str, host: str) -> Iterable[Signal]:
        """A hidden link whose visible text is another address."""
        visible = find_links(shown_as, self.split)
        if not visible:
            return
        try:
            shown_url = visible[0].url
            if not _SCHEME.match(shown_url):
                shown_url = "http://" + shown_url
            shown_host = (urlsplit(shown_url).hostname or "").rstrip(".")
        except ValueError:
            return
        if shown_host and shown_host.lower() != host.lower():
            yield Signal("hidden_target", 3, {"shown": shown_host, "host": host})

    def _report(
        self,
        shown: str,
        host: str,
        signals: list[Signal],
        brand: Brand | None = None,
        user_content: bool = False,
    ) -> LinkReport:
        score = sum(signal.weight for signal in signals)
        verdict: Verdict
        if score >= 3:
            verdict = "danger"
        elif score > 0:
            verdict = "suspicious"
        elif brand is not None:
            verdict = "official"
        elif user_content:
            verdict = "user_content"
        else:
            verdict = "no_signs"
        return LinkReport(shown, host, verdict, tuple(signals), brand)


def _display(url: str) -> str:
    if len(url) <= DISPLAY_CHARS:
        return url
    return url[: DISPLAY_CHARS - 1] + "…"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        # Decimal and hex forms (http://3232235777/) reach the same machines.
        return bool(re.fullmatch(r"(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}", host.lower()))
    return True


def _both_forms(host: str) -> tuple[str | None, str]:
    """The host as people read it and as DNS sees it; (None, host) when it is not a valid
    internationalised name."""
    labels = host.lower().split(".")
    unicode_labels, ascii_labels = [], []
    for label in labels:
        if not label:
            return None, host
        try:
            if label.startswith("xn--"):
                unicode_labels.append(idna.decode(label))
                ascii_labels.append(label)
            elif label.isascii():
                unicode_labels.append(label)
                ascii_labels.append(label)
            else:
                unicode_labels.append(label)
                ascii_labels.append(idna.encode(label, uts46=True).decode("ascii"))
        except idna.IDNAError:
            return None, host
    return ".".join(unicode_labels), ".".join(ascii_labels)


def _unicode_label(label: str) -> str:
    if label.startswith("xn--"):
        try:
            return str(idna.decode(label))
        except idna.IDNAError:
            return label
    return label


def _scripts(text: str) -> set[str]:
    scripts = set()
    for ch in text:
        if ch.isalpha():
            scripts.add(unicodedata.name(ch, "UNKNOWN").split(" ")[0])
    return scripts


def _mixed_script(host: str) -> bool:
    return any(len(_scripts(label)) > 1 for label in host.split("."))


def _labels(domain: DomainParts) -> int:
    return domain.subdomain.count(".") + 1


def _near_copy_edits(label: str, official: str) -> int:
    """How many edits still make `label` a near-copy of a brand's `official` label: one, or two
    for a long name kept at its length (two letters swapped or replaced, "paypa1" style). A longer
    or shorter label two edits away is as often a word of its own ("telegraph" from "telegram")
    as a copy."""
    return 2 if len(official) >= 8 and len(label) == len(official) else 1


def _pairs_read_as_one(label: str) -> str:
    # Two letters that read as one at a glance ("rn" as "m", "vv" as "w"): one edit, not two.
    return label.replace("rn", "m").replace("vv", "w")

#!/usr/bin/env python3
"""Writes assets/demo/identities.json, the demo server's base seed.

Deterministic (fixed RNG seed, fixed clock), standard library only, so running it
again gives the same bytes:

    python3 assets/demo/generate_identities.py > assets/demo/identities.json

The identities are in the shape Kratos's admin API returns with every credential
config included. Every seeded password is "demo-password" (hashed here with
PBKDF2-SHA256, PBKDF2-SHA512, scrypt or SSHA256, all formats Kratos imports).
The server rebuilds nothing from this file: what is here is what it serves.
"""

import base64
import hashlib
import json
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone

RNG = random.Random(20240501)
CLOCK = datetime(2023, 1, 9, 8, 30, 0, tzinfo=timezone.utc)
PASSWORD = b"demo-password"
COUNT = 240
# E-mail addresses are identifiers: unique across the whole seed.
USED_EMAILS = {
    "ada.lovelace@example.com", "grace.hopper@example.org", "li.lei@example.cn.example.com",
    "minh.khai@example.net", "m.alhusseini@example.com", "olga.smirnova@example.com",
    "zoe.osullivan@example.com", "m.wolfeschlegelsteinhausenbergerdorff@example.de",
    "a" * 64 + "@example.com", "empty.metadata@example.com", "null.metadata@example.com",
    "nested.metadata@example.com", "multi.provider@example.com", "no.name@example.com",
    "mixed.case@example.com", "jl.dartagnan@example.fr",
}

FIRST = [
    "Olivia", "Liam", "Amelia", "Noah", "Isla", "Oliver", "Ava", "Elijah", "Mia",
    "Lucas", "Sofia", "Mateo", "Chloé", "Hugo", "Léa", "Louis", "Emma", "Jonas",
    "Hannah", "Lukas", "Anja", "Sven", "Ingrid", "Björn", "Åsa", "Søren", "Zoë",
    "José", "María", "Lucía", "Álvaro", "João", "Inês", "Giulia", "Lorenzo",
    "Francesca", "Aarav", "Priya", "Ananya", "Rohan", "Chidi", "Ngozi", "Amara",
    "Kwame", "Abena", "Yuki", "Haruto", "Sakura", "Ren", "Wei", "Mei", "Jun",
    "Minh", "Linh", "Omar", "Layla", "Fatima", "Yusuf", "Aylin", "Emre", "Olga",
    "Dmitri", "Katarzyna", "Łukasz", "Zuzana", "Tomáš", "Eilidh", "Ciarán",
    "Siobhán", "Rhys", "Tāne", "Aroha", "Kai", "Leilani", "Mateus", "Camila",
]
LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "García", "Martínez",
    "Rodríguez", "López", "Müller", "Schmidt", "Schneider", "Fischer", "Weber",
    "Dubois", "Lefèvre", "Moreau", "Rossi", "Russo", "Ferrari", "Esposito",
    "Silva", "Santos", "Pereira", "Costa", "Andersson", "Johansson", "Nielsen",
    "Hansen", "Kowalski", "Nowak", "Novák", "Horváth", "Sharma", "Patel",
    "Iyer", "Okafor", "Adeyemi", "Mensah", "Boateng", "Tanaka", "Suzuki",
    "Watanabe", "Wang", "Li", "Zhang", "Nguyen", "Tran", "Haddad", "Khalil",
    "Yılmaz", "Demir", "Ivanova", "Petrov", "O'Brien", "MacLeod", "Ó Súilleabháin",
    "Davies", "Ngata", "Kealoha", "van der Berg", "de Vries", "Jansen",
]
DOMAINS = [
    "example.com", "example.org", "example.net", "mail.example.com",
    "corp.example", "staff.example.co.uk", "users.example.de", "example.fr",
]
PROVIDERS = ["google", "github", "microsoft", "apple"]
PLANS = ["free", "starter", "pro", "enterprise"]
LOCALES = ["en-GB", "en-US", "de-DE", "fr-FR", "es-ES", "pt-BR", "ja-JP", "it-IT"]
TIERS = ["standard", "silver", "gold", "platinum"]
NOTES = [
    "Called support about a lost phone, identity re-verified.",
    "Requested data export (GDPR art. 15), sent 2023-03-02.",
    "Prefers contact by email only.",
    "Account merged from legacy CRM.",
    "Chargeback dispute closed in customer's favour.",
    "VIP: route tickets to the escalation queue.",
]
ATTRIBUTES = [
    ("com.example.membership_level", "gold"),
    ("com.example.employee_id", "E-40213"),
    ("com.example.course_completed", "Fire safety 2023"),
    ("com.example.age_over_18", "true"),
]


def ascii_fold(text):
    """E-mail local parts stay ASCII: fold accents, drop what does not fold."""
    table = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "å": "a",
             "Å": "A", "ı": "i", "ā": "a", "'": "", " ": ""}
    import unicodedata
    out = []
    for ch in text:
        ch = table.get(ch, ch)
        for c in unicodedata.normalize("NFKD", ch):
            if c.isascii() and (c.isalnum() or c in ".-_"):
                out.append(c)
    return "".join(out).lower()


def new_uuid():
    return str(uuid.UUID(int=RNG.getrandbits(128), version=4))


def stamp(moment):
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return text + "Z"


def b64(data):
    return base64.b64encode(data).decode("ascii")


def b64_raw(data):
    return b64(data).rstrip("=")


def password_hash(index):
    salt = RNG.getrandbits(128).to_bytes(16, "big")
    kind = index % 4
    if kind == 0:
        digest = hashlib.pbkdf2_hmac("sha256", PASSWORD, salt, 10000, 32)
        return f"$pbkdf2-sha256$i=10000,l=32${b64_raw(salt)}${b64_raw(digest)}"
    if kind == 1:
        digest = hashlib.pbkdf2_hmac("sha512", PASSWORD, salt, 10000, 64)
        return f"$pbkdf2-sha512$i=10000,l=64${b64_raw(salt)}${b64_raw(digest)}"
    if kind == 2:
        digest = hashlib.scrypt(PASSWORD, salt=salt, n=16384, r=8, p=1, dklen=32)
        return f"$scrypt$ln=16384,r=8,p=1${b64(salt)}${b64(digest)}"
    digest = hashlib.sha256(PASSWORD + salt).digest()
    return "{SSHA256}" + b64(digest + salt)


def credential(kind, identifiers, config, created, version):
    return {
        "type": kind,
        "identifiers": identifiers,
        "config": config,
        "version": version,
        "created_at": stamp(created),
        "updated_at": stamp(created),
    }


def verifiable(value, via, verified, created):
    address = {
        "id": new_uuid(),
        "value": value,
        "verified": verified,
        "via": via,
        "status": "completed" if verified else RNG.choice(["pending", "sent"]),
        "created_at": stamp(created),
        "updated_at": stamp(created),
    }
    if verified:
        address["verified_at"] = stamp(created + timedelta(minutes=RNG.randint(2, 600)))
    return address


def recovery(value, via, created):
    return {
        "id": new_uuid(),
        "value": value,
        "via": via,
        "created_at": stamp(created),
        "updated_at": stamp(created),
    }


def metadata_public(index):
    choice = index % 6
    if choice == 0:
        return None
    if choice == 1:
        return {}
    data = {"plan": RNG.choice(PLANS), "locale": RNG.choice(LOCALES)}
    if choice == 3:
        data["newsletter"] = RNG.random() < 0.5
    if choice == 4:
        data["avatar_url"] = f"https://cdn.example.com/avatars/{index:04d}.png"
    return data


def metadata_admin(index, identity_id):
    choice = index % 5
    if choice == 0:
        return None
    if choice == 1:
        return {}
    data = {"crm_id": f"CRM-{RNG.randint(10000, 99999)}", "support_tier": RNG.choice(TIERS)}
    if choice == 3:
        data["notes"] = RNG.choice(NOTES)
    if index % 4 == 2:
        name, value = ATTRIBUTES[index % len(ATTRIBUTES)]
        data["yoti"] = {
            "issuance_token": f"demo-issuance-{identity_id[:8]}-{index:04d}",
            "attributes": {name: value},
        }
    return data


def phone_number(index):
    # Fictional ranges: UK drama numbers (07700 900xxx) and US 555-01xx style.
    if index % 2 == 0:
        return f"+447700900{index % 1000:03d}"
    return f"+1202555{index % 10000:04d}"


def person(index):
    first = FIRST[(index * 7 + 3) % len(FIRST)]
    last = LAST[(index * 11 + 5) % len(LAST)]
    return first, last


def make_identity(index, overrides=None):
    overrides = overrides or {}
    identity_id = new_uuid()
    created = CLOCK + timedelta(hours=index * 13, minutes=RNG.randint(0, 59),
                                seconds=RNG.randint(0, 59), microseconds=RNG.randint(0, 999999))
    updated = created + timedelta(days=RNG.randint(0, 200), minutes=RNG.randint(0, 600))
    first, last = overrides.get("name", person(index))
    domain = DOMAINS[index % len(DOMAINS)]
    email = overrides.get("email")
    if email is None:
        local = f"{ascii_fold(first)}.{ascii_fold(last)}"
        email = f"{local}@{domain}"
        suffix = 2
        while email.lower() in USED_EMAILS:
            email = f"{local}{suffix}@{domain}"
            suffix += 1
    USED_EMAILS.add(email.lower())
    schema_id = overrides.get("schema_id", "phone-password" if index % 4 == 3 else "email-password")
    inactive = overrides.get("inactive", index % 9 == 4)

    if schema_id == "email-password":
        traits = {"email": email, "name": {"first": first, "last": last}}
        if overrides.get("no_name"):
            traits = {"email": email}
        email_verified = overrides.get("email_verified", index % 3 != 1)
        verifiable_addresses = [verifiable(email.lower(), "email", email_verified, created)]
        recovery_addresses = [recovery(email.lower(), "email", created)]
        identifiers = [email.lower()]
        credentials = {}
    else:
        phone = overrides.get("phone", phone_number(index))
        traits = {"email": email, "phone": phone}
        verifiable_addresses = [
            verifiable(email.lower(), "email", index % 3 == 0, created),
            verifiable(phone, "sms", index % 2 == 1, created),
        ]
        recovery_addresses = []
        identifiers = [email.lower(), phone]
        credentials = {
            "code": credential(
                "code", [email.lower()],
                {"addresses": [{"channel": "email", "address": email.lower()}]},
                created, 1,
            )
        }

    credentials["password"] = credential(
        "password", identifiers, {"hashed_password": password_hash(index)}, created, 1
    )
    providers = overrides.get("providers")
    if providers is None:
        providers = []
        if index % 5 == 2:
            providers.append((PROVIDERS[index % len(PROVIDERS)], str(RNG.randint(10**17, 10**18))))
        if index % 25 == 7:
            providers.append(("github", str(RNG.randint(100000, 99999999))))
    if providers:
        credentials["oidc"] = credential(
            "oidc",
            [f"{p}:{s}" for p, s in providers],
            {
                "providers": [
                    {
                        "subject": s,
                        "provider": p,
                        "initial_id_token": "",
                        "initial_access_token": "",
                        "initial_refresh_token": "",
                    }
                    for p, s in providers
                ]
            },
            created,
            0,
        )

    identity = {
        "id": identity_id,
        "credentials": dict(sorted(credentials.items())),
        "schema_id": schema_id,
        "state": "inactive" if inactive else "active",
        "state_changed_at": stamp(updated if inactive else created),
        "traits": traits,
        "verifiable_addresses": verifiable_addresses,
        "recovery_addresses": recovery_addresses,
        "metadata_public": overrides.get("metadata_public", metadata_public(index)),
        "metadata_admin": overrides.get("metadata_admin", metadata_admin(index, identity_id)),
        "created_at": stamp(created),
        "updated_at": stamp(updated),
        "organization_id": None,
    }
    if "external_id" in overrides:
        identity["external_id"] = overrides["external_id"]
    elif index % 7 == 5:
        identity["external_id"] = f"legacy-{100000 + index * 37}"
    if not identity["recovery_addresses"]:
        del identity["recovery_addresses"]
    return identity


# A few identities a console must cope with, at fixed positions in the file.
EDGE_CASES = {
    0: {"name": ("Ada", "Lovelace"), "email": "ada.lovelace@example.com",
        "email_verified": True, "providers": [("google", "108000000000000000001")],
        "metadata_public": {"plan": "enterprise", "locale": "en-GB"},
        "metadata_admin": {"crm_id": "CRM-00001", "support_tier": "platinum",
                           "yoti": {"issuance_token": "demo-issuance-token-ada",
                                    "attributes": {"com.example.membership_level": "platinum"}}},
        "external_id": "salesforce:0035g00000AdaLove"},
    1: {"name": ("Grace", "Hopper"), "email": "grace.hopper@example.org", "inactive": True},
    2: {"name": ("李", "雷"), "email": "li.lei@example.cn.example.com"},
    3: {"name": ("Nguyễn Thị", "Minh Khai"), "email": "minh.khai@example.net",
        "schema_id": "phone-password", "phone": "+84912345678"},
    5: {"name": ("محمد", "الحسيني"), "email": "m.alhusseini@example.com"},
    6: {"name": ("Ольга", "Смирнова"), "email": "olga.smirnova@example.com"},
    8: {"name": ("Zoë 🌻", "Ó Súilleabháin-Øberg"), "email": "zoe.osullivan@example.com"},
    9: {"name": ("Maximiliane", "W" + "olfeschlegelsteinhausenbergerdorff" * 12),
        "email": "m.wolfeschlegelsteinhausenbergerdorff@example.de"},
    10: {"name": ("Very", "Long-Local-Part"),
         "email": "a" * 64 + "@example.com"},
    11: {"name": ("Empty", "Metadata"), "email": "empty.metadata@example.com",
         "metadata_public": {}, "metadata_admin": {}},
    12: {"name": ("Null", "Metadata"), "email": "null.metadata@example.com",
         "metadata_public": None, "metadata_admin": None},
    13: {"name": ("Nested", "Metadata"), "email": "nested.metadata@example.com",
         "metadata_public": {"preferences": {"theme": "dark", "shortcuts": ["g i", "g s"],
                                             "notifications": {"email": True, "sms": False}}},
         "metadata_admin": {"history": [{"at": "2023-02-01T10:00:00Z", "by": "agent-7",
                                         "action": "unlock"}],
                            "notes": "Long note: " + "lorem ipsum dolor sit amet " * 80}},
    14: {"name": ("Multi", "Provider"), "email": "multi.provider@example.com",
         "providers": [("google", "108000000000000000014"), ("github", "4401214"),
                       ("microsoft", "00000000-0000-0000-4ab1-1234567890ab")]},
    15: {"name": ("No", "Name"), "email": "no.name@example.com", "no_name": True},
    16: {"name": ("Mixed", "Case"), "email": "Mixed.Case@Example.COM"},
    17: {"name": ("Jean-Luc", "d'Artagnan"), "email": "jl.dartagnan@example.fr",
         "external_id": "crm/ü/ id with spaces"},
}


def main():
    identities = [make_identity(i, EDGE_CASES.get(i)) for i in range(COUNT)]
    json.dump(identities, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

//! Profile values derived from the seed and a record id, so a million users need no strings.

use std::fmt::{self, Display, Write};

use serde::{Serialize, Serializer};

/// A profile text that is either stored or derived on demand; it formats without allocating,
/// so rendering a page of derived users costs no strings.
#[derive(Clone, Copy, Debug)]
pub enum Text<'a> {
    Plain(&'a str),
    Email { seed: u64, id: u64 },
    Phone { seed: u64, id: u64 },
    Address { seed: u64, id: u64 },
}

impl Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Text::Plain(text) => f.write_str(text),
            Text::Email { seed, id } => {
                lower(f, first_name(seed, id))?;
                f.write_char('.')?;
                lower(f, last_name(seed, id))?;
                write!(f, ".{id}@{}", pick(DOMAINS, seed, id, 3))
            }
            Text::Phone { seed, id } => {
                let bits = mix(seed, id, 4);
                write!(f, "({}) 555-{:04}", 200 + bits % 800, (bits >> 16) % 10_000)
            }
            Text::Address { seed, id } => {
                let bits = mix(seed, id, 5);
                let (city, state, zip) = CITIES[(bits % CITIES.len() as u64) as usize];
                let number = 100 + (bits >> 8) % 9_800;
                let street = pick(STREETS, seed, id, 6);
                let kind = pick(STREET_KINDS, seed, id, 7);
                write!(f, "{number} {street} {kind}, {city}, {state} {zip}, USA")
            }
        }
    }
}

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Text::Plain(text) => serializer.serialize_str(text),
            derived => serializer.collect_str(derived),
        }
    }
}

fn lower(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    text.chars().try_for_each(|c| f.write_char(c.to_ascii_lowercase()))
}

/// Mixes a seed, an id and a salt into 64 well-spread bits (splitmix64 finaliser).
pub fn mix(seed: u64, id: u64, salt: u64) -> u64 {
    let mut z = seed
        .wrapping_add(id.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(salt.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick(list: &'static [&'static str], seed: u64, id: u64, salt: u64) -> &'static str {
    list[(mix(seed, id, salt) % list.len() as u64) as usize]
}

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Carmen", "Dmitri", "Elena", "Farah", "Gustavo", "Hana", "Ivan", "Jasmine",
    "Kofi", "Leila", "Mateo", "Nadia", "Oscar", "Priya", "Quinn", "Rosa", "Samuel", "Tara", "Umar",
    "Vera", "Wesley", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno", "Chloe", "Diego", "Esther",
    "Felix", "Grace", "Hugo", "Iris", "Jonah", "Kira", "Luca", "Maya", "Noah",
];

const LAST_NAMES: &[&str] = &[
    "Abbott", "Baker", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Hughes", "Ito",
    "Jensen", "Kowalski", "Lopez", "Mensah", "Nakamura", "Okafor", "Patel", "Quintero", "Reyes",
    "Schmidt", "Tanaka", "Usman", "Varga", "Walsh", "Xu", "Young", "Zimmer", "Alvarez", "Brooks",
    "Chen", "Diaz", "Evans", "Flores", "Gupta", "Hall", "Ibrahim", "Jones", "Khan", "Lee",
];

const STREETS: &[&str] = &[
    "Pine",
    "Oak",
    "Maple",
    "Cedar",
    "Elm",
    "Willow",
    "Birch",
    "Lakeview",
    "Hillcrest",
    "Main",
    "Park",
    "Sunset",
    "River",
    "Meadow",
    "Spring",
];

const STREET_KINDS: &[&str] = &["St", "Rd", "Ave", "Ln", "Dr", "Ct"];

const CITIES: &[(&str, &str, u32)] = &[
    ("McKinney", "TX", 75069),
    ("Austin", "TX", 78701),
    ("Denver", "CO", 80202),
    ("Portland", "OR", 97205),
    ("Columbus", "OH", 43215),
    ("Raleigh", "NC", 27601),
    ("Madison", "WI", 53703),
    ("Tucson", "AZ", 85701),
];

const DOMAINS: &[&str] = &["example.org", "example.com", "example.net"];

/// The derived first name of user `id`.
pub fn first_name(seed: u64, id: u64) -> &'static str {
    pick(FIRST_NAMES, seed, id, 1)
}

/// The derived last name of user `id`.
pub fn last_name(seed: u64, id: u64) -> &'static str {
    pick(LAST_NAMES, seed, id, 2)
}

/// The derived email of user `id`; it embeds the id so a lookup by email needs no index.
pub fn email(seed: u64, id: u64) -> String {
    Text::Email { seed, id }.to_string()
}

/// The user id a derived email names, if `email` has the derived shape; the caller still
/// compares the whole address.
pub fn id_in_email(email: &str) -> Option<u64> {
    let local = email.split('@').next()?;
    local.rsplit('.').next()?.parse().ok()
}

/// The derived birthday of user `id`, in seconds at midnight UTC (1950 to 2005).
pub fn birthday(seed: u64, id: u64) -> i64 {
    let base = -631_152_000; // 1950-01-01
    let days = mix(seed, id, 8) % (55 * 365);
    base + days as i64 * 86_400
}

/// A city for generated places (projects, organisations).
pub fn city(seed: u64, id: u64, salt: u64) -> (&'static str, &'static str, u32) {
    CITIES[(mix(seed, id, salt) % CITIES.len() as u64) as usize]
}

/// A street name and kind for generated places.
pub fn street(seed: u64, id: u64, salt: u64) -> (&'static str, &'static str) {
    (pick(STREETS, seed, id, salt), pick(STREET_KINDS, seed, id, salt + 1))
}

/// Forty lower-case hex characters derived from the seed: a customer's API token.
pub fn token(seed: u64, org: u64) -> String {
    let parts = [1, 2, 3].map(|salt| mix(seed ^ 0x746f_6b65_6e00, org, salt));
    format!("{:016x}{:016x}{:08x}", parts[0], parts[1], parts[2] >> 32)
}

/// A UUID-looking string derived from the seed, for form slugs.
pub fn uuid(seed: u64, id: u64, salt: u64) -> String {
    let a = mix(seed, id, salt);
    let b = mix(seed, id, salt + 1);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_email_carries_its_id() {
        let email = email(7, 12_345);
        assert_eq!(id_in_email(&email), Some(12_345));
        assert!(email.contains('@'));
    }

    #[test]
    fn tokens_are_forty_hex_and_seed_dependent() {
        let a = token(1, 1);
        assert_eq!(a.len(), 40);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a, token(1, 1));
        assert_ne!(a, token(2, 1));
        assert_ne!(a, token(1, 2));
    }
}

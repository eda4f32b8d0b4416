//! SLIP-39 shares: a secret split among people, any K of N recover it.
//!
//! Implements SatoshiLabs' SLIP-0039 ("Shamir's Secret-Sharing for Mnemonic
//! Codes", satoshilabs/slips, slip-0039.md) exactly, so a share made here is
//! readable by the reference implementation (PyPI `shamir-mnemonic`) and by
//! hardware wallets that speak SLIP-39, and the other way round:
//!
//! - the secret is first encrypted with a 4-round Feistel cipher whose round
//!   function is PBKDF2-HMAC-SHA256 (`(10000 << e) / 4` iterations each),
//! - then split with Shamir's scheme over GF(256) (Rijndael's polynomial
//!   `x^8 + x^4 + x^3 + x + 1`), the digest share at x = 254 and the secret at
//!   x = 255,
//! - and each share is written as words of a 1024-word list (10 bits a word)
//!   with an RS1024 checksum (customization string `shamir`, or
//!   `shamir_extendable` when the extendable flag is set).
//!
//! [`split`] writes one group (group threshold 1) of N members, K of which
//! recover the secret, with the extendable flag set as the reference 0.3.0 does
//! by default. [`combine`] also reads shares of several groups, so a split made
//! elsewhere can be imported.

use std::fmt;

use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The 1024 words, one a line, sorted; the list of the SLIP-0039
/// specification (copied from `shamir_mnemonic/wordlist.txt` of
/// trezor/python-shamir-mnemonic, identical to the specification's).
const WORDLIST: &str = include_str!("slip39_words.txt");

/// Bits a word carries.
const RADIX_BITS: usize = 10;
/// Words in the list.
const RADIX: usize = 1 << RADIX_BITS;
/// Words of identifier (15 bits), extendable flag (1) and iteration exponent (4).
const ID_EXP_WORDS: usize = 2;
/// Words of group index, group threshold, group count, member index and
/// member threshold (4 bits each).
const PARAMS_WORDS: usize = 2;
/// Words of the RS1024 checksum.
const CHECKSUM_WORDS: usize = 3;
/// Words of a share besides its value.
const METADATA_WORDS: usize = ID_EXP_WORDS + PARAMS_WORDS + CHECKSUM_WORDS;
/// The shortest secret: 128 bits.
const MIN_SECRET_BYTES: usize = 16;
/// The longest secret this implementation reads or writes (512 bits; the
/// specification sets no bound, every known use is 128 or 256 bits). Bounds
/// the work an untrusted share can ask for.
pub const MAX_SECRET_BYTES: usize = 64;
/// Most words a share can have (a share of a [`MAX_SECRET_BYTES`] secret).
const MAX_WORDS: usize = METADATA_WORDS + (MAX_SECRET_BYTES * 8).div_ceil(RADIX_BITS);
/// Fewest words a share can have (a share of a 128-bit secret).
const MIN_WORDS: usize = METADATA_WORDS + (MIN_SECRET_BYTES * 8).div_ceil(RADIX_BITS);
/// Longest text [`Share::parse`] looks at; longer text is refused unread.
const MAX_TEXT: usize = 4096;
/// Most members of a group, and most groups.
pub const MAX_SHARE_COUNT: u8 = 16;
/// Largest iteration exponent (4 bits).
pub const MAX_ITERATION_EXPONENT: u8 = 15;
/// The iteration exponent nascfg writes: the reference's default, 20,000
/// PBKDF2 iterations in all.
pub const DEFAULT_ITERATION_EXPONENT: u8 = 1;
/// PBKDF2 iterations for exponent 0, split over the rounds.
const BASE_ITERATION_COUNT: u32 = 10_000;
/// Rounds of the Feistel cipher.
const ROUND_COUNT: u8 = 4;
/// Bytes of the digest in the digest share.
const DIGEST_BYTES: usize = 4;
/// x-coordinate of the digest share.
const DIGEST_INDEX: u8 = 254;
/// x-coordinate of the shared secret.
const SECRET_INDEX: u8 = 255;
/// RS1024 customization string (and PBKDF2 salt prefix) without the
/// extendable flag.
const CUSTOMIZATION: &[u8] = b"shamir";
/// RS1024 customization string with the extendable flag.
const CUSTOMIZATION_EXTENDABLE: &[u8] = b"shamir_extendable";

const fn count_lines(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut lines = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            lines += 1;
        }
        i += 1;
    }
    lines
}
const _: () = assert!(
    count_lines(WORDLIST) == RADIX,
    "the SLIP-39 word list has 1024 lines"
);

/// The word list as a slice, split once.
fn words() -> &'static [&'static str; RADIX] {
    static WORDS: std::sync::OnceLock<[&str; RADIX]> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        let mut out = [""; RADIX];
        for (slot, word) in out.iter_mut().zip(WORDLIST.lines()) {
            *slot = word;
        }
        out
    })
}

/// The index of a word (any letter case), by binary search of the sorted list.
fn word_index(word: &str) -> Option<u16> {
    if word.len() > 8 || !word.is_ascii() {
        return None;
    }
    let lower = Zeroizing::new(word.to_ascii_lowercase());
    words()
        .binary_search(&lower.as_str())
        .ok()
        .map(|i| u16::try_from(i).expect("the list has 1024 words"))
}

/// Everything that can go wrong reading, combining or making shares.
///
/// Kept apart from [`crate::Error`]: a share's failures are their own family
/// (named by share number and word position, for the CLI to map to a file),
/// and no other path of this crate produces them. No variant carries a word
/// or a byte of a share: a share is secret, so only positions and counts are
/// named. Every variant has its guidance in [`SharesError::hint`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SharesError {
    /// A word is not in the SLIP-39 word list.
    #[error("word {position} is not a SLIP-39 share word")]
    UnknownWord {
        /// 1-based position of the word in the share.
        position: usize,
    },
    /// The share has a number of words no SLIP-39 share has.
    #[error(
        "a SLIP-39 share has 20 or 33 words (or another length of the specification), but this one has {words}"
    )]
    WordCount {
        /// Words found (counting stops a little past the largest share).
        words: usize,
    },
    /// The RS1024 checksum does not match.
    #[error("the share's checksum does not match: a word is mistyped, missing or out of order")]
    Checksum,
    /// The value's padding bits are not zero.
    #[error("the share's padding bits are not zero: a word is mistyped")]
    Padding,
    /// The share's parameters are impossible (group threshold above the
    /// group count, a member threshold of 1 with several members, ...).
    #[error("the share's parameters are impossible: {0}")]
    Parameters(&'static str),
    /// No share was given.
    #[error("no share given")]
    NoShares,
    /// Two shares come from different splits, or disagree about the split.
    #[error("share {share} is not from the same split as share {first}: its {what} differs")]
    DifferentSplit {
        /// 1-based number of the first share.
        first: usize,
        /// 1-based number of the share that differs.
        share: usize,
        /// What differs: "identifier", "iteration exponent", ...
        what: &'static str,
    },
    /// Two shares have the same member index in the same group.
    #[error("shares {first} and {share} are the same share (member {member})")]
    DuplicateMember {
        /// 1-based number of the first of them.
        first: usize,
        /// 1-based number of the second.
        share: usize,
        /// Their member index, 1-based as people count.
        member: u8,
    },
    /// Fewer shares than the threshold.
    #[error(
        "{given} of the {threshold} shares needed{}: {} more needed",
        group_note(*group),
        threshold - given
    )]
    TooFewShares {
        /// Shares given (of that group).
        given: u8,
        /// Shares needed.
        threshold: u8,
        /// For a split with several groups, the group (1-based) that lacks shares.
        group: Option<u8>,
    },
    /// Fewer complete groups than the group threshold.
    #[error("{given} of the {threshold} groups needed are complete: {} more needed", threshold - given)]
    TooFewGroups {
        /// Complete groups given.
        given: u8,
        /// Groups needed.
        threshold: u8,
    },
    /// The shares' digest does not match: they do not fit together.
    #[error("the shares do not fit together (their digest does not match)")]
    Digest,
    /// A share beyond the threshold does not lie on the others' polynomial.
    #[error("share {share} does not fit the others")]
    Inconsistent {
        /// 1-based number of the share.
        share: usize,
    },
    /// A secret or passphrase [`split`] cannot write.
    #[error("cannot split: {0}")]
    Split(&'static str),
}

fn group_note(group: Option<u8>) -> String {
    group.map_or_else(String::new, |g| format!(" in group {g}"))
}

impl SharesError {
    /// What the user can do next, for a `hint:` line.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            SharesError::UnknownWord { .. } => {
                "check the spelling of that word against the written share (all words are 4 to 8 \
                 letters, from the SLIP-39 list)"
            }
            SharesError::WordCount { .. } => {
                "copy the share again: all its words, on one line, nothing else"
            }
            SharesError::Checksum | SharesError::Padding => {
                "a word is mistyped or two are swapped; compare each word with the written share"
            }
            SharesError::Parameters(_) => "this is not an intact SLIP-39 share; use another copy",
            SharesError::NoShares => "give at least as many shares as the split's threshold",
            SharesError::DifferentSplit { .. } => {
                "give only shares of one split (made together, from the same secret); leave that \
                 share out"
            }
            SharesError::DuplicateMember { .. } => "give each share once; leave the copy out",
            SharesError::TooFewShares { .. } | SharesError::TooFewGroups { .. } => {
                "give more shares of the same split"
            }
            SharesError::Digest => {
                "one of the shares is damaged or from another split made with the same identifier; \
                 try another combination of shares"
            }
            SharesError::Inconsistent { .. } => {
                "that share is damaged or from another split; leave it out"
            }
            SharesError::Split(_) => {
                "split a secret of 16 to 64 bytes (an even number) into 1 to 16 shares"
            }
        })
    }
}

/// One SLIP-39 share: its parameters and its value.
///
/// The value is secret and zeroized on drop; `Debug` shows only the public
/// parameters. The words leave only through [`Share::to_words`].
#[derive(Clone)]
pub struct Share {
    identifier: u16,
    extendable: bool,
    iteration_exponent: u8,
    group_index: u8,
    group_threshold: u8,
    group_count: u8,
    member_index: u8,
    member_threshold: u8,
    value: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Share")
            .field("identifier", &self.identifier)
            .field("extendable", &self.extendable)
            .field("iteration_exponent", &self.iteration_exponent)
            .field("group", &(self.group_index + 1))
            .field("group_threshold", &self.group_threshold)
            .field("group_count", &self.group_count)
            .field("member", &self.member())
            .field("member_threshold", &self.member_threshold)
            .field("value", &"<redacted>")
            .finish()
    }
}

impl Share {
    /// The split's random 15-bit identifier: shares of one split have the same.
    pub fn identifier(&self) -> u16 {
        self.identifier
    }

    /// Whether the extendable-backup flag is set (the salt then omits the identifier).
    pub fn extendable(&self) -> bool {
        self.extendable
    }

    /// The iteration exponent `e`: PBKDF2 runs `10000 << e` iterations in all.
    pub fn iteration_exponent(&self) -> u8 {
        self.iteration_exponent
    }

    /// This share's number in its group, 1-based (the specification's member
    /// index plus one).
    pub fn member(&self) -> u8 {
        self.member_index + 1
    }

    /// Shares of this group needed to recover (K).
    pub fn member_threshold(&self) -> u8 {
        self.member_threshold
    }

    /// Groups in the split; nascfg's splits have one.
    pub fn group_count(&self) -> u8 {
        self.group_count
    }

    /// Groups needed to recover; 1 for nascfg's splits.
    pub fn group_threshold(&self) -> u8 {
        self.group_threshold
    }

    /// The share as words, separated by single spaces. Secret: zeroized on drop.
    pub fn to_words(&self) -> Zeroizing<String> {
        let value_words = (self.value.len() * 8).div_ceil(RADIX_BITS);
        let mut data = Zeroizing::new(Vec::with_capacity(METADATA_WORDS + value_words));
        let id_exp = (u32::from(self.identifier) << 5)
            | (u32::from(self.extendable) << 4)
            | u32::from(self.iteration_exponent);
        push_int(&mut data, u64::from(id_exp), ID_EXP_WORDS);
        let params = (u32::from(self.group_index) << 16)
            | (u32::from(self.group_threshold - 1) << 12)
            | (u32::from(self.group_count - 1) << 8)
            | (u32::from(self.member_index) << 4)
            | u32::from(self.member_threshold - 1);
        push_int(&mut data, u64::from(params), PARAMS_WORDS);
        // The value as a big-endian number of `value_words` words: the
        // padding bits are the leading zeros.
        let padding = value_words * RADIX_BITS - self.value.len() * 8;
        let mut acc: u32 = 0;
        let mut bits = padding;
        for &byte in self.value.iter() {
            acc = (acc << 8) | u32::from(byte);
            bits += 8;
            while bits >= RADIX_BITS {
                bits -= RADIX_BITS;
                data.push(((acc >> bits) & 0x3ff) as u16);
            }
            acc &= (1 << bits) - 1;
        }
        let checksum = rs1024_create(&data, customization(self.extendable));
        data.extend_from_slice(&checksum);
        let words = words();
        let mut out = Zeroizing::new(String::with_capacity(data.len() * 9));
        for (i, &index) in data.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(words[usize::from(index)]);
        }
        out
    }

    /// Reads a share from its words: separated by any whitespace, any letter
    /// case. Checks the words, their count, the checksum and the padding.
    pub fn parse(text: &str) -> Result<Share, SharesError> {
        if text.len() > MAX_TEXT {
            return Err(SharesError::WordCount {
                words: text.split_whitespace().take(MAX_WORDS + 1).count(),
            });
        }
        let mut data = Zeroizing::new(Vec::with_capacity(MAX_WORDS));
        for (i, word) in text.split_whitespace().enumerate() {
            if i >= MAX_WORDS {
                return Err(SharesError::WordCount { words: i + 1 });
            }
            let index = word_index(word).ok_or(SharesError::UnknownWord { position: i + 1 })?;
            data.push(index);
        }
        let n = data.len();
        if n < MIN_WORDS {
            return Err(SharesError::WordCount { words: n });
        }
        let value_words = n - METADATA_WORDS;
        let padding = (RADIX_BITS * value_words) % 16;
        if padding > 8 {
            return Err(SharesError::WordCount { words: n });
        }
        let id_exp = read_int(&data[..ID_EXP_WORDS]);
        let identifier = u16::try_from(id_exp >> 5).expect("20 bits shifted by 5 fit in 15");
        let extendable = (id_exp >> 4) & 1 == 1;
        let iteration_exponent = (id_exp & 0xf) as u8;
        if !rs1024_verify(&data, customization(extendable)) {
            return Err(SharesError::Checksum);
        }
        let params = read_int(&data[ID_EXP_WORDS..ID_EXP_WORDS + PARAMS_WORDS]);
        let nibble = |shift: u32| ((params >> shift) & 0xf) as u8;
        let share = Share {
            identifier,
            extendable,
            iteration_exponent,
            group_index: nibble(16),
            group_threshold: nibble(12) + 1,
            group_count: nibble(8) + 1,
            member_index: nibble(4),
            member_threshold: nibble(0) + 1,
            value: Zeroizing::new(Vec::new()),
        };
        if share.group_threshold > share.group_count {
            return Err(SharesError::Parameters(
                "its group threshold is greater than its group count",
            ));
        }
        let value_data = &data[ID_EXP_WORDS + PARAMS_WORDS..n - CHECKSUM_WORDS];
        let mut value = Zeroizing::new(Vec::with_capacity(MAX_SECRET_BYTES));
        let mut acc: u32 = 0;
        let mut bits: usize = 0;
        let mut skip = padding;
        for &word in value_data {
            acc = (acc << RADIX_BITS) | u32::from(word);
            bits += RADIX_BITS;
            if skip > 0 {
                bits -= skip;
                if acc >> bits != 0 {
                    return Err(SharesError::Padding);
                }
                skip = 0;
            }
            while bits >= 8 {
                bits -= 8;
                value.push((acc >> bits) as u8);
            }
            acc &= (1 << bits) - 1;
        }
        Ok(Share { value, ..share })
    }
}

fn customization(extendable: bool) -> &'static [u8] {
    if extendable {
        CUSTOMIZATION_EXTENDABLE
    } else {
        CUSTOMIZATION
    }
}

/// Appends `value` as `count` big-endian 10-bit words.
fn push_int(out: &mut Vec<u16>, value: u64, count: usize) {
    for i in (0..count).rev() {
        out.push(((value >> (i * RADIX_BITS)) & 0x3ff) as u16);
    }
}

/// Reads big-endian 10-bit words as a number (at most 2 words here).
fn read_int(words: &[u16]) -> u32 {
    words
        .iter()
        .fold(0, |acc, &w| (acc << RADIX_BITS) | u32::from(w))
}

/// RS1024's polynomial remainder, SLIP-0039 "Checksum".
fn rs1024_polymod(values: impl IntoIterator<Item = u32>) -> u32 {
    const GEN: [u32; 10] = [
        0xE0E040, 0x1C1C080, 0x3838100, 0x7070200, 0xE0E0009, 0x1C0C2412, 0x38086C24, 0x3090FC48,
        0x21B1F890, 0x3F3F120,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let b = chk >> 20;
        chk = ((chk & 0xFFFFF) << 10) ^ v;
        for (i, g) in GEN.iter().enumerate() {
            if (b >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn rs1024_values<'a>(customization: &'a [u8], data: &'a [u16]) -> impl Iterator<Item = u32> + 'a {
    customization
        .iter()
        .map(|&c| u32::from(c))
        .chain(data.iter().map(|&w| u32::from(w)))
}

fn rs1024_create(data: &[u16], customization: &[u8]) -> [u16; CHECKSUM_WORDS] {
    let polymod = rs1024_polymod(rs1024_values(customization, data).chain([0; CHECKSUM_WORDS])) ^ 1;
    [2, 1, 0].map(|i| ((polymod >> (10 * i)) & 0x3ff) as u16)
}

fn rs1024_verify(data: &[u16], customization: &[u8]) -> bool {
    rs1024_polymod(rs1024_values(customization, data)) == 1
}

/// Multiplication in GF(256) modulo Rijndael's `x^8 + x^4 + x^3 + x + 1`,
/// without branches or tables that depend on the (secret) operands.
fn gf_mul(a: u8, b: u8) -> u8 {
    let mut a = a;
    let mut b = b;
    let mut product = 0u8;
    for _ in 0..8 {
        product ^= a & 0u8.wrapping_sub(b & 1);
        let carry = 0u8.wrapping_sub(a >> 7);
        a = (a << 1) ^ (0x1b & carry);
        b >>= 1;
    }
    product
}

/// The inverse in GF(256) (`a^254`); only for the public x-coordinates.
fn gf_inv(a: u8) -> u8 {
    let mut result = 1u8;
    let mut base = a;
    let mut exp = 254u8;
    while exp > 0 {
        if exp & 1 == 1 {
            result = gf_mul(result, base);
        }
        base = gf_mul(base, base);
        exp >>= 1;
    }
    result
}

/// Lagrange interpolation: the value at `x` of the polynomials through the
/// points. The x-coordinates must be distinct and the values of equal length
/// (checked by the callers).
fn interpolate(points: &[(u8, &[u8])], x: u8) -> Zeroizing<Vec<u8>> {
    if let Some((_, y)) = points.iter().find(|(xi, _)| *xi == x) {
        return Zeroizing::new(y.to_vec());
    }
    let len = points.first().map_or(0, |(_, y)| y.len());
    let mut result = Zeroizing::new(vec![0u8; len]);
    for (i, (xi, yi)) in points.iter().enumerate() {
        // The Lagrange basis polynomial of point i evaluated at x:
        // prod over j != i of (x - xj) / (xi - xj); subtraction is xor.
        let mut num = 1u8;
        let mut den = 1u8;
        for (j, (xj, _)) in points.iter().enumerate() {
            if i != j {
                num = gf_mul(num, x ^ xj);
                den = gf_mul(den, xi ^ xj);
            }
        }
        let basis = gf_mul(num, gf_inv(den));
        for (r, &y) in result.iter_mut().zip(yi.iter()) {
            *r ^= gf_mul(basis, y);
        }
    }
    result
}

fn digest(random_part: &[u8], secret: &[u8]) -> [u8; DIGEST_BYTES] {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(random_part).expect("HMAC takes keys of any length");
    mac.update(secret);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; DIGEST_BYTES];
    out.copy_from_slice(&full[..DIGEST_BYTES]);
    out
}

/// Shamir's split of one secret into `count` values (x = 0 .. count-1),
/// SLIP-0039 "Sharing a secret".
fn split_secret(threshold: u8, count: u8, secret: &[u8]) -> Vec<(u8, Zeroizing<Vec<u8>>)> {
    if threshold == 1 {
        return (0..count)
            .map(|i| (i, Zeroizing::new(secret.to_vec())))
            .collect();
    }
    let random_count = threshold - 2;
    let mut out: Vec<(u8, Zeroizing<Vec<u8>>)> = (0..random_count)
        .map(|i| {
            let mut value = Zeroizing::new(vec![0u8; secret.len()]);
            OsRng.fill_bytes(&mut value);
            (i, value)
        })
        .collect();
    let mut digest_share = Zeroizing::new(vec![0u8; secret.len()]);
    OsRng.fill_bytes(&mut digest_share[DIGEST_BYTES..]);
    let d = digest(&digest_share[DIGEST_BYTES..], secret);
    digest_share[..DIGEST_BYTES].copy_from_slice(&d);
    let mut base: Vec<(u8, &[u8])> = out.iter().map(|(x, v)| (*x, v.as_slice())).collect();
    base.push((DIGEST_INDEX, &digest_share));
    base.push((SECRET_INDEX, secret));
    let rest: Vec<_> = (random_count..count)
        .map(|x| (x, interpolate(&base, x)))
        .collect();
    out.extend(rest);
    out
}

/// Recovers a secret from exactly `threshold` distinct points and checks its digest.
fn recover_secret(
    threshold: u8,
    points: &[(u8, &[u8])],
) -> Result<Zeroizing<Vec<u8>>, SharesError> {
    if threshold == 1 {
        return Ok(Zeroizing::new(points[0].1.to_vec()));
    }
    let secret = interpolate(points, SECRET_INDEX);
    let digest_share = interpolate(points, DIGEST_INDEX);
    let expected = digest(&digest_share[DIGEST_BYTES..], &secret);
    let diff = expected
        .iter()
        .zip(&digest_share[..DIGEST_BYTES])
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if diff != 0 {
        return Err(SharesError::Digest);
    }
    Ok(secret)
}

/// The Feistel cipher's round function: PBKDF2-HMAC-SHA256 with password
/// `i || passphrase` and salt `salt || r`.
fn round_function(i: u8, passphrase: &[u8], e: u8, salt: &[u8], r: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut password = Zeroizing::new(Vec::with_capacity(1 + passphrase.len()));
    password.push(i);
    password.extend_from_slice(passphrase);
    let mut full_salt = Zeroizing::new(Vec::with_capacity(salt.len() + r.len()));
    full_salt.extend_from_slice(salt);
    full_salt.extend_from_slice(r);
    let mut out = Zeroizing::new(vec![0u8; r.len()]);
    let iterations = (BASE_ITERATION_COUNT << e) / u32::from(ROUND_COUNT);
    pbkdf2::pbkdf2_hmac::<Sha256>(&password, &full_salt, iterations, &mut out);
    out
}

fn salt(identifier: u16, extendable: bool) -> Vec<u8> {
    if extendable {
        Vec::new()
    } else {
        let mut salt = CUSTOMIZATION.to_vec();
        salt.extend_from_slice(&identifier.to_be_bytes());
        salt
    }
}

/// Which way the Feistel cipher runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Encrypt,
    Decrypt,
}

/// SLIP-0039 "Encryption of the master secret": 4 Feistel rounds, rounds
/// 0..4 to encrypt, 3..=0 to decrypt.
fn feistel(
    input: &[u8],
    passphrase: &[u8],
    e: u8,
    identifier: u16,
    extendable: bool,
    direction: Direction,
) -> Zeroizing<Vec<u8>> {
    let half = input.len() / 2;
    let mut l = Zeroizing::new(input[..half].to_vec());
    let mut r = Zeroizing::new(input[half..].to_vec());
    let salt = salt(identifier, extendable);
    for step in 0..ROUND_COUNT {
        let i = match direction {
            Direction::Encrypt => step,
            Direction::Decrypt => ROUND_COUNT - 1 - step,
        };
        let f = round_function(i, passphrase, e, &salt, &r);
        let mut new_r = Zeroizing::new(l.iter().zip(f.iter()).map(|(a, b)| a ^ b).collect());
        std::mem::swap(&mut l, &mut r);
        std::mem::swap(&mut r, &mut new_r);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(input.len()));
    out.extend_from_slice(&r);
    out.extend_from_slice(&l);
    out
}

/// Splits `secret` into `count` shares of one group, any `threshold` of which
/// recover it; the passphrase (printable ASCII; nascfg uses none, `b""`)
/// is needed again to recover. Writes the extendable flag, as the reference
/// implementation does by default.
///
/// The secret is 16 to 64 bytes, an even number; `1 <= threshold <= count <=
/// 16`, and a threshold of 1 only with a single share (the specification's
/// rule: K = 1 of N > 1 would be N copies of the same secret).
pub fn split(
    secret: &[u8],
    threshold: u8,
    count: u8,
    passphrase: &[u8],
    iteration_exponent: u8,
) -> Result<Vec<Share>, SharesError> {
    if secret.len() < MIN_SECRET_BYTES || secret.len() > MAX_SECRET_BYTES {
        return Err(SharesError::Split("the secret must be 16 to 64 bytes long"));
    }
    if !secret.len().is_multiple_of(2) {
        return Err(SharesError::Split(
            "the secret must be an even number of bytes long",
        ));
    }
    if threshold == 0 || threshold > count {
        return Err(SharesError::Split(
            "the threshold must be at least 1 and at most the number of shares",
        ));
    }
    if count > MAX_SHARE_COUNT {
        return Err(SharesError::Split("at most 16 shares"));
    }
    if threshold == 1 && count > 1 {
        return Err(SharesError::Split(
            "a threshold of 1 is allowed only with a single share",
        ));
    }
    if iteration_exponent > MAX_ITERATION_EXPONENT {
        return Err(SharesError::Split("the iteration exponent is at most 15"));
    }
    if !passphrase.iter().all(|c| (32..=126).contains(c)) {
        return Err(SharesError::Split("the passphrase must be printable ASCII"));
    }
    let mut id = [0u8; 2];
    OsRng.fill_bytes(&mut id);
    let identifier = u16::from_be_bytes(id) & 0x7fff;
    let extendable = true;
    let encrypted = feistel(
        secret,
        passphrase,
        iteration_exponent,
        identifier,
        extendable,
        Direction::Encrypt,
    );
    // One group, group threshold 1: the group's secret is the encrypted secret.
    let members = split_secret(threshold, count, &encrypted);
    Ok(members
        .into_iter()
        .map(|(member_index, value)| Share {
            identifier,
            extendable,
            iteration_exponent,
            group_index: 0,
            group_threshold: 1,
            group_count: 1,
            member_index,
            member_threshold: threshold,
            value,
        })
        .collect())
}

/// Combines shares into the secret, with the passphrase they were made with
/// (nascfg's: `b""`). Reads splits of one group (nascfg's) and of several
/// groups (made by other SLIP-39 tools).
///
/// Every share must come from the same split; errors name shares by their
/// 1-based position in `shares`. More shares than needed are allowed: the
/// extra ones are checked against the others. A wrong passphrase is not
/// detected (SLIP-39 has no check for it: it yields another secret), so the
/// caller compares the result with what it expects (a seed's fingerprint).
pub fn combine(shares: &[Share], passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>, SharesError> {
    let first = shares.first().ok_or(SharesError::NoShares)?;
    for (n, share) in shares.iter().enumerate().skip(1) {
        let what = if share.identifier != first.identifier {
            Some("identifier")
        } else if share.extendable != first.extendable {
            Some("extendable flag")
        } else if share.iteration_exponent != first.iteration_exponent {
            Some("iteration exponent")
        } else if share.group_threshold != first.group_threshold {
            Some("group threshold")
        } else if share.group_count != first.group_count {
            Some("group count")
        } else if share.value.len() != first.value.len() {
            Some("length")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(SharesError::DifferentSplit {
                first: 1,
                share: n + 1,
                what,
            });
        }
    }
    if !first.value.len().is_multiple_of(2) {
        return Err(SharesError::Parameters(
            "its value is an odd number of bytes long",
        ));
    }
    // Group the shares (their positions) by group index, in order of first appearance.
    let mut groups: Vec<(u8, Vec<usize>)> = Vec::new();
    for (n, share) in shares.iter().enumerate() {
        match groups.iter_mut().find(|(g, _)| *g == share.group_index) {
            Some((_, members)) => {
                let lead = &shares[members[0]];
                if share.member_threshold != lead.member_threshold {
                    return Err(SharesError::DifferentSplit {
                        first: members[0] + 1,
                        share: n + 1,
                        what: "member threshold",
                    });
                }
                if let Some(&dup) = members
                    .iter()
                    .find(|&&m| shares[m].member_index == share.member_index)
                {
                    return Err(SharesError::DuplicateMember {
                        first: dup + 1,
                        share: n + 1,
                        member: share.member(),
                    });
                }
                members.push(n);
            }
            None => groups.push((share.group_index, vec![n])),
        }
    }
    let single_group = first.group_count == 1;
    let mut group_secrets: Vec<(u8, Zeroizing<Vec<u8>>)> = Vec::new();
    for (group_index, members) in &groups {
        let threshold = shares[members[0]].member_threshold;
        let given = u8::try_from(members.len()).expect("at most 16 distinct member indices");
        if given < threshold {
            return Err(SharesError::TooFewShares {
                given,
                threshold,
                group: (!single_group).then_some(group_index + 1),
            });
        }
        let points: Vec<(u8, &[u8])> = members
            .iter()
            .map(|&m| (shares[m].member_index, shares[m].value.as_slice()))
            .collect();
        let (used, extra) = points.split_at(usize::from(threshold));
        let secret = recover_secret(threshold, used)?;
        check_extra(used, extra, members, threshold, &secret)?;
        group_secrets.push((*group_index, secret));
    }
    let group_threshold = first.group_threshold;
    let given = u8::try_from(group_secrets.len()).expect("at most 16 distinct group indices");
    if given < group_threshold {
        return Err(SharesError::TooFewGroups {
            given,
            threshold: group_threshold,
        });
    }
    let points: Vec<(u8, &[u8])> = group_secrets
        .iter()
        .map(|(g, s)| (*g, s.as_slice()))
        .collect();
    let (used, extra) = points.split_at(usize::from(group_threshold));
    let encrypted = recover_secret(group_threshold, used)?;
    let group_leads: Vec<usize> = groups.iter().map(|(_, members)| members[0]).collect();
    check_extra(used, extra, &group_leads, group_threshold, &encrypted)?;
    Ok(feistel(
        &encrypted,
        passphrase,
        first.iteration_exponent,
        first.identifier,
        first.extendable,
        Direction::Decrypt,
    ))
}

/// Checks that the points beyond the threshold lie on the polynomial of the
/// used ones (for a threshold of 1, that they carry the same value).
fn check_extra(
    used: &[(u8, &[u8])],
    extra: &[(u8, &[u8])],
    positions: &[usize],
    threshold: u8,
    secret: &[u8],
) -> Result<(), SharesError> {
    for (k, (x, y)) in extra.iter().enumerate() {
        let expected = if threshold == 1 {
            Zeroizing::new(secret.to_vec())
        } else {
            interpolate(used, *x)
        };
        let diff = expected
            .iter()
            .zip(y.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff != 0 {
            return Err(SharesError::Inconsistent {
                share: positions[used.len() + k] + 1,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_list_is_the_specifications() {
        let words = words();
        assert_eq!(WORDLIST.lines().count(), RADIX);
        for pair in words.windows(2) {
            assert!(pair[0] < pair[1], "sorted and unique: {pair:?}");
        }
        let mut prefixes: Vec<&str> = words.iter().map(|w| &w[..4]).collect();
        prefixes.dedup();
        assert_eq!(
            prefixes.len(),
            RADIX,
            "the first four letters tell words apart"
        );
        for w in words {
            assert!((4..=8).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_lowercase()));
        }
        assert_eq!(words[0], "academic");
        assert_eq!(words[RADIX - 1], "zero");
    }

    #[test]
    fn gf_arithmetic() {
        // Rijndael: {57} x {83} = {c1} (FIPS-197, 4.2).
        assert_eq!(gf_mul(0x57, 0x83), 0xc1);
        for a in 1..=255u8 {
            assert_eq!(gf_mul(a, gf_inv(a)), 1);
        }
    }
}

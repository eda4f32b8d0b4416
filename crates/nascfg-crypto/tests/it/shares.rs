//! SLIP-39 shares: every vector of the specification's test-vector file
//! (tests/data/slip39-vectors.json, see tests/data/README.md), round trips,
//! and each refusal.

use nascfg_crypto::{Share, SharesError, combine, split};
use serde_json::Value;

/// The vectors' passphrase.
const TREZOR: &[u8] = b"TREZOR";

/// A short name of an error, for the table of expected refusals.
fn kind(err: &SharesError) -> String {
    match err {
        SharesError::UnknownWord { position } => format!("UnknownWord {position}"),
        SharesError::WordCount { words } => format!("WordCount {words}"),
        SharesError::Checksum => "Checksum".into(),
        SharesError::Padding => "Padding".into(),
        SharesError::Parameters(_) => "Parameters".into(),
        SharesError::NoShares => "NoShares".into(),
        SharesError::DifferentSplit { share, what, .. } => format!("DifferentSplit {share} {what}"),
        SharesError::DuplicateMember { share, .. } => format!("DuplicateMember {share}"),
        SharesError::TooFewShares {
            given, threshold, ..
        } => {
            format!("TooFewShares {given}/{threshold}")
        }
        SharesError::TooFewGroups { given, threshold } => {
            format!("TooFewGroups {given}/{threshold}")
        }
        SharesError::Digest => "Digest".into(),
        SharesError::Inconsistent { share } => format!("Inconsistent {share}"),
        SharesError::Split(_) => "Split".into(),
    }
}

fn parse_and_combine(mnemonics: &[&str], passphrase: &[u8]) -> Result<Vec<u8>, SharesError> {
    let shares = mnemonics
        .iter()
        .map(|m| Share::parse(m))
        .collect::<Result<Vec<_>, _>>()?;
    combine(&shares, passphrase).map(|s| s.to_vec())
}

/// The refusal each invalid vector must get, by its number in the file.
/// The 128-bit and 256-bit halves (2..16, 21..35) test the same things.
fn expected_refusal(number: usize) -> &'static str {
    let n = if (21..=35).contains(&number) {
        number - 19
    } else {
        number
    };
    match n {
        2 => "Checksum",
        3 => "Padding",
        5 => "TooFewShares 1/2",
        6 => "DifferentSplit 2 identifier",
        7 => "DifferentSplit 2 iteration exponent",
        8 => "DifferentSplit 3 group threshold",
        9 => "DifferentSplit 2 group count",
        10 => "Parameters",
        11 => "DuplicateMember 2",
        12 => "DifferentSplit 2 member threshold",
        13 => "Digest",
        14 => "TooFewGroups 1/2",
        15 => "TooFewGroups 1/2",
        16 => "TooFewShares 1/2",
        39 => "WordCount 19",
        40 => "WordCount 21",
        _ => panic!("vector {number} is not in the table of refusals"),
    }
}

#[test]
fn specification_vectors() {
    let text = include_str!("../data/slip39-vectors.json");
    let vectors: Value = serde_json::from_str(text).unwrap();
    let vectors = vectors.as_array().unwrap();
    assert_eq!(
        vectors.len(),
        45,
        "the file of python-shamir-mnemonic 0.3.0"
    );
    let (mut valid, mut invalid) = (0, 0);
    for vector in vectors {
        let description = vector[0].as_str().unwrap();
        let number: usize = description.split('.').next().unwrap().parse().unwrap();
        let mnemonics: Vec<&str> = vector[1]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        let secret = vector[2].as_str().unwrap();
        let result = parse_and_combine(&mnemonics, TREZOR);
        if secret.is_empty() {
            invalid += 1;
            let err = result.expect_err(description);
            assert_eq!(kind(&err), expected_refusal(number), "{description}");
            assert!(err.hint().is_some());
        } else {
            valid += 1;
            assert_eq!(
                hex::encode(result.expect(description)),
                secret,
                "{description}"
            );
            // Our writer gives back exactly the words we read.
            for m in &mnemonics {
                assert_eq!(Share::parse(m).unwrap().to_words().as_str(), *m);
            }
        }
    }
    assert_eq!((valid, invalid), (15, 30));
}

#[test]
fn split_then_combine() {
    // (secret length, K, N, passphrase)
    let cases: &[(usize, u8, u8, &[u8])] = &[
        (32, 3, 5, b""),
        (32, 2, 3, b""),
        (32, 1, 1, b""),
        (16, 2, 2, b"TREZOR"),
        (64, 16, 16, b""),
        (18, 4, 7, b" ~"),
    ];
    for &(len, k, n, passphrase) in cases {
        let secret: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
        let shares = split(&secret, k, n, passphrase, 0).unwrap();
        assert_eq!(shares.len(), usize::from(n));
        let words: Vec<String> = shares.iter().map(|s| s.to_words().to_string()).collect();
        let parsed: Vec<Share> = words.iter().map(|w| Share::parse(w).unwrap()).collect();
        for share in &parsed {
            assert!(share.extendable(), "written like the reference's default");
            assert_eq!(share.member_threshold(), k);
            assert_eq!((share.group_threshold(), share.group_count()), (1, 1));
            assert_eq!(share.identifier(), parsed[0].identifier());
        }
        // K consecutive shares from each starting point, and all N.
        for start in 0..usize::from(n) {
            let subset: Vec<Share> = (0..usize::from(k))
                .map(|i| parsed[(start + i) % usize::from(n)].clone())
                .collect();
            assert_eq!(&combine(&subset, passphrase).unwrap()[..], &secret[..]);
        }
        assert_eq!(&combine(&parsed, passphrase).unwrap()[..], &secret[..]);
        if k > 1 {
            let err = combine(&parsed[..usize::from(k) - 1], passphrase).unwrap_err();
            assert_eq!(kind(&err), format!("TooFewShares {}/{k}", k - 1));
        }
    }
}

#[test]
fn every_three_of_five() {
    let secret = [0x5a; 32];
    let shares = split(&secret, 3, 5, b"", 0).unwrap();
    for a in 0..5 {
        for b in a + 1..5 {
            for c in b + 1..5 {
                let subset = [shares[a].clone(), shares[b].clone(), shares[c].clone()];
                assert_eq!(&combine(&subset, b"").unwrap()[..], &secret[..]);
            }
            let err = combine(&[shares[a].clone(), shares[b].clone()], b"").unwrap_err();
            assert_eq!(err.to_string(), "2 of the 3 shares needed: 1 more needed");
        }
    }
}

/// One word replaced by the next in the list: the checksum catches it.
fn mistype(words: &str, position: usize) -> String {
    let list: Vec<&str> = include_str!("../../src/slip39_words.txt").lines().collect();
    let mut w: Vec<String> = words.split(' ').map(str::to_owned).collect();
    let i = list.iter().position(|x| *x == w[position]).unwrap();
    w[position] = list[(i + 1) % list.len()].to_owned();
    w.join(" ")
}

#[test]
fn refusals() {
    let secret = [7u8; 32];
    let a = split(&secret, 3, 5, b"", 0).unwrap();
    let b = split(&secret, 3, 5, b"", 0).unwrap();
    let words = a[0].to_words().to_string();
    let mut swapped: Vec<&str> = words.split(' ').collect();
    let at = (4..swapped.len() - 1)
        .find(|&i| swapped[i] != swapped[i + 1])
        .unwrap();
    swapped.swap(at, at + 1);
    let upper = words.to_uppercase();
    let parse_cases: &[(String, &str)] = &[
        (words.replacen(' ', " nascfg ", 1), "UnknownWord 2"),
        (format!("{words} zero"), "WordCount 34"),
        (words.rsplit_once(' ').unwrap().0.to_owned(), "WordCount 32"),
        (String::new(), "WordCount 0"),
        (mistype(&words, 10), "Checksum"),
        (swapped.join(" "), "Checksum"),
        ("academic ".repeat(2000), "WordCount 60"),
    ];
    for (text, expected) in parse_cases {
        let err = Share::parse(text).unwrap_err();
        assert_eq!(kind(&err), *expected, "{expected}");
        assert!(err.hint().is_some());
    }
    // Letter case and extra whitespace do not matter.
    let loose = format!("  {}\n", upper.replace(' ', "\t "));
    assert_eq!(Share::parse(&loose).unwrap().to_words().as_str(), words);

    let combine_cases: Vec<(Vec<Share>, &str, &str)> = vec![
        (vec![], "NoShares", "no share given"),
        (
            vec![a[0].clone(), a[1].clone(), b[2].clone()],
            "DifferentSplit 3 identifier",
            "share 3 is not from the same split as share 1: its identifier differs",
        ),
        (
            vec![a[0].clone(), a[1].clone(), a[1].clone()],
            "DuplicateMember 3",
            "shares 2 and 3 are the same share (member 2)",
        ),
        (
            vec![a[4].clone()],
            "TooFewShares 1/3",
            "1 of the 3 shares needed: 2 more needed",
        ),
    ];
    for (shares, expected, message) in combine_cases {
        let err = combine(&shares, b"").unwrap_err();
        assert_eq!(kind(&err), expected);
        assert_eq!(err.to_string(), message);
    }

    // A fourth share that does not lie on the others' polynomial: a share
    // of a split with the same identifier but another secret.
    let c = split(&[8u8; 32], 3, 5, b"", 0).unwrap();
    let forged = Share::parse(&retag(&c[3], a[0].identifier())).unwrap();
    let err = combine(
        &[a[0].clone(), a[1].clone(), a[2].clone(), forged.clone()],
        b"",
    )
    .unwrap_err();
    assert_eq!(kind(&err), "Inconsistent 4");
    // Within the threshold, the digest catches it.
    let err = combine(&[a[0].clone(), a[1].clone(), forged], b"").unwrap_err();
    assert_eq!(kind(&err), "Digest");
}

/// The words of `share` with another identifier and a recomputed checksum:
/// what a share of another split that happens to draw the same identifier
/// looks like.
fn retag(share: &Share, identifier: u16) -> String {
    let list: Vec<&str> = include_str!("../../src/slip39_words.txt").lines().collect();
    let words = share.to_words();
    let mut indices: Vec<u32> = words
        .split(' ')
        .map(|w| list.iter().position(|x| x == &w).unwrap() as u32)
        .collect();
    let id_exp = (u32::from(identifier) << 5) | ((indices[0] << 10 | indices[1]) & 0x1f);
    indices[0] = id_exp >> 10;
    indices[1] = id_exp & 0x3ff;
    let n = indices.len();
    let polymod = polymod(b"shamir_extendable", &indices[..n - 3]) ^ 1;
    for (k, slot) in indices[n - 3..].iter_mut().enumerate() {
        *slot = (polymod >> (10 * (2 - k))) & 0x3ff;
    }
    indices
        .iter()
        .map(|&i| list[i as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// RS1024 as SLIP-0039 gives it, for [`retag`].
fn polymod(customization: &[u8], data: &[u32]) -> u32 {
    const GEN: [u32; 10] = [
        0xE0E040, 0x1C1C080, 0x3838100, 0x7070200, 0xE0E0009, 0x1C0C2412, 0x38086C24, 0x3090FC48,
        0x21B1F890, 0x3F3F120,
    ];
    let mut chk = 1u32;
    let values = customization
        .iter()
        .map(|&c| u32::from(c))
        .chain(data.iter().copied())
        .chain([0, 0, 0]);
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

#[test]
fn split_refusals() {
    let cases: &[(usize, u8, u8, &[u8], u8)] = &[
        (15, 2, 3, b"", 0),
        (17, 2, 3, b"", 0),
        (66, 2, 3, b"", 0),
        (32, 0, 3, b"", 0),
        (32, 4, 3, b"", 0),
        (32, 2, 17, b"", 0),
        (32, 1, 3, b"", 0),
        (32, 2, 3, b"caf\xc3\xa9", 0),
        (32, 2, 3, b"", 16),
    ];
    for &(len, k, n, passphrase, e) in cases {
        let err = split(&vec![1; len], k, n, passphrase, e).unwrap_err();
        assert_eq!(kind(&err), "Split", "{len} {k} {n} {e}");
    }
}

#[test]
fn debug_shows_no_secret() {
    let shares = split(&[9u8; 32], 2, 3, b"", 0).unwrap();
    assert_eq!(
        format!("{:?}", shares[1]),
        format!(
            "Share {{ identifier: {}, extendable: true, iteration_exponent: 0, group: 1, \
             group_threshold: 1, group_count: 1, member: 2, member_threshold: 2, \
             value: \"<redacted>\" }}",
            shares[1].identifier()
        )
    );
}

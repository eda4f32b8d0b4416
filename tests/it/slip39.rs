//! SLIP-39 shares interoperate with the reference implementation, PyPI
//! `shamir-mnemonic` 0.3.0 (installed by .ci/setup), both ways. Shares and
//! secrets go to python on stdin, never as arguments.

#![allow(clippy::unwrap_used)] // tests may unwrap

use nascfg_crypto::{DEFAULT_ITERATION_EXPONENT, Share, combine, split};
use nascfg_tests::python::{SHAMIR_PRELUDE as PRELUDE, hex, python};

fn seed() -> Vec<u8> {
    (0..32u8)
        .map(|i| i.wrapping_mul(71).wrapping_add(5))
        .collect()
}

#[test]
fn reference_combines_our_shares() {
    let secret = seed();
    let shares = split(&secret, 3, 5, b"", DEFAULT_ITERATION_EXPONENT).unwrap();
    let program = format!(
        "{PRELUDE}
shares = [line.strip() for line in sys.stdin if line.strip()]
print(shamir_mnemonic.combine_mnemonics(shares, b'').hex())
"
    );
    // Three different subsets of three.
    for subset in [[0, 1, 2], [4, 2, 0], [1, 3, 4]] {
        let input: String = subset
            .iter()
            .map(|&i| format!("{}\n", shares[i].to_words().as_str()))
            .collect();
        assert_eq!(python(&program, &input).trim(), hex(&secret));
    }
}

#[test]
fn we_combine_the_references_shares() {
    let secret = seed();
    let program = format!(
        "{PRELUDE}
secret = bytes.fromhex(sys.stdin.read().strip())
for group in shamir_mnemonic.generate_mnemonics(1, [(2, 3)], secret, b''):
    for share in group:
        print(share)
"
    );
    let out = python(&program, &hex(&secret));
    let shares: Vec<Share> = out.lines().map(|l| Share::parse(l).unwrap()).collect();
    assert_eq!(shares.len(), 3);
    assert!(
        shares
            .iter()
            .all(|s| s.extendable() && s.member_threshold() == 2)
    );
    for pair in [[0, 1], [1, 2], [2, 0]] {
        let two = [shares[pair[0]].clone(), shares[pair[1]].clone()];
        assert_eq!(&combine(&two, b"").unwrap()[..], &secret[..]);
    }
    // One alone is refused, saying how many more are needed.
    let err = combine(&shares[..1], b"").unwrap_err();
    assert_eq!(err.to_string(), "1 of the 2 shares needed: 1 more needed");
}

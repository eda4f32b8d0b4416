//! SLIP-39 shares interoperate with the reference implementation, PyPI
//! `shamir-mnemonic` 0.3.0 (installed by .ci/setup), both ways. Shares and
//! secrets go to python on stdin, never as arguments.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::io::Write;
use std::process::{Command, Stdio};

use nascfg_crypto::{DEFAULT_ITERATION_EXPONENT, Share, combine, split};

/// Runs a python program with `input` on stdin; returns its stdout.
fn python(program: &str, input: &str) -> String {
    let mut child = Command::new("python3")
        .args(["-c", program])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (installed by .ci/setup)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Checks the reference's version first, so a wrong install is named.
const PRELUDE: &str = "
import sys, importlib.metadata
assert importlib.metadata.version('shamir-mnemonic') == '0.3.0', importlib.metadata.version('shamir-mnemonic')
import shamir_mnemonic
";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

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

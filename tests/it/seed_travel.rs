//! The seed that travels separately (issue 25.1), the README's story: the old
//! box writes a bundle without its seed and `seed export` (passphrase-protected
//! by default, or raw); a new box restores with `--seed-file` (the seed file's
//! passphrase asked separately from the bundle's), or imports the seed first
//! with `seed import` and restores without it. Every form `seed export` writes
//! is accepted wherever a seed file is taken; a wrong seed is refused and
//! changes nothing.
#![allow(clippy::unwrap_used)] // tests may unwrap

use nascfg_tests::cli::{Nascfg, Run, tree};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SEED_PASS: &str = "seed passphrase, not the bundle's";
const BUNDLE_PASS: &str = "bundle passphrase";

/// The old box: one S3 credential with a secret, a bundle WITHOUT the seed
/// (passphrase-protected, so the two passphrases must be told apart), and
/// the seed exported both ways. Returns (box, bundle, seed.age, raw seed,
/// seed passphrase file, bundle passphrase file).
struct OldBox {
    n: Nascfg,
    bundle: String,
    seed_age: String,
    seed_raw: String,
    seed_pass: String,
    bundle_pass: String,
}

fn old_box() -> OldBox {
    let n = Nascfg::with_s3_credential("offsite", SECRET);
    let seed_pass = n.write_file("seed-pass", format!("{SEED_PASS}\n"));
    let bundle_pass = n.write_file("bundle-pass", format!("{BUNDLE_PASS}\n"));
    let bundle = n.tmp().join("box.tar.gz.age").to_str().unwrap().to_owned();
    n.ok(&[
        "backup",
        "export",
        "-o",
        &bundle,
        "--passphrase-file",
        &bundle_pass,
    ]);
    let seed_age = n.tmp().join("seed.age").to_str().unwrap().to_owned();
    n.ok(&[
        "seed",
        "export",
        "-o",
        &seed_age,
        "--passphrase-file",
        &seed_pass,
    ]);
    let seed_raw = n.tmp().join("seed.raw").to_str().unwrap().to_owned();
    n.ok(&["seed", "export", "-o", &seed_raw, "--no-passphrase"]);
    assert!(
        std::fs::read(&seed_age)
            .unwrap()
            .starts_with(b"age-encryption.org/v1")
    );
    assert_eq!(std::fs::read(&seed_raw).unwrap().len(), 32);
    OldBox {
        n,
        bundle,
        seed_age,
        seed_raw,
        seed_pass,
        bundle_pass,
    }
}

fn secret_of(n: &Nascfg) -> String {
    n.json(&["cred", "show", "offsite", "--reveal"])["provider"]["secret_access_key"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn fingerprint(n: &Nascfg) -> String {
    n.json(&["seed", "fingerprint"])["seed"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `args` with `--seed-file FILE` and its passphrase (if any) appended.
fn with_seed<'a>(args: &[&'a str], seed: &'a str, pass: Option<&'a str>) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--seed-file", seed]);
    if let Some(pass) = pass {
        all.extend(["--seed-passphrase-file", pass]);
    }
    all
}

#[test]
fn a_new_box_restores_with_the_seed_file_in_every_form() {
    let old = old_box();
    let old_fp = fingerprint(&old.n);
    for (seed, pass) in [
        (old.seed_age.as_str(), Some(old.seed_pass.as_str())),
        (old.seed_raw.as_str(), None),
    ] {
        let new = Nascfg::new();
        new.ok(&["init"]);
        let bundle_args = [
            old.bundle.as_str(),
            "--passphrase-file",
            old.bundle_pass.as_str(),
        ];
        // inspect and diff take the seed file too, and say it opens the secrets.
        let mut inspect = vec!["backup", "inspect"];
        inspect.extend(bundle_args);
        let out = new.ok(&with_seed(&inspect, seed, pass));
        assert!(
            out.contains("the seed from --seed-file matches"),
            "{seed}: {out}"
        );
        let mut diff = vec!["backup", "diff", "-"];
        diff.extend(bundle_args);
        let diff = new.json(&with_seed(&diff, seed, pass));
        assert_eq!(diff["identical"], false, "{seed}: {diff}");
        // A dry run changes nothing.
        let before = tree(new.data_dir());
        let mut restore = vec!["backup", "restore"];
        restore.extend(bundle_args);
        let mut dry = restore.clone();
        dry.push("--dry-run");
        let report = new.json(&with_seed(&dry, seed, pass));
        assert_eq!(report["restore"]["case"], "seed-from-file", "{seed}");
        assert_eq!(
            before,
            tree(new.data_dir()),
            "{seed}: the dry run changed files"
        );
        let report = new.json(&with_seed(&restore, seed, pass));
        assert_eq!(report["restore"]["case"], "seed-from-file", "{seed}");
        assert_eq!(secret_of(&new), SECRET, "{seed}");
        assert_eq!(fingerprint(&new), old_fp, "{seed}");
    }
}

#[test]
fn the_seed_passphrase_is_asked_separately_from_the_bundles() {
    let old = old_box();
    let new = Nascfg::new();
    new.ok(&["init"]);
    let before = tree(new.data_dir());
    let restore = [
        "backup",
        "restore",
        old.bundle.as_str(),
        "--passphrase-file",
        old.bundle_pass.as_str(),
    ];
    // No seed passphrase and no terminal: refused, with the flags to give it.
    let run = new.fail(&with_seed(&restore, &old.seed_age, None));
    assert!(
        run.stderr.contains("passphrase-protected")
            && run.stderr.contains("--seed-passphrase-file"),
        "{}",
        run.transcript()
    );
    // The bundle's passphrase does not open the seed file.
    let run = new.fail(&with_seed(&restore, &old.seed_age, Some(&old.bundle_pass)));
    assert!(
        run.stderr.contains("does not open the seed file"),
        "{}",
        run.transcript()
    );
    assert_eq!(before, tree(new.data_dir()));
    // From the environment.
    let mut args = restore.to_vec();
    args.extend([
        "--seed-file",
        &old.seed_age,
        "--seed-passphrase-env",
        "SEED_PASS",
    ]);
    let run = new
        .cmd()
        .env("SEED_PASS", SEED_PASS)
        .args(&args)
        .output()
        .unwrap();
    let run = Run::from(run);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(secret_of(&new), SECRET);
}

#[test]
fn seed_import_on_an_empty_box_then_restore_without_a_seed_file() {
    let old = old_box();
    let old_fp = fingerprint(&old.n);
    // A box that was never set up, and one that `init` made (empty, another seed).
    for initialised in [false, true] {
        let new = Nascfg::new();
        if initialised {
            new.ok(&["init"]);
        }
        let imported = new.json(&[
            "seed",
            "import",
            &old.seed_age,
            "--seed-passphrase-file",
            &old.seed_pass,
        ]);
        assert_eq!(imported["case"], "empty-store");
        assert_eq!(imported["fingerprint"], old_fp.as_str());
        assert_eq!(imported["previous_seed"].is_string(), initialised);
        let seed = new.data_dir().join("secret-seed");
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&seed).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            std::fs::read(&seed).unwrap(),
            std::fs::read(&old.seed_raw).unwrap()
        );
        let report = new.json(&[
            "backup",
            "restore",
            &old.bundle,
            "--passphrase-file",
            &old.bundle_pass,
        ]);
        assert_eq!(report["restore"]["case"], "box-seed-matches");
        assert_eq!(secret_of(&new), SECRET);
        // Importing it again changes nothing; so does the raw form.
        let again = new.json(&["seed", "import", &old.seed_raw]);
        assert_eq!(again["case"], "already-installed");
    }
}

#[test]
fn seed_import_puts_back_a_lost_seed() {
    let old = old_box();
    std::fs::remove_file(old.n.data_dir().join("secret-seed")).unwrap();
    old.n.fail(&["cred", "show", "offsite", "--reveal"]);
    let imported = old.n.json(&["seed", "import", &old.seed_raw]);
    assert_eq!(imported["case"], "sealed-under-it");
    assert_eq!(secret_of(&old.n), SECRET);
}

#[test]
fn seed_import_of_another_seed_on_a_store_with_secrets_is_refused() {
    let old = old_box();
    let other = Nascfg::new();
    other.ok(&["init"]);
    other.ok(&[
        "cred",
        "add",
        "mine",
        "--provider",
        "FTP",
        "--set",
        "host=h",
        "--set",
        "user=u",
        "--set",
        "pass=p",
    ]);
    let before = tree(other.data_dir());
    let run = other.fail(&[
        "seed",
        "import",
        &old.seed_age,
        "--seed-passphrase-file",
        &old.seed_pass,
    ]);
    assert!(
        run.stderr.contains("refused") && run.stderr.contains("hint:"),
        "{}",
        run.transcript()
    );
    assert_eq!(
        before,
        tree(other.data_dir()),
        "a refused import changed files"
    );
    // Not a seed at all: refused before the data directory is touched.
    let junk = other.write_file("junk", b"not a seed, 214 bytes? no");
    let run = other.fail(&["seed", "import", &junk]);
    assert!(run.stderr.contains("hint:"), "{}", run.transcript());
    assert_eq!(before, tree(other.data_dir()));
}

#[test]
fn a_seedless_restore_refusal_points_at_a_usable_seed_file() {
    let old = old_box();
    let new = Nascfg::new();
    new.ok(&["init"]);
    let run = new.fail(&[
        "backup",
        "restore",
        &old.bundle,
        "--passphrase-file",
        &old.bundle_pass,
    ]);
    assert!(
        run.stderr.contains("--seed-file FILE") && run.stderr.contains("seed export"),
        "{}",
        run.transcript()
    );
}

//! The tidy test (as rust-analyzer has): the dependency invariants of
//! docs/ARCHITECTURE.md ("Architecture invariants"), checked over
//! `cargo metadata`, so a Cargo.toml change that breaks one fails here.
//!
//! `check` is a pure function of the workspace's direct dependencies; the real
//! workspace must pass it, and the cases below feed it broken graphs to show
//! that each rule catches what it should, with a message that names the crate,
//! the dependency and the rule.

use std::collections::BTreeMap;

use Kind::{Build, Dev, Normal};

/// How a package depends on another, as `cargo metadata` tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Normal,
    Build,
    Dev,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Normal => "normal",
            Kind::Build => "build",
            Kind::Dev => "dev",
        }
    }
}

/// What the rules look at: each workspace package's direct dependencies
/// (package name → (dependency name, kind)), and the default members' names.
#[derive(Debug, Default)]
struct Workspace {
    packages: BTreeMap<String, Vec<(String, Kind)>>,
    default_members: Vec<String>,
}

/// Where the rules are written down; every message ends with it.
const DOC: &str = "docs/ARCHITECTURE.md, Architecture invariants";

/// The crates that open network connections: the only ones allowed the
/// network stack. Those not written yet are listed so that they are ready.
const NETWORK_CRATES: &[&str] = &[
    "nascfg-verify",
    "nascfg-net",
    "nascfg-oauth",
    "nascfg-remote",
];

/// "Only these crates may depend on these packages", one rule each.
struct Exclusive {
    packages: &'static [&'static str],
    owners: &'static [&'static str],
    rule: &'static str,
}

const EXCLUSIVE: &[Exclusive] = &[
    Exclusive {
        // rusqlite and its row iterator's trait.
        packages: &["rusqlite", "fallible-streaming-iterator"],
        owners: &["nascfg-store"],
        rule: "only nascfg-store knows SQL",
    },
    Exclusive {
        packages: &["tar", "flate2", "gzp"],
        owners: &["nascfg-tar", "nascfg-bundle"],
        rule: "only nascfg-tar and nascfg-bundle know tar and gzip",
    },
    Exclusive {
        packages: &["clap", "clap_complete", "clap_mangen"],
        owners: &["nascfg-cli"],
        rule: "only nascfg-cli knows clap",
    },
    Exclusive {
        packages: &["ureq", "russh", "russh-sftp", "suppaftp"],
        owners: NETWORK_CRATES,
        rule: "only the network crates open connections",
    },
    Exclusive {
        packages: &["rustls"],
        owners: &[
            "nascfg-verify",
            "nascfg-net",
            "nascfg-oauth",
            "nascfg-remote",
            "nascfg-web",
        ],
        rule: "only the network crates and the web UI's TLS listener speak TLS",
    },
    Exclusive {
        packages: &["opendal", "reqwest", "reqsign-aws-v4"],
        owners: &["nascfg-remote"],
        rule: "only nascfg-remote knows OpenDAL",
    },
    Exclusive {
        packages: &["axum"],
        owners: &["nascfg-web"],
        rule: "only nascfg-web listens",
    },
];

/// The product crates and the nascfg-* crates each may depend on: every edge
/// points down the stack `cli → web → backup → {remote, bundle, interop, verify,
/// oauth, store} → {credentials, crypto}`, with the few sideways edges written out;
/// the safe tar reader sits below bundle and interop, on credentials alone.
/// Crates not written yet have their rows already.
const ALLOWED: &[(&str, &[&str])] = &[
    (
        "nascfg-cli",
        &[
            "nascfg-web",
            "nascfg-backup",
            "nascfg-remote",
            "nascfg-bundle",
            "nascfg-interop",
            "nascfg-verify",
            "nascfg-oauth",
            "nascfg-store",
            "nascfg-credentials",
            "nascfg-crypto",
        ],
    ),
    (
        "nascfg-web",
        &[
            "nascfg-backup",
            "nascfg-remote",
            "nascfg-bundle",
            "nascfg-interop",
            "nascfg-verify",
            "nascfg-oauth",
            "nascfg-store",
            "nascfg-credentials",
            "nascfg-crypto",
        ],
    ),
    (
        "nascfg-backup",
        &[
            "nascfg-remote",
            "nascfg-bundle",
            "nascfg-interop",
            "nascfg-store",
            "nascfg-credentials",
            "nascfg-crypto",
        ],
    ),
    (
        "nascfg-remote",
        &[
            "nascfg-oauth",
            "nascfg-net",
            "nascfg-credentials",
            "nascfg-crypto",
        ],
    ),
    (
        "nascfg-interop",
        &[
            "nascfg-tar",
            "nascfg-store",
            "nascfg-credentials",
            "nascfg-crypto",
        ],
    ),
    (
        "nascfg-bundle",
        &[
            "nascfg-tar",
            "nascfg-store",
            "nascfg-credentials",
            "nascfg-crypto",
        ],
    ),
    ("nascfg-tar", &["nascfg-credentials"]),
    (
        "nascfg-verify",
        &[
            "nascfg-oauth",
            "nascfg-net",
            "nascfg-credentials",
            "nascfg-crypto",
        ],
    ),
    (
        "nascfg-oauth",
        &["nascfg-net", "nascfg-credentials", "nascfg-crypto"],
    ),
    ("nascfg-store", &["nascfg-credentials", "nascfg-crypto"]),
    ("nascfg-net", &[]),
    ("nascfg-credentials", &[]),
    ("nascfg-crypto", &[]),
];

/// Test crates: they may depend on every product crate, nothing depends on
/// them, their dev-dependencies are exempt from every rule, and none is a
/// default member (a plain `cargo build` does not compile the test servers).
const TEST_CRATES: &[&str] = &["nascfg-tests"];

/// Every violation of the rules, one message each; empty when all hold.
///
/// Exclusive dependencies are checked on normal and build dependencies (a
/// dev-dependency builds test fixtures, e.g. a SQLite file with rusqlite);
/// the direction on every kind, except a test crate's dev-dependencies.
fn check(ws: &Workspace) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let known = |name: &str| allowed.contains_key(name) || TEST_CRATES.contains(&name);
    let mut out = Vec::new();
    for (package, deps) in &ws.packages {
        let is_test_crate = TEST_CRATES.contains(&package.as_str());
        if package.starts_with("nascfg-") && !known(package) {
            out.push(format!(
                "{package} is not in the dependency table: give it a row (what it may depend on) \
                 in tests/it/tidy.rs and in the table of [{DOC}]"
            ));
        }
        for (dep, kind) in deps {
            let (dep, kind) = (dep.as_str(), *kind);
            if kind == Kind::Dev && is_test_crate {
                continue;
            }
            if kind != Kind::Dev
                && let Some(rule) = EXCLUSIVE.iter().find(|r| r.packages.contains(&dep))
                && !rule.owners.contains(&package.as_str())
            {
                out.push(format!(
                    "{package} depends on {dep} ({}): {} may [{DOC}: \"{}\"]",
                    kind.as_str(),
                    rule.owners.join(", "),
                    rule.rule
                ));
            }
            if !dep.starts_with("nascfg-") || !package.starts_with("nascfg-") {
                continue;
            }
            if !known(dep) {
                out.push(format!(
                    "{package} depends on {dep} ({}), which is not in the dependency table \
                     [{DOC}: \"dependencies point one way\"]",
                    kind.as_str()
                ));
                continue;
            }
            let ok = if is_test_crate {
                !TEST_CRATES.contains(&dep)
            } else {
                allowed
                    .get(package.as_str())
                    .is_some_and(|may| may.contains(&dep))
            };
            if !ok && known(package) {
                let may = match allowed.get(package.as_str()) {
                    Some([]) => "nothing of ours".to_owned(),
                    Some(may) => may.join(", "),
                    None => "every product crate".to_owned(),
                };
                out.push(format!(
                    "{package} depends on {dep} ({}) against the stated direction: {package} may \
                     depend on {may} [{DOC}: \"dependencies point one way\"]",
                    kind.as_str()
                ));
            }
        }
    }
    for member in &ws.default_members {
        if TEST_CRATES.contains(&member.as_str()) {
            out.push(format!(
                "{member} is a default member: a plain `cargo build` would compile the test \
                 servers; leave it out of `default-members` in the root Cargo.toml [{DOC}: \
                 \"the tests crate is not a default member\"]"
            ));
        }
    }
    out
}

/// The workspace as `cargo metadata --no-deps` describes it.
fn metadata() -> Workspace {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let mut ws = Workspace::default();
    let mut names_by_id = BTreeMap::new();
    for package in meta["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("package name").to_owned();
        let deps = package["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .map(|d| {
                let kind = match d["kind"].as_str() {
                    None => Kind::Normal,
                    Some("build") => Kind::Build,
                    Some("dev") => Kind::Dev,
                    Some(other) => panic!("unknown dependency kind {other}"),
                };
                (
                    d["name"].as_str().expect("dependency name").to_owned(),
                    kind,
                )
            })
            .collect();
        names_by_id.insert(package["id"].as_str().expect("id").to_owned(), name.clone());
        ws.packages.insert(name, deps);
    }
    for id in meta["workspace_default_members"]
        .as_array()
        .expect("workspace_default_members (cargo 1.71+)")
    {
        let id = id.as_str().expect("a package id");
        ws.default_members
            .push(names_by_id.get(id).expect("a workspace package").clone());
    }
    ws
}

#[test]
fn the_workspace_keeps_the_architecture_invariants() {
    let ws = metadata();
    for name in [
        "nascfg-cli",
        "nascfg-store",
        "nascfg-bundle",
        "nascfg-tar",
        "nascfg-tests",
    ] {
        assert!(
            ws.packages.contains_key(name),
            "{name} not in cargo metadata"
        );
    }
    let violations = check(&ws);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// Checks a workspace of `packages` (name, [(dependency, kind)]) whose
/// default members are `default_members`, against the expected messages.
fn check_case(packages: &[(&str, &[(&str, Kind)])], default_members: &[&str], expected: &[&str]) {
    let ws = Workspace {
        packages: packages
            .iter()
            .map(|(name, deps)| {
                let deps = deps.iter().map(|(d, k)| ((*d).to_owned(), *k)).collect();
                ((*name).to_owned(), deps)
            })
            .collect(),
        default_members: default_members.iter().map(|m| (*m).to_owned()).collect(),
    };
    assert_eq!(check(&ws), expected, "{packages:?}");
}

#[test]
fn allowed_graphs_pass() {
    check_case(
        &[
            (
                "nascfg-cli",
                &[("nascfg-interop", Normal), ("clap_mangen", Normal)],
            ),
            (
                "nascfg-store",
                &[("rusqlite", Normal), ("nascfg-crypto", Normal)],
            ),
            (
                "nascfg-interop",
                &[("nascfg-tar", Normal), ("rusqlite", Dev)],
            ),
            (
                "nascfg-bundle",
                &[
                    ("nascfg-tar", Normal),
                    ("gzp", Normal),
                    ("tar", Normal),
                    ("rusqlite", Dev),
                ],
            ),
            (
                "nascfg-tar",
                &[
                    ("tar", Normal),
                    ("flate2", Normal),
                    ("nascfg-credentials", Normal),
                ],
            ),
            ("nascfg-verify", &[("ureq", Normal), ("nascfg-net", Normal)]),
            (
                "nascfg-remote",
                &[("russh-sftp", Normal), ("nascfg-oauth", Normal)],
            ),
            ("nascfg-web", &[("axum", Normal), ("nascfg-backup", Normal)]),
            (
                "nascfg-backup",
                &[("nascfg-remote", Normal), ("nascfg-interop", Normal)],
            ),
            ("nascfg-tests", &[("nascfg-cli", Normal), ("tar", Dev)]),
            ("xtask", &[("anyhow", Normal)]),
        ],
        &["nascfg-cli", "nascfg-store"],
        &[],
    );
}

#[test]
fn exclusive_dependencies() {
    check_case(
        &[("nascfg-credentials", &[("rusqlite", Normal)])],
        &[],
        &[
            "nascfg-credentials depends on rusqlite (normal): nascfg-store may \
           [docs/ARCHITECTURE.md, Architecture invariants: \"only nascfg-store knows SQL\"]",
        ],
    );
    check_case(
        &[("nascfg-interop", &[("flate2", Build)])],
        &[],
        &[
            "nascfg-interop depends on flate2 (build): nascfg-tar, nascfg-bundle may \
           [docs/ARCHITECTURE.md, Architecture invariants: \"only nascfg-tar and nascfg-bundle know tar and gzip\"]",
        ],
    );
    check_case(
        &[("xtask", &[("clap", Normal)])],
        &[],
        &["xtask depends on clap (normal): nascfg-cli may \
           [docs/ARCHITECTURE.md, Architecture invariants: \"only nascfg-cli knows clap\"]"],
    );
    check_case(
        &[("nascfg-store", &[("rustls", Normal)])],
        &[],
        &[
            "nascfg-store depends on rustls (normal): nascfg-verify, nascfg-net, nascfg-oauth, \
           nascfg-remote, nascfg-web may [docs/ARCHITECTURE.md, Architecture invariants: \"only the \
           network crates and the web UI's TLS listener speak TLS\"]",
        ],
    );
    check_case(
        &[("nascfg-tests", &[("axum", Normal)])],
        &[],
        &["nascfg-tests depends on axum (normal): nascfg-web may \
           [docs/ARCHITECTURE.md, Architecture invariants: \"only nascfg-web listens\"]"],
    );
}

#[test]
fn dependency_direction() {
    check_case(
        &[("nascfg-store", &[("nascfg-bundle", Normal)])],
        &[],
        &[
            "nascfg-store depends on nascfg-bundle (normal) against the stated direction: \
           nascfg-store may depend on nascfg-credentials, nascfg-crypto \
           [docs/ARCHITECTURE.md, Architecture invariants: \"dependencies point one way\"]",
        ],
    );
    // A product crate's tests do not reach up the stack either.
    check_case(
        &[("nascfg-bundle", &[("nascfg-interop", Dev)])],
        &[],
        &[
            "nascfg-bundle depends on nascfg-interop (dev) against the stated direction: \
           nascfg-bundle may depend on nascfg-tar, nascfg-store, nascfg-credentials, nascfg-crypto \
           [docs/ARCHITECTURE.md, Architecture invariants: \"dependencies point one way\"]",
        ],
    );
    // bundle and interop are siblings on the tar reader (issue 26).
    check_case(
        &[
            ("nascfg-interop", &[("nascfg-bundle", Normal)]),
            ("nascfg-tar", &[("nascfg-store", Normal)]),
        ],
        &[],
        &[
            "nascfg-interop depends on nascfg-bundle (normal) against the stated direction: \
           nascfg-interop may depend on nascfg-tar, nascfg-store, nascfg-credentials, nascfg-crypto \
           [docs/ARCHITECTURE.md, Architecture invariants: \"dependencies point one way\"]",
            "nascfg-tar depends on nascfg-store (normal) against the stated direction: \
           nascfg-tar may depend on nascfg-credentials \
           [docs/ARCHITECTURE.md, Architecture invariants: \"dependencies point one way\"]",
        ],
    );
    check_case(
        &[("nascfg-credentials", &[("nascfg-crypto", Normal)])],
        &[],
        &[
            "nascfg-credentials depends on nascfg-crypto (normal) against the stated direction: \
           nascfg-credentials may depend on nothing of ours \
           [docs/ARCHITECTURE.md, Architecture invariants: \"dependencies point one way\"]",
        ],
    );
    check_case(
        &[("nascfg-cli", &[("nascfg-tests", Normal)])],
        &[],
        &[
            "nascfg-cli depends on nascfg-tests (normal) against the stated direction: \
           nascfg-cli may depend on nascfg-web, nascfg-backup, nascfg-remote, nascfg-bundle, nascfg-interop, \
           nascfg-verify, nascfg-oauth, nascfg-store, nascfg-credentials, nascfg-crypto \
           [docs/ARCHITECTURE.md, Architecture invariants: \"dependencies point one way\"]",
        ],
    );
}

#[test]
fn crates_outside_the_table() {
    check_case(
        &[
            ("nascfg-extra", &[]),
            ("nascfg-cli", &[("nascfg-other", Normal)]),
        ],
        &[],
        &[
            "nascfg-cli depends on nascfg-other (normal), which is not in the dependency table \
             [docs/ARCHITECTURE.md, Architecture invariants: \"dependencies point one way\"]",
            "nascfg-extra is not in the dependency table: give it a row (what it may depend on) \
             in tests/it/tidy.rs and in the table of [docs/ARCHITECTURE.md, Architecture invariants]",
        ],
    );
}

#[test]
fn tests_crate_is_not_a_default_member() {
    check_case(
        &[("nascfg-tests", &[])],
        &["nascfg-cli", "nascfg-tests"],
        &[
            "nascfg-tests is a default member: a plain `cargo build` would compile the test servers; \
           leave it out of `default-members` in the root Cargo.toml [docs/ARCHITECTURE.md, \
           Architecture invariants: \"the tests crate is not a default member\"]",
        ],
    );
}

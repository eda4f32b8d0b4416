//! Several nascfg processes on one data directory lose no write.
#![allow(clippy::unwrap_used)]

use nascfg_tests::cli::Nascfg;

#[test]
fn sixteen_concurrent_adds_all_land() {
    let n = Nascfg::new();
    // No `init` first: the processes also race to create the data directory.
    let children: Vec<_> = (0..16)
        .map(|i| {
            let mut cmd = std::process::Command::new(nascfg_tests::cli::nascfg_bin());
            cmd.arg("--data-dir")
                .arg(n.data_dir())
                .args([
                    "cred",
                    "add",
                    &format!("cred-{i:02}"),
                    "--provider",
                    "ftp",
                    "--set",
                    "host=h",
                    "--set",
                    "user=u",
                ])
                .arg("--set")
                .arg(format!("pass=password-{i}"))
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let list = n.json(&["cred", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..16).map(|i| format!("cred-{i:02}")).collect();
    assert_eq!(names, expected);
    for i in [0, 7, 15] {
        let c = n.json(&["cred", "show", &format!("cred-{i:02}"), "--reveal"]);
        assert_eq!(c["provider"]["pass"], format!("password-{i}"));
    }
}

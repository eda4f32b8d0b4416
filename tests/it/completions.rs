//! `nascfg completions SHELL` and `nascfg man`: generated from the grammar,
//! printed to standard output, and well-formed.

use nascfg_tests::cli::Nascfg;

/// Each shell's script is non-empty, registers completions for `nascfg` the
/// way that shell does, and knows the commands.
#[test]
fn completions_for_each_shell() {
    check_completions("bash", "complete -F _nascfg");
    check_completions("zsh", "#compdef nascfg");
    check_completions("fish", "complete -c nascfg");
    check_completions("elvish", "edit:completion:arg-completer[nascfg]");
    check_completions("powershell", "Register-ArgumentCompleter");
}

fn check_completions(shell: &str, registration: &str) {
    let nascfg = Nascfg::new();
    let script = nascfg.ok(&["completions", shell]);
    assert!(
        script.contains(registration),
        "{shell}: no `{registration}` in:\n{script}"
    );
    for command in ["cred", "keypair", "backup", "restore", "completions"] {
        assert!(
            script.contains(command),
            "{shell}: `{command}` not completed"
        );
    }
    assert!(
        !nascfg.data_dir().exists(),
        "{shell}: printing completions touched the data directory"
    );
}

#[test]
fn bash_completions_parse() {
    let nascfg = Nascfg::new();
    let script = nascfg.write_file("nascfg.bash", nascfg.ok(&["completions", "bash"]));
    let out = std::process::Command::new("bash")
        .args(["-n", &script])
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let run = Nascfg::new().run(&["completions", "tcsh"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("possible values"), "{}", run.stderr);
}

#[test]
fn man_page_documents_every_command() {
    let nascfg = Nascfg::new();
    let page = nascfg.ok(&["man"]);
    assert!(page.contains("\n.TH nascfg 1 "), "{page}");
    assert_eq!(page.matches(".ds Aq").count(), 2, "one apostrophe preamble");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH COMMANDS"] {
        assert!(page.contains(section), "no {section}");
    }
    for usage in [
        "nascfg cred add",
        "nascfg keypair import",
        "nascfg backup restore",
        "nascfg seed rotate",
        "nascfg completions",
        "nascfg man",
    ] {
        assert!(page.contains(usage), "`{usage}` not in the man page");
    }
    assert!(
        page.contains("\\-\\-allow\\-lost\\-secrets"),
        "options of subcommands"
    );
    assert!(!nascfg.data_dir().exists());
}

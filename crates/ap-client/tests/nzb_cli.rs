#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `ap-client keygen`, `nzb` and `secret to-age` against real keys and the age CLI.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use ap_secret_codec::recipients::Recipients;
use ap_secret_codec::{
    Descriptor, PostedFile, Role, SetKey, SubjectStyle, parse_recipient, seal, to_nzb,
};
use ap_tests::run_with_stdin;

fn client(config: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ap-client"));
    cmd.env("XDG_CONFIG_HOME", config).env_remove("HOME");
    cmd
}

fn nzb_from_stdin(config: &Path) -> Command {
    let mut cmd = client(config);
    cmd.args(["nzb", "-"]);
    cmd
}

fn set() -> Descriptor {
    Descriptor {
        key: SetKey::generate().unwrap(),
        title: "cli test".into(),
        groups: vec!["alt.binaries.test".into()],
        domain: "news.example".into(),
        subjects: SubjectStyle::Random,
        article_size: 716_800,
        line_length: 128,
        date: 1_795_500_000,
        files: vec![
            PostedFile {
                role: Role::Data,
                size: 3_000_000,
            },
            PostedFile {
                role: Role::Par2,
                size: 50_000,
            },
        ],
        reposts: vec![],
    }
}

#[test]
fn keygen_then_nzb_then_to_age() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let key = dir.path().join("me.txt");
    let out = client(&config)
        .args(["keygen", "-o"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let recipient = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(recipient.starts_with("age1"));
    // Never overwrites.
    assert!(
        !client(&config)
            .args(["keygen", "-o"])
            .arg(&key)
            .output()
            .unwrap()
            .status
            .success()
    );

    let d = set();
    let r: Recipients = vec![parse_recipient(&recipient).unwrap()];
    let secret = seal(&d, &r).unwrap();
    let expected = to_nzb(&d).to_xml().unwrap();

    // From standard input, to a file.
    let nzb_path = dir.path().join("set.nzb");
    let mut cmd = client(&config);
    cmd.args(["nzb", "-", "-i"])
        .arg(&key)
        .arg("-o")
        .arg(&nzb_path);
    let out = run_with_stdin(cmd, secret.expose());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&nzb_path).unwrap(), expected);

    // From a file, to standard output.
    let secret_file = dir.path().join("secret.txt");
    std::fs::write(&secret_file, format!("{}\n", secret.expose())).unwrap();
    let out = client(&config)
        .args(["nzb"])
        .arg(&secret_file)
        .arg("-i")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);

    // The plain age file inside opens with the age CLI.
    let out = client(&config)
        .args(["secret", "to-age"])
        .arg(&secret_file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let age_file = dir.path().join("set.age");
    std::fs::write(&age_file, out.stdout).unwrap();
    let plain = ap_tests::run_ok(
        ap_tests::peer_command("age")
            .arg("-d")
            .arg("-i")
            .arg(&key)
            .arg(&age_file),
    );
    assert_eq!(plain, d.encode().unwrap());
}

#[test]
fn the_default_identity_and_the_packaged_key_are_tried() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    // keygen without -o writes the default identity.
    let out = client(&config).arg("keygen").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(config.join("ap/identity.txt").is_file());
    let recipient = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let d = set();
    let mine = seal(&d, &vec![parse_recipient(&recipient).unwrap()]).unwrap();
    let out = run_with_stdin(nzb_from_stdin(&config), mine.expose());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let public = ap_secret_codec::recipients_for_post(&[], &[] as &[&str], true).unwrap();
    let public = seal(&d, &public).unwrap();
    let empty = dir.path().join("nothing");
    let out = run_with_stdin(nzb_from_stdin(&empty), public.expose());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        to_nzb(&d).to_xml().unwrap()
    );
}

#[test]
fn errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let other = age::x25519::Identity::generate();
    let secret = seal(
        &set(),
        &vec![Box::new(other.to_public()) as Box<dyn age::Recipient + Send>],
    )
    .unwrap();
    let out = run_with_stdin(nzb_from_stdin(dir.path()), secret.expose());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert!(
        err.starts_with("ap-client: error: none of the identities tried opens this secret"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);

    let mut damaged = secret.expose().to_owned();
    damaged.replace_range(20..21, if &damaged[20..21] == "Q" { "R" } else { "Q" });
    let out = run_with_stdin(nzb_from_stdin(dir.path()), &damaged);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        "ap-client: error: the secret string is damaged at position 21; compare it with the original there\n"
    );
}

#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `ap-server post` to a server that speaks TLS, set up the way a user sets
//! up a provider: config.toml names an nntps:// server and the private CA
//! that signed its certificate. Without that CA the job stops with one
//! line naming the host, before anything is posted.

use std::fs;

mod common;

use common::{Spool, ap_server};

#[test]
fn posts_over_tls_to_the_config_files_server_and_refuses_an_untrusted_one() {
    let home = tempfile::tempdir().unwrap();
    let spool = Spool::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let front = rt.block_on(ap_tests::tls::start(spool.addr, home.path(), false));
    let host = format!("localhost:{}", front.addr.port());
    let conf = home.path().join("config/ap/config.toml");
    fs::create_dir_all(conf.parent().unwrap()).unwrap();
    let server = format!("[[servers]]\nurl = \"nntps://{host}\"\nconnections = 2\n");
    fs::write(&conf, format!("{server}ca_file = {:?}\n", front.ca_file)).unwrap();
    let src = home.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("data.bin"), ap_tests::noise(3, 300_000)).unwrap();

    let out = ap_server(home.path())
        .arg("post")
        .arg(&src)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("posting to {host}")), "{stderr}");
    let stored = spool.articles();
    assert!(stored > 0);

    // The same server without its CA: the system roots do not trust it.
    fs::write(&conf, &server).unwrap();
    let out = ap_server(home.path())
        .arg("post")
        .arg(&src)
        .output()
        .unwrap();
    let error = ap_tests::one_error_line(&out);
    assert!(
        error.contains(&format!("TLS handshake with news server {host} failed")),
        "{error}"
    );
    assert!(error.contains("nothing was posted"), "{error}");
    assert_eq!(spool.articles(), stored);
}

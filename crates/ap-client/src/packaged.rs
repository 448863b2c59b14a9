//! The identity of the key pair packaged with ap.
//!
//! This is public by design. `ap-server post --public` seals a set to its
//! recipient (`ap_secret_codec::PACKAGED_RECIPIENT`) so that anyone with
//! ap-client can open the string: it hides the set from search engines and
//! scrapers that do not run ap, not from people. Sets meant for chosen
//! people are sealed to their own keys instead.

use anyhow::Context;

const PACKAGED_IDENTITY: &str =
    "AGE-SECRET-KEY-132RUMJCSMZ3KWPMNLCLYWEX37UF8FCZ62EZAPNUSCJ54XDEY978SL40XFG";

pub fn identity() -> anyhow::Result<age::x25519::Identity> {
    PACKAGED_IDENTITY
        .parse::<age::x25519::Identity>()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the packaged identity does not parse")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_packaged_identity_matches_the_published_recipient() {
        let id = super::identity().unwrap();
        assert_eq!(
            id.to_public().to_string(),
            ap_secret_codec::PACKAGED_RECIPIENT
        );
    }
}

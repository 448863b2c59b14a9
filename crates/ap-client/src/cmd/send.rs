use ap_client::cli::SendArgs;
use ap_pipeline::{NzbgetApi, SabnzbdApi};
use ap_secret_codec::recipients::Identities;

use crate::packaged;

pub fn run(args: &SendArgs) -> anyhow::Result<()> {
    let secret = super::secret::read_secret(&args.source)?;
    let mut identities: Identities = Vec::new();
    for path in &args.identities {
        identities.extend(ap_secret_codec::read_identity_file(path)?);
    }
    if let Some(path) = super::nzb::default_identity().filter(|p| p.is_file()) {
        identities.extend(ap_secret_codec::read_identity_file(&path)?);
    }
    identities.push(Box::new(packaged::identity()?));
    let descriptor = ap_secret_codec::open(&secret, &identities)?;
    let nzb = ap_secret_codec::to_nzb(&descriptor).to_xml()?;
    let name = match (&args.name, descriptor.title.is_empty()) {
        (Some(n), _) => n.clone(),
        (None, false) => descriptor.title.clone(),
        (None, true) => "ap-set".to_owned(),
    };
    let password = descriptor.key.archive_password();
    if let Some(url) = &args.sabnzbd {
        let api_key = std::env::var("AP_SABNZBD_API_KEY").map_err(|_| {
            anyhow::anyhow!(
                "SABnzbd needs its API key: set AP_SABNZBD_API_KEY (Config > General > API Key)"
            )
        })?;
        let api = SabnzbdApi {
            url: url.clone(),
            api_key,
        };
        let id = ap_pipeline::send_sabnzbd(&api, &name, &nzb, &password)?;
        eprintln!("ap-client: SABnzbd queued {name:?} as {id}");
    }
    if let Some(url) = &args.nzbget {
        let api = NzbgetApi {
            url: url.clone(),
            user: std::env::var("AP_NZBGET_USER").unwrap_or_else(|_| "nzbget".into()),
            password: std::env::var("AP_NZBGET_PASSWORD").ok(),
        };
        let id = ap_pipeline::send_nzbget(&api, &name, &nzb, &password)?;
        eprintln!("ap-client: NZBGet queued {name:?} as job {id}");
    }
    Ok(())
}

use ap_client::cli::{CompletionsArgs, command};

pub fn run(args: &CompletionsArgs) -> anyhow::Result<()> {
    clap_complete::generate(
        args.shell,
        &mut command(),
        "ap-client",
        &mut std::io::stdout(),
    );
    Ok(())
}

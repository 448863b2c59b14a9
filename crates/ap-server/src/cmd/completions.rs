use ap_server::cli::{CompletionsArgs, command};

pub fn run(args: &CompletionsArgs) -> anyhow::Result<()> {
    clap_complete::generate(
        args.shell,
        &mut command(),
        "ap-server",
        &mut std::io::stdout(),
    );
    Ok(())
}

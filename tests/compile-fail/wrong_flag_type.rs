// `--tcp` is a u16: a string port does not compile.
use pyrum::prelude::*;

async fn scenario(alice: Actor) -> pyrum::Result<()> {
    alice.host().listen().tcp("9000").await?;
    Ok(())
}

fn main() {}

// A misspelled command does not compile.
use pyrum::prelude::*;

async fn scenario(alice: Actor) -> pyrum::Result<()> {
    alice.host().lisen().tcp(9000).await?;
    Ok(())
}

fn main() {}

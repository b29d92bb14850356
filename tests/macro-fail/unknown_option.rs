// An option #[pyrum::test] does not know: the error points at it and lists the options.
use pyrum::prelude::*;

#[pyrum::test(actors = ["alice"], timout = "30s")]
async fn typo(alice: Actor) -> pyrum::Result<()> {
    alice.host().view().await?;
    Ok(())
}

fn main() {}

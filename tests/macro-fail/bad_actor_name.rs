// An actor name Rumor cannot take (a space; Rumor's prefix is `name:`): the error points at it.
use pyrum::prelude::*;

#[pyrum::test(actors = ["alice", "bob smith"])]
async fn spaced(alice: Actor) -> pyrum::Result<()> {
    alice.host().view().await?;
    Ok(())
}

fn main() {}

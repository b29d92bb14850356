// An actor no parameter takes is an error (take it as `_bob: Actor` if the body does not use
// it): the error points at the actor's name.
use pyrum::prelude::*;

#[pyrum::test(actors = ["alice", "bob"], connected)]
async fn bob_is_forgotten(alice: Actor) -> pyrum::Result<()> {
    alice.peer().list().await?;
    Ok(())
}

fn main() {}

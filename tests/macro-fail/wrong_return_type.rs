// A #[pyrum::test] returns nothing or `Result<(), E>`: the error points at the return type.
use pyrum::prelude::*;

#[pyrum::test(actors = ["alice"])]
async fn counts(alice: Actor) -> usize {
    alice.peer().list().await.map(|l| l.peers.as_array().map_or(0, Vec::len)).unwrap_or(0)
}

fn main() {}
